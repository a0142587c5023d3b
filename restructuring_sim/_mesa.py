"""Mesa's ``Model``, ``Agent``, ``AgentSet`` and ``DataCollector`` without the rest of Mesa's
package start-up.

``import mesa`` runs the package's ``__init__``, which loads the batch runner, the experimental
continuous space (with scipy.spatial) and the grid spaces: about 0.3 s of every command's start
on a 2-core machine, none of which a run uses. This module imports the four
classes from their own modules instead. It registers the ``mesa`` package without running its
``__init__`` and lets the first use of any other name of ``mesa`` (``mesa.batch_run``,
``mesa.__version__``, ``from mesa import ...`` in a user's code) run it then, so that the
package behaves as an ordinary import everywhere else.
"""

from __future__ import annotations

import importlib.util
import sys


def _register_mesa_package() -> None:
    """Put the ``mesa`` package in ``sys.modules`` with its ``__init__`` deferred to the first
    attribute its namespace lacks (PEP 562 module ``__getattr__``)."""
    if "mesa" in sys.modules:
        return
    spec = importlib.util.find_spec("mesa")
    package = importlib.util.module_from_spec(spec)

    def complete(name: str):
        """Run Mesa's own ``__init__`` in the package (once) and look ``name`` up in it."""
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = complete
    sys.modules["mesa"] = package


_register_mesa_package()

from mesa.agent import Agent, AgentSet  # noqa: E402
from mesa.datacollection import DataCollector  # noqa: E402
from mesa.model import Model  # noqa: E402

__all__ = ["Agent", "AgentSet", "DataCollector", "Model"]
