"""``compare``: effect sizes against a reference with 95% intervals, a table and a plot.

The statistics are checked against scipy on hand-made numbers; the command is run once on
scenario files and once on a sweep directory, with tiny populations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from restructuring_sim.cli import app
from restructuring_sim.errors import UserError
from restructuring_sim.experiments import compare as cmp

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "experiments" / "scenarios"
RUNNER = CliRunner()
SMALL = ["--set", "simulation.n_firms=200", "--set", "simulation.end_year=1990"]


def test_welch_interval_matches_scipy():
    x = np.array([3.0, 4.0, 6.0, 7.0])
    y = np.array([1.0, 2.0, 2.5])
    diff, lo, hi = cmp.interval(x, y, paired=False)
    res = stats.ttest_ind(x, y, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert diff == pytest.approx(x.mean() - y.mean())
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_paired_interval_matches_scipy():
    x = np.array([3.0, 4.0, 6.0, 7.0])
    y = np.array([2.5, 3.0, 5.5, 5.0])
    diff, lo, hi = cmp.interval(x, y, paired=True)
    ci = stats.ttest_rel(x, y).confidence_interval(0.95)
    assert diff == pytest.approx(1.0)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_one_replicate_has_no_interval():
    diff, lo, hi = cmp.interval(np.array([2.0]), np.array([1.0]), paired=True)
    assert diff == 1.0 and np.isnan(lo) and np.isnan(hi)


def _results(rows):
    base = dict(run_key="", is_baseline=False, status="ok", error="", wall_time_s=0.0)
    return pd.DataFrame([{**base, **r} for r in rows])


def test_effects_pair_by_seed_and_skip_failed_runs():
    rows = []
    for pid, values in ((0, [1.0, 2.0, 3.0]), (1, [2.0, 3.5, 4.0])):
        for rep, v in enumerate(values):
            rows.append(dict(point_id=pid, replicate=rep, seed=100 + rep, scenario=f"s{pid}",
                             metric="exits", value=v))
    rows.append(dict(point_id=1, replicate=3, seed=103, scenario="s1", metric="exits",
                     value=np.nan, status="failed", error="boom"))
    res = _results(rows)
    assert cmp.point_labels(res) == {0: "s0", 1: "s1"}
    eff = cmp.effects(res, reference=0, metrics=["exits"])
    row = eff.iloc[0]
    assert row["paired"] and row["n"] == 3 and row["label"] == "s1"
    assert row["diff"] == pytest.approx(7 / 6)
    assert row["relative"] == pytest.approx(7 / 12)
    assert row["ci_low"] < 7 / 6 < row["ci_high"]


def test_reference_choice():
    res = _results([
        dict(point_id=0, replicate=0, seed=1, is_baseline=True, **{"policy.x": None},
             metric="exits", value=1.0),
        dict(point_id=1, replicate=0, seed=2, **{"policy.x": 0.5}, metric="exits", value=2.0),
    ])
    labels = cmp.point_labels(res)
    assert labels[1] == "x=0.5" and labels[0].startswith("baseline")
    assert cmp.choose_reference(res, {"baseline_point": 0}, None) == 0
    assert cmp.choose_reference(res, {}, "1") == 1
    assert cmp.choose_reference(res, {}, "x=0.5") == 1
    with pytest.raises(UserError, match="no such point"):
        cmp.choose_reference(res, {}, "7")


def test_compare_scenario_files(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", str(SCENARIOS / "open_markets.toml"),
            str(SCENARIOS / "protectionist_retreat.toml"), str(SCENARIOS / "baseline.toml"),
            "--replicates", "2", "--out", str(out), "--quiet", *SMALL]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output + result.stderr
    assert "reference: baseline" in result.output
    assert "open_markets" in result.output and "protectionist_retreat" in result.output
    eff = pd.read_csv(out / "effects.csv")
    assert set(eff["label"]) == {"open_markets", "protectionist_retreat"}
    assert set(eff["metric"]) == {"cross_border_sme_alliances", "sme_share", "small_firm_share",
                                  "sme_acquisitions", "supply_contracts", "exits",
                                  "network_clustering", "giant_component_share"}
    # counts are defined in every run, so with common seeds they are compared pairwise (a share
    # can be undefined in a tiny run without SME deals, and then falls back to Welch)
    counts = eff[eff["metric"].isin(["cross_border_sme_alliances", "sme_acquisitions",
                                     "supply_contracts", "exits"])]
    assert counts["paired"].all(), "scenario files run with common seeds"
    assert (out / "compare.png").stat().st_size > 10_000
    again = RUNNER.invoke(app, args)  # resumed: nothing reruns, same effects
    assert again.exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "effects.csv"), eff)


def test_single_scenario_is_compared_with_baseline_beside_it(tmp_path):
    out = tmp_path / "one"
    result = RUNNER.invoke(app, ["compare", str(SCENARIOS / "strong_ipr.toml"), "--replicates",
                                 "2", "--out", str(out), "--quiet", "--metrics",
                                 "alliances_formed,sme_share", *SMALL])
    assert result.exit_code == 0, result.output + result.stderr
    eff = pd.read_csv(out / "effects.csv")
    assert list(eff["reference"].unique()) == ["baseline"]
    assert list(eff["metric"]) == ["alliances_formed", "sme_share"]


def test_compare_a_sweep_directory(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
scenario = "{SCENARIOS / 'baseline.toml'}"
replicates = 2
include_baseline = true
metrics = ["alliances_formed", "exits"]
[fixed]
"simulation.n_firms" = 200
"simulation.end_year" = 1990
[parameters]
"policy.trade_openness" = [0.3, 0.9]
""")
    out = tmp_path / "sweep"
    assert RUNNER.invoke(app, ["sweep", str(spec), "--out", str(out), "-q"]).exit_code == 0
    result = RUNNER.invoke(app, ["compare", str(out), "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 0, result.output + result.stderr
    eff = pd.read_csv(out / "effects.csv")
    assert set(eff["label"]) == {"trade_openness=0.3", "trade_openness=0.9"}
    assert eff["reference"].unique().tolist() == ["baseline (scenario as is)"]
    assert (tmp_path / "p.png").is_file()


@pytest.mark.parametrize(("args", "expected"), [
    (["nope.toml"], "nope.toml: not found"),
    ([str(SCENARIOS / "baseline.toml")], "give a second scenario"),
    ([str(SCENARIOS / "open_markets.toml"), "--metrics", "foo"], "--metrics 'foo': unknown"),
    ([str(SCENARIOS / "open_markets.toml"), "--replicates", "0"], "--replicates 0: must be >= 1"),
    ([str(SCENARIOS / "open_markets.toml"), "--set", "policy.trade_openness=7"],
     "policy.trade_openness"),
])
def test_compare_errors_exit_2(tmp_path, args, expected):
    result = RUNNER.invoke(app, ["compare", *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _effects_table(metrics: dict[str, tuple[float, float, float, float]]) -> pd.DataFrame:
    """An effects table with one point per metric: (reference mean, mean, low, high)."""
    rows = [dict(metric=m, point_id=1, label="a_rather_long_scenario_label_that_goes_on",
                 reference="baseline", n=5, n_reference=5, mean=mean, reference_mean=ref,
                 diff=mean - ref, ci_low=lo, ci_high=hi, relative=(mean - ref) / ref,
                 paired=True) for m, (ref, mean, lo, hi) in metrics.items()]
    return pd.DataFrame(rows)


def test_effects_print_counts_as_integers_within_80_columns():
    from rich.console import Console

    table = _effects_table({
        "cross_border_sme_alliances": (1712.4, 1650.2, -120.6, -3.5),
        "network_clustering": (0.0203, 0.0141, -0.00777, -0.00464),
    })
    console = Console(width=80, record=True, color_system=None)
    cmp.print_effects(table, console, "effects")
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert any(line.strip().startswith("cross_border_sme_alliances") for line in lines)
    assert "1,712" in text and "1,650" in text and "-62 [-121, -4] *" in text
    assert "e+" not in text
    assert "0.0141" in text and "-0.00621" not in text  # three significant digits
    assert "…" in text  # a label too long for the column is cut, not wrapped


def test_metrics_note_names_what_is_left_out():
    note = cmp.metrics_note(["exits", "sme_share"], ["exits", "sme_share", "entries"], False)
    assert note.startswith("showing 2 of the 3 metrics recorded (headline metrics)")
    assert "not shown: entries" in note and "--metrics" in note
    assert "not shown" not in cmp.metrics_note(["exits"], ["exits"], True)


def test_compare_on_a_run_directory_says_what_it_is(tmp_path):
    (tmp_path / "events.parquet").write_bytes(b"")
    (tmp_path / "manifest.json").write_text("{}")
    result = RUNNER.invoke(app, ["compare", str(tmp_path)])
    assert result.exit_code == 2
    assert "a run directory" in result.stderr and "no manifest.json" not in result.stderr
