"""``sensitivity``: Sobol and Morris indices with SALib, a table and a plot.

The analysis is checked on a known function (the metric is replaced by an analytic response so
that the ranking of parameters is certain); the command runs once on a tiny Sobol sweep.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from restructuring_sim.cli import app
from restructuring_sim.experiments import sensitivity as sens
from restructuring_sim.experiments.spec import load_plan

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
RUNNER = CliRunner()


def spec_text(design: str, samples: int) -> str:
    """A tiny spec over two policy levers."""
    return f"""
scenario = "{BASELINE}"
design = "{design}"
samples = {samples}
replicates = 1
seed = 5
metrics = ["alliances_formed", "exits"]
[fixed]
"simulation.n_firms" = 200
"simulation.end_year" = 1990
[parameters]
"policy.trade_openness" = {{ range = [0.2, 0.9] }}
"policy.sme_capability" = {{ range = [0.0, 0.8] }}
"""


def synthetic_results(plan, fn) -> pd.DataFrame:
    """Result rows whose metric values are ``fn(trade_openness, sme_capability)``."""
    rows = []
    for p in plan.points:
        v = fn(p.values["policy.trade_openness"], p.values["policy.sme_capability"])
        for metric in plan.spec.metrics:
            rows.append(dict(point_id=p.point_id, replicate=0, metric=metric, value=v,
                             status="ok"))
    return pd.DataFrame(rows)


def test_sobol_ranks_the_influential_parameter_first(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(spec_text("sobol", 64))
    plan = load_plan(path)
    res = synthetic_results(plan, lambda a, b: 10 * a + 0.5 * b)
    table, notes = sens.analyze(plan, res)
    assert not notes
    t = table[table["metric"] == "exits"].set_index("parameter")
    assert t.loc["policy.trade_openness", "ST"] > 0.9
    assert t.loc["policy.sme_capability", "ST"] < 0.1
    assert np.isfinite(t["S1_conf"]).all()


def test_morris_ranks_the_influential_parameter_first(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(spec_text("morris", 10))
    plan = load_plan(path)
    table, _ = sens.analyze(plan, synthetic_results(plan, lambda a, b: a + 5 * b))
    t = table[table["metric"] == "alliances_formed"].set_index("parameter")
    assert t.loc["policy.sme_capability", "mu_star"] > t.loc["policy.trade_openness", "mu_star"]


def test_metric_with_missing_values_is_left_out_with_a_note(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(spec_text("sobol", 8))
    plan = load_plan(path)
    res = synthetic_results(plan, lambda a, b: a + b)
    res.loc[(res["metric"] == "exits") & (res["point_id"] == 3), "value"] = np.nan
    table, notes = sens.analyze(plan, res)
    assert set(table["metric"]) == {"alliances_formed"}
    assert notes and notes[0].startswith("exits: left out")


def test_sensitivity_command_writes_table_and_plot(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(spec_text("sobol", 4))
    out = tmp_path / "out"
    result = RUNNER.invoke(app, ["sensitivity", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output + result.stderr
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    assert set(table["parameter"]) == {"policy.trade_openness", "policy.sme_capability"}
    assert (out / "sensitivity.png").stat().st_size > 5_000
    assert (out / "sensitivity.parquet").is_file()
    assert "sobol sensitivity" in result.output


def test_sensitivity_needs_a_sampled_design(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(spec_text("grid", 4))
    result = RUNNER.invoke(app, ["sensitivity", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "design = 'grid': sensitivity needs design sobol or morris" in result.stderr
    path.write_text(spec_text("sobol", 6))
    result = RUNNER.invoke(app, ["sensitivity", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "samples = 6: the sobol design needs a power of two" in \
        result.stderr
