"""Every scenario file in experiments/scenarios/ loads, validates and says what it is.

The policy scenarios are what users run first, so each must load through inheritance from the
baseline, differ from it, and carry a header naming its levers and the passage of the paper.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from restructuring_sim.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))
POLICY_FILES = [f for f in FILES if f.name != "baseline.toml"]


def test_at_least_ten_policy_scenarios():
    assert len(POLICY_FILES) >= 10, [f.name for f in POLICY_FILES]


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_scenario_file_loads_and_validates(path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == path.stem
    # a [shocks] section in the file reaches the scenario (none is dropped or ignored)
    if "[shocks" in path.read_text(encoding="utf-8"):
        baseline = load_scenario(SCENARIOS / "baseline.toml")
        assert scenario.shocks != baseline.shocks, path.name


@pytest.mark.parametrize("path", POLICY_FILES, ids=[f.stem for f in POLICY_FILES])
def test_policy_scenario_inherits_baseline_and_changes_it(path):
    text = path.read_text(encoding="utf-8")
    assert 'base = "baseline.toml"' in text
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert text.startswith("#"), "a header comment comes first"
    assert any("Levers:" in line for line in header), "header names the levers"
    assert any("Paper:" in line for line in header), "header names the paper's passage"
    baseline = load_scenario(SCENARIOS / "baseline.toml")
    scenario = load_scenario(path)
    changed = {k for k, v in scenario.to_dict().items()
               if k not in ("name", "description") and v != baseline.to_dict()[k]}
    assert changed, "the scenario overrides something beyond its name"


def test_scenario_names_are_unique():
    names = [load_scenario(f).name for f in FILES]
    assert len(names) == len(set(names))
