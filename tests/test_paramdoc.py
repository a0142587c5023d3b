"""The documentation's parameter tables are generated from the scenario schema, and every scenario
field states a meaning, a unit (numbers) and a range (:mod:`restructuring_sim.paramdoc`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from restructuring_sim import paramdoc
from restructuring_sim.scenario import Scenario
from restructuring_sim.timepath import bounded_path

ROOT = Path(__file__).resolve().parents[1]


def test_every_scenario_field_has_meaning_unit_and_range():
    assert paramdoc.problems() == []


def test_every_leaf_field_is_listed_once():
    keys = [p.key for p in paramdoc.parameters()]
    assert len(keys) == len(set(keys))
    for key in ("simulation.n_firms", "policy.matching_service.conversion",
                "sectors.<name>.rnd_cost", "countries.<name>.market_size",
                "shocks.supplier_price_cut.cut", "exports.entry_cost"):
        assert key in keys
    sections = {p.section for p in paramdoc.parameters()}
    assert sections == set(paramdoc.SECTIONS)
    # every section of the scenario has a table
    assert set(Scenario.model_fields) - {"name", "description"} <= sections


class _Example(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    good: float = Field(0.5, ge=0, le=1, description="a share of something (share)",
                        json_schema_extra={"source": "Someone (2001)"})
    path: bounded_path(0.0, None) = Field(1.0, description="path: a level (index)")
    no_unit: float = Field(1.0, ge=0, description="a number without its unit")
    no_range: int = Field(3, description="a count without bounds (count)")
    no_meaning: float = Field(1.0, gt=0)
    remark: float = Field(1.0, ge=0, description="a number (which is explained at some length "
                          "here, not a unit)")
    flag: bool = Field(False, description="a switch")


def test_problems_name_each_broken_field():
    found = paramdoc.problems(paramdoc.parameters(model=_Example))
    text = "\n".join(found)
    assert "no_unit: no unit" in text
    assert "no_range: no range" in text
    assert "no_meaning: no meaning" in text
    assert "remark: unit" in text
    assert not any(line.startswith(("good:", "path:", "flag:")) for line in found)


def test_convention_is_parsed():
    params = {p.key: p for p in paramdoc.parameters(model=_Example)}
    good = params["good"]
    assert (good.meaning, good.unit, good.range, good.default, good.source) == (
        "a share of something", "share", "0 to 1", "0.5", "Someone (2001)")
    assert params["path"].kind == "path" and params["path"].range == ">= 0"
    assert params["path"].meaning == "a level" and params["path"].unit == "index"
    assert params["flag"].range == "true, false" and not params["flag"].needs_unit


def test_tables_follow_the_schema():
    table = paramdoc.section_table("behaviour", ROOT)
    rows = [line for line in table.splitlines()[2:]]
    assert len(rows) == len(Scenario.model_fields["behaviour"].annotation.model_fields)
    search = next(r for r in rows if r.startswith("| `behaviour.search_rate`"))
    assert "probability/step" in search and "0 to 1" in search
    assert "calibrated: experiments/calibration/baseline/" in search
    default = Scenario().behaviour.search_rate
    assert f"`{default:g}`" in search


def test_profiles_table_lists_every_sector():
    table = paramdoc.profiles_table("sectors")
    for name in Scenario().sectors:
        assert f"| `{name}` |" in table
