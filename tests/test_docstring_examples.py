"""The examples in the package's docstrings run and print what they show."""

import doctest
import importlib
from pathlib import Path

import pytest

import restructuring_sim

PACKAGE = Path(restructuring_sim.__file__).parent

#: modules whose docstrings hold ``>>>`` examples
MODULES = ["events", "model", "network", "panel", "timepath"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"restructuring_sim.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_every_module_with_examples_is_checked():
    with_examples = sorted(".".join(path.relative_to(PACKAGE).with_suffix("").parts)
                           for path in PACKAGE.rglob("*.py") if ">>>" in path.read_text())
    assert with_examples == MODULES
