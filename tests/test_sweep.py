"""Sweeps: specs, designs, seeds, executors, the resumable store, failures and spec errors.

What a user relies on: the same spec gives the same result table on any executor; a killed
sweep resumes and ends with the table an uninterrupted sweep gives; a run that fails is recorded
and the sweep goes on; a bad spec exits 2 with one line naming the field, the value and what is
allowed. Runs are tiny (200-300 firms, two or three simulated years).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from restructuring_sim.cli import app
from restructuring_sim.errors import UserError
from restructuring_sim.experiments import metrics as metrics_mod
from restructuring_sim.experiments.spec import build_plan, derive_seed, load_plan, parse_spec
from restructuring_sim.experiments.store import RESULTS, Store
from restructuring_sim.experiments.sweep import run_sweep, run_task

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
RUNNER = CliRunner()

SPEC = f"""
scenario = "{BASELINE}"
design = "grid"
replicates = 2
seed = 11
metrics = ["alliances_formed", "sme_share", "exits", "network_clustering"]

[fixed]
"simulation.n_firms" = 200
"simulation.end_year" = 1990

[parameters]
"policy.trade_openness" = [0.3, 0.9]
"behaviour.search_rate" = {{ range = [0.1, 0.2], levels = 2 }}
"""


def write_spec(tmp_path: Path, text: str = SPEC, name: str = "spec.toml") -> Path:
    """Write a spec file into ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def table(out: Path) -> pd.DataFrame:
    """The combined results of a sweep directory, without the (timing) column that may differ."""
    return pq.read_table(out / RESULTS).to_pandas().drop(columns="wall_time_s")


# ------------------------------------------------------------------ spec and design


def test_grid_plan_points_runs_and_seeds(tmp_path):
    plan = load_plan(write_spec(tmp_path))
    assert len(plan.points) == 4 and plan.n_runs == 8
    values = {(p.values["policy.trade_openness"], p.values["behaviour.search_rate"])
              for p in plan.points}
    assert values == {(0.3, 0.1), (0.3, 0.2), (0.9, 0.1), (0.9, 0.2)}
    seeds = [t.seed for t in plan.tasks()]
    assert len(set(seeds)) == len(seeds), "every run has its own seed"
    assert seeds == [t.seed for t in load_plan(write_spec(tmp_path)).tasks()], "deterministic"
    assert seeds[0] == derive_seed(11, 0, 0)
    assert all(0 <= s < 2**63 for s in seeds)


def test_common_seeds_share_seeds_across_points(tmp_path):
    plan = load_plan(write_spec(tmp_path, SPEC.replace("seed = 11", "seed = 11\ncommon_seeds = "
                                                        "true")))
    by_rep = {}
    for t in plan.tasks():
        by_rep.setdefault(t.replicate, set()).add(t.seed)
    assert all(len(s) == 1 for s in by_rep.values()) and len(by_rep) == 2


@pytest.mark.parametrize(("design", "samples", "n_points"),
                         [("lhs", 5, 5), ("sobol", 4, 4 * (2 + 2)), ("morris", 3, 3 * (2 + 1))])
def test_sampled_designs_stay_in_range_and_repeat(tmp_path, design, samples, n_points):
    text = SPEC.replace('design = "grid"', f'design = "{design}"\nsamples = {samples}')
    text = text.replace('[0.3, 0.9]', '{ range = [0.3, 0.9] }')
    a = load_plan(write_spec(tmp_path, text))
    b = load_plan(write_spec(tmp_path, text))
    assert len(a.points) == n_points
    x = np.array([[p.values["policy.trade_openness"], p.values["behaviour.search_rate"]]
                  for p in a.points])
    assert (x[:, 0] >= 0.3).all() and (x[:, 0] <= 0.9).all()
    assert (x[:, 1] >= 0.1).all() and (x[:, 1] <= 0.2).all()
    assert [p.values for p in a.points] == [p.values for p in b.points]


def test_values_parameter_in_sampled_design_is_categorical(tmp_path):
    text = SPEC.replace('design = "grid"', 'design = "lhs"\nsamples = 6')
    plan = load_plan(write_spec(tmp_path, text))
    assert {p.values["policy.trade_openness"] for p in plan.points} <= {0.3, 0.9}


def test_include_baseline_adds_unchanged_point(tmp_path):
    plan = load_plan(write_spec(tmp_path, SPEC.replace("replicates = 2",
                                                       "replicates = 2\ninclude_baseline = true")))
    assert plan.points[0].is_baseline and len(plan.points) == 5
    assert plan.point_data[0] == plan.scenario_data
    assert plan.point_data[0]["simulation"]["n_firms"] == 200, "fixed overrides apply to it"


def test_spec_hash_changes_with_spec_and_scenario(tmp_path):
    a = load_plan(write_spec(tmp_path)).spec_hash()
    assert a == load_plan(write_spec(tmp_path)).spec_hash()
    assert a != load_plan(write_spec(tmp_path, SPEC.replace("seed = 11", "seed = 12"))).spec_hash()
    assert a != load_plan(write_spec(tmp_path, SPEC.replace("= 200", "= 201"))).spec_hash()


@pytest.mark.parametrize(("change", "expected"), [
    (('"policy.trade_openness"', '"policy.trade_opennes"'),
     "policy.trade_opennes: unknown scenario key 'policy.trade_opennes' "
     "(did you mean 'trade_openness'?)"),
    (("range = [0.1, 0.2]", "range = [0.2, 0.2]"),
     "parameters.behaviour.search_rate.range = [0.2, 0.2]: empty range; low must be < high"),
    (("replicates = 2", "replicates = 0"), "replicates = 0: must be >= 1"),
    (('"sme_share"', '"sme_shares"'), "'sme_shares' is not a metric (did you mean 'sme_share'?)"),
    (('design = "grid"', 'design = "factorial"'),
     "design = 'factorial': unknown design; allowed: grid, lhs, sobol, morris"),
    (("seed = 11", "seed = 11\nrepeats = 3"), "repeats: unknown key; allowed:"),
    (('"policy.trade_openness" = [0.3, 0.9]', '"policy.trade_openness" = []'),
     "empty list of values"),
    (('"policy.trade_openness"', '"sectors.nosuch.rnd_cost"'),
     "unknown sectors entry 'nosuch'; allowed: automotive"),
    (('"policy.trade_openness"', '"simulation.seed"'), "simulation.seed: cannot be set here"),
    (('"policy.trade_openness"', '"policy.matching_service"'), "is a section, not a value"),
    (('"policy.trade_openness" = [0.3, 0.9]', '"policy.trade_openness" = 0.3'),
     "parameters.policy.trade_openness = 0.3: give a list of values or { range = [low, high] }"),
    (("replicates = 2", 'replicates = "two"'), "replicates = 'two': Input should be a valid"),
])
def test_bad_spec_exits_2_with_one_line(tmp_path, change, expected):
    spec = write_spec(tmp_path, SPEC.replace(*change))
    result = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and expected in err, err
    assert not (tmp_path / "out").exists(), "nothing is written for a bad spec"


def test_missing_spec_and_bad_executor_options_exit_2(tmp_path):
    r = RUNNER.invoke(app, ["sweep", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "not found" in r.stderr
    spec = write_spec(tmp_path)
    r = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--executor",
                            "local", "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 2 and "--scheduler: only with --executor dask" in r.stderr
    r = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--executor", "ray"])
    assert r.exit_code == 2 and "allowed: local, dask" in r.stderr


def test_parse_spec_shorthand_and_defaults():
    spec = parse_spec({"scenario": "x.toml", "parameters": {"policy.safety_net": [0.1, 0.2]}})
    assert spec.parameters["policy.safety_net"].values == [0.1, 0.2]
    assert spec.metrics == list(metrics_mod.METRICS) and spec.replicates == 1
    with pytest.raises(UserError, match="exactly one of values"):
        parse_spec({"scenario": "x.toml", "parameters": {"policy.safety_net": {"levels": 2}}})


# ------------------------------------------------------------------ running


def test_local_and_dask_give_identical_tables(tmp_path):
    plan = load_plan(write_spec(tmp_path))
    local = run_sweep(plan, tmp_path / "local", executor="local", workers=2)
    dask = run_sweep(plan, tmp_path / "dask", executor="dask", dask_workers=2,
                     dask_processes=False)
    assert local.ran == dask.ran == 8 and not local.failed and not dask.failed
    a, b = table(tmp_path / "local"), table(tmp_path / "dask")
    assert len(a) == 8 * 4
    pd.testing.assert_frame_equal(a, b)
    assert set(a.columns) >= {"point_id", "replicate", "seed", "policy.trade_openness",
                              "behaviour.search_rate", "metric", "value", "status", "error"}
    assert (a["status"] == "ok").all()
    # one run of the sweep, repeated by hand, gives the same metrics
    task = plan.tasks()[5]
    direct = run_task(task)["metrics"]
    rows = a[a["run_key"] == task.run_key].set_index("metric")["value"]
    assert rows.to_dict() == pytest.approx(direct, nan_ok=True)


def test_rerun_skips_finished_runs_and_redoes_missing(tmp_path):
    plan = load_plan(write_spec(tmp_path))
    out = tmp_path / "out"
    first = run_sweep(plan, out, workers=2)
    before = table(out)
    again = run_sweep(plan, out, workers=2)
    assert (again.skipped, again.ran) == (8, 0)
    Store(out).run_path("p00002-r001").unlink()
    third = run_sweep(plan, out, workers=2)
    assert (third.skipped, third.ran) == (7, 1)
    pd.testing.assert_frame_equal(table(out), before)
    assert first.ran == 8


def test_out_dir_of_another_spec_is_refused(tmp_path):
    out = tmp_path / "out"
    run_sweep(load_plan(write_spec(tmp_path)), out, workers=1)
    other = load_plan(write_spec(tmp_path, SPEC.replace("seed = 11", "seed = 12")))
    with pytest.raises(UserError, match="holds a sweep of another spec"):
        run_sweep(other, out, workers=1)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="not empty and holds no sweep"):
        run_sweep(other, tmp_path / "busy", workers=1)


def test_rejected_value_is_a_failed_run_and_the_sweep_goes_on(tmp_path):
    text = SPEC.replace('"behaviour.search_rate" = { range = [0.1, 0.2], levels = 2 }',
                        '"behaviour.search_rate" = [0.1, 1.5]')
    spec = write_spec(tmp_path, text)
    out = tmp_path / "out"
    result = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "Failed runs (4)" in result.output
    df = table(out)
    failed = df[df["status"] == "failed"]
    assert set(failed["behaviour.search_rate"]) == {1.5}
    assert failed["value"].isna().all()
    assert failed["error"].str.contains("behaviour.search_rate = 1.5").all()
    assert (df.loc[df["status"] == "ok", "behaviour.search_rate"] == 0.1).all()
    assert df["run_key"].nunique() == 8
    manifest = Store(out).read_manifest()
    assert manifest["runs_failed"] == 4 and manifest["status"] == "complete"


def boom(task):
    """A worker function that fails on point 1 (the worker itself raises)."""
    if task.point_id == 1:
        raise RuntimeError("injected failure")
    return run_task(task)


def test_worker_exception_is_recorded(tmp_path):
    plan = load_plan(write_spec(tmp_path))
    report = run_sweep(plan, tmp_path / "out", executor="dask", dask_workers=1,
                       dask_processes=False, task_fn=boom)
    assert sorted(k for k, _ in report.failed) == ["p00001-r000", "p00001-r001"]
    assert all("RuntimeError: injected failure" in e for _, e in report.failed)
    df = table(tmp_path / "out")
    assert (df.loc[df["point_id"] == 1, "status"] == "failed").all()
    assert (df.loc[df["point_id"] != 1, "status"] == "ok").all()


def die(task):
    """A worker function whose process dies on point 2 (as if killed or out of memory)."""
    if task.point_id == 2:
        os._exit(1)
    return run_task(task)


def test_dead_worker_process_loses_only_unrecorded_runs(tmp_path):
    plan = load_plan(write_spec(tmp_path))
    out = tmp_path / "out"
    report = run_sweep(plan, out, workers=1, task_fn=die)
    assert report.broken and report.lost > 0
    assert len(Store(out).finished()) == report.ran < 8
    resumed = run_sweep(plan, out, workers=2)
    assert resumed.skipped == report.ran and not resumed.broken
    run_sweep(plan, tmp_path / "whole", workers=2)
    pd.testing.assert_frame_equal(table(out), table(tmp_path / "whole"))


def test_keep_events_writes_event_logs(tmp_path):
    text = SPEC.replace("replicates = 2", "replicates = 1\nkeep_events = true")
    plan = load_plan(write_spec(tmp_path, text))
    run_sweep(plan, tmp_path / "out", workers=1)
    logs = sorted((tmp_path / "out" / "events").glob("*.parquet"))
    assert [p.stem for p in logs] == [t.run_key for t in plan.tasks()]
    ev = pq.read_table(logs[0]).to_pandas()
    formed = (ev["kind"] == "alliance_formed").sum()
    df = table(tmp_path / "out")
    row = df[(df["run_key"] == logs[0].stem) & (df["metric"] == "alliances_formed")]
    assert row["value"].item() == formed


KILL_SPEC = SPEC.replace("replicates = 2", "replicates = 10").replace(
    '"simulation.end_year" = 1990', '"simulation.end_year" = 1991')


def test_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    spec = write_spec(tmp_path, KILL_SPEC)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "restructuring_sim", "sweep", str(spec), "--out", str(out),
           "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "runs").glob("p*.parquet"))) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    finished = sorted((out / "runs").glob("p*.parquet"))
    assert 3 <= len(finished) < 40
    for path in finished:  # every visible file is complete
        assert pq.read_table(path).num_rows == 4
    assert not (out / RESULTS).exists()
    plan = load_plan(spec)
    resumed = run_sweep(plan, out, workers=2)
    assert resumed.skipped == len(finished) and resumed.ran == 40 - len(finished)
    assert not list((out / "runs").glob(".*.tmp")), "temporaries of the killed sweep are gone"
    run_sweep(plan, tmp_path / "whole", workers=2)
    pd.testing.assert_frame_equal(table(out), table(tmp_path / "whole"))


# ------------------------------------------------------------------ metrics


def _event(kind, sizes, countries, year=1996, involves=None):
    return dict(kind=kind, size_classes=sizes, countries=countries, year=year,
                cross_border=len(set(countries)) > 1,
                involves_sme=any(s in ("small", "medium") for s in sizes))


def test_metrics_on_a_small_event_log():
    events = pd.DataFrame([
        _event("alliance_formed", ["small", "large"], ["US", "JP"]),
        _event("alliance_formed", ["medium", "large"], ["US", "US"], year=1990),
        _event("alliance_formed", ["large", "large"], ["DE", "FR"]),
        _event("alliance_formed", ["small", "medium"], ["DE", "IT"], year=1991),
        _event("acquisition", ["large", "small"], ["US", "IL"]),
        _event("acquisition", ["large", "large"], ["US", "GB"]),
        _event("firm_exited", ["small"], ["US"]),
        _event("supply_contract_signed", ["small", "large"], ["JP", "JP"]),
    ])
    network = pd.DataFrame({"year": [1999, 2000], "clustering": [0.5, 0.25],
                            "giant_component_share": [0.4, 0.6]})
    m = metrics_mod.compute(metrics_mod.RunTables(events, network))
    assert m["alliances_formed"] == 4
    assert m["cross_border_sme_alliances"] == 2
    assert m["sme_share"] == 0.75
    assert m["cross_border_share"] == 0.75
    assert m["sme_cross_border_share"] == pytest.approx(2 / 3)
    assert m["small_firm_share"] == pytest.approx(2 / 4)
    assert m["late_decade_share"] == 0.5
    assert m["sme_acquisitions"] == 1 and m["acquisitions"] == 2
    assert m["supply_contracts"] == 1 and m["exits"] == 1 and m["entries"] == 0
    assert m["network_clustering"] == 0.25 and m["giant_component_share"] == 0.6


def test_metrics_of_an_empty_log_are_zero_or_nan():
    events = pd.DataFrame({"kind": pd.Series([], dtype=str)})
    m = metrics_mod.compute(metrics_mod.RunTables(events, pd.DataFrame()))
    assert m["alliances_formed"] == 0 and m["sme_acquisitions"] == 0 and m["exits"] == 0
    assert np.isnan(m["sme_share"]) and np.isnan(m["network_clustering"])


def test_build_plan_from_data_checks_fixed_keys(tmp_path):
    spec = parse_spec({"scenario": str(BASELINE), "fixed": {"simulation.n_firm": 10},
                       "parameters": {"policy.safety_net": [0.1]}})
    with pytest.raises(UserError, match="did you mean 'n_firms'"):
        build_plan(spec, tmp_path / "s.toml")


def test_shipped_sweep_specs_are_valid():
    example = load_plan(ROOT / "experiments" / "sweeps" / "example.toml")
    assert len(example.spec.parameters) == 2 and example.spec.replicates == 2
    assert example.points[0].is_baseline and example.n_runs == 20
    sobol = load_plan(ROOT / "experiments" / "sweeps" / "policy_sobol.toml")
    assert sobol.spec.design == "sobol" and len(sobol.points) == 16 * (4 + 2)
