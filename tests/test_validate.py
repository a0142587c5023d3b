"""``restructuring-sim validate`` end to end: a small ensemble of the baseline and run
directories, the table, the JSON document, the plots, and every user error (exit 2, one line).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import BASELINE, assert_one_line_error, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from restructuring_sim import load_scenario
from restructuring_sim.errors import UserError
from restructuring_sim.paper import load_figures
from restructuring_sim.paper.ensemble import replicate_seeds, run_ensemble, run_one
from restructuring_sim.paper.moments import FIRM_COLUMNS, pass_chances
from restructuring_sim.runner import run_scenario

SMALL = ["--set", "simulation.n_firms=300"]
KEYS = ["name", "paper", "model_mean", "low", "high", "tolerance", "bound", "rule", "pass"]


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """validate on 3 replicates of the baseline (300 firms), once with 1 and once with 2
    workers."""
    base = tmp_path_factory.mktemp("validate")
    one = invoke("validate", BASELINE, "--replicates", "3", "--json", "--out", base / "w1",
                 *SMALL)
    two = invoke("validate", BASELINE, "--replicates", "3", "--workers", "2", "--json",
                 "--out", base / "w2", *SMALL)
    return one, two, base


def test_json_has_exactly_the_contract(ensemble):
    one, _, _ = ensemble
    assert one.exit_code == 0, one.stderr
    doc = json.loads(one.stdout)
    assert list(doc) == ["moments"]
    assert [m["name"] for m in doc["moments"]] == list(load_figures().moment)
    for m in doc["moments"]:
        assert list(m) == KEYS
        assert isinstance(m["pass"], bool)
        if m["low"] is not None:
            assert m["low"] <= m["high"]


def test_results_do_not_depend_on_workers(ensemble):
    one, two, _ = ensemble
    assert two.exit_code == 0, two.stderr
    assert json.loads(one.stdout) == json.loads(two.stdout)


def test_writes_plots_and_table(ensemble):
    _, _, base = ensemble
    out = base / "w1"
    for name in ("annual.png", "splits.png", "moments.png", "moments.csv", "moments.json",
                 "shape.csv"):
        assert (out / name).stat().st_size > 0, name
    record = json.loads((out / "moments.json").read_text())
    sc = load_scenario(BASELINE)
    assert record["source"]["seeds"] == replicate_seeds(sc.simulation.seed, 3)
    assert [c["name"] for c in record["shape"]] == [
        "sme_alliances_rise", "services_lead_from", "sme_deals_with_a_large_firm",
        "large_firms_start", "growth_led_by_ict_and_pharma", "north_american_smes_lead",
        "large_targets_for_presence", "cross_border_acquisitions_rise",
        "sme_targets_for_technology", "alliance_cycle",
        "joint_ventures_follow_deregulation", "wholesale_folds_into_multi_purpose_deals",
        "licensing_in_software_and_pharma", "joint_ventures_in_telecom_and_finance",
        "wholesale_for_marketing"]
    assert all(isinstance(c["pass"], bool) for c in record["shape"])


def test_table_output_and_run_directories(tmp_path):
    runs = []
    for seed in (1, 2):
        sc = load_scenario(BASELINE, ["simulation.n_firms=300"], seed=seed)
        run_scenario(sc, tmp_path / f"run{seed}")
        runs.append(tmp_path / f"run{seed}")
    result = invoke("validate", *runs, "--out", tmp_path / "v")
    assert result.exit_code == 0, result.stderr
    assert "late_share" in result.stdout and "90% interval" in result.stdout
    assert "Model (2 replicates)" in result.stdout
    assert "The decade's shape" in result.stdout and "services lead manufacturing" in result.stdout
    doc = json.loads(invoke("validate", *runs, "--json", "--out", tmp_path / "v").stdout)
    assert len(doc["moments"]) == len(load_figures().moment)
    # the run directories' manifests give the sectors' standard and deregulation years
    record = json.loads((tmp_path / "v" / "moments.json").read_text())
    names = [c["name"] for c in record["shape"]]
    assert "alliance_cycle" in names and "joint_ventures_follow_deregulation" in names


def test_run_directories_of_different_scenarios_are_not_pooled(tmp_path):
    runs = []
    for name, extra in (("base", []), ("closed", ["policy.trade_openness=0.3"])):
        sc = load_scenario(BASELINE, ["simulation.n_firms=200", *extra], seed=1)
        run_scenario(sc, tmp_path / name)
        runs.append(tmp_path / name)
    same = tmp_path / "again"
    run_scenario(load_scenario(BASELINE, ["simulation.n_firms=200"], seed=2), same)
    assert invoke("validate", runs[0], same, "--json", "--out", tmp_path / "v").exit_code == 0
    assert_one_line_error(invoke("validate", *runs, "--out", tmp_path / "v"), str(runs[1]),
                          "different scenario", "--allow-mixed")
    mixed = invoke("validate", *runs, "--allow-mixed", "--json", "--out", tmp_path / "v")
    assert mixed.exit_code == 0, mixed.stderr


def test_redirected_output_reports_each_replicate(tmp_path):
    result = invoke("validate", BASELINE, "--replicates", "2", "--out", tmp_path / "v",
                    "--set", "simulation.n_firms=150")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "replicate" in line]
    assert [line.split(", ")[0].split(": ")[1] for line in lines] == [
        "replicate 1 of 2 done", "replicate 2 of 2 done"]
    assert "s left" in lines[0]


def test_run_directory_lacking_files(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    assert_one_line_error(invoke("validate", tmp_path), str(tmp_path), "events.parquet")


def test_missing_run_directory(tmp_path):
    assert_one_line_error(invoke("validate", tmp_path / "nope"), "nope", "not found")


@pytest.mark.parametrize("n", ["0", "-2"])
def test_replicates_below_one(n):
    assert_one_line_error(invoke("validate", BASELINE, "--replicates", n), "--replicates",
                          n, ">= 1")


def test_bad_scenario(tmp_path):
    assert_one_line_error(invoke("validate", tmp_path / "missing.toml"), "missing.toml")
    assert_one_line_error(
        invoke("validate", BASELINE, "--set", "policy.trade_openness=7"),
        "policy.trade_openness", "7",
    )


def _late(*fractions):
    """Per-replicate fractions of one share moment (late_share: 0.542 +/- 0.05)."""
    return [{"late_share": f} for f in fractions]


@pytest.mark.parametrize(("size", "expected"), [(1, 3 / 4), (2, 3 / 6), (3, 1 / 4)])
def test_pass_chances_on_hand_built_replicates(size, expected):
    """One heavy replicate far off the paper spoils every sub-ensemble that holds it: the
    chance of passing is the share of the C(4, size) sub-ensembles that leave it out."""
    replicates = _late((100, 100), (5.4, 10), (5.5, 10), (5.3, 10))
    chances, all_pass = pass_chances(replicates, size, np.random.default_rng(3))
    assert chances["late_share"] == pytest.approx(expected, abs=0.05)
    assert all_pass == chances["late_share"]
    assert pass_chances(replicates, size, np.random.default_rng(3)) == (chances, all_pass)


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
                min_size=3, max_size=12), st.integers(1, 11))
@settings(max_examples=40, deadline=None)
def test_all_pass_is_at_most_the_least_moment_chance(rows, size):
    size = min(size, len(rows) - 1)
    replicates = [{"late_share": (a, a + b), "small_to_medium_late": (a, c)} for a, b, c in rows]
    chances, all_pass = pass_chances(replicates, size, np.random.default_rng(0), draws=200)
    assert set(chances) == {"late_share", "small_to_medium_late"}
    assert all(0 <= c <= 1 for c in chances.values())
    assert 0 <= all_pass <= min(chances.values())


def test_subsample_end_to_end(tmp_path):
    result = invoke("validate", BASELINE, "--replicates", "4", "--subsample", "2", "--out",
                    tmp_path, *SMALL)
    assert result.exit_code == 0, result.stderr
    assert "chance" in result.stdout and "ensembles of 2 drawn from these 4" in result.stdout
    record = json.loads((tmp_path / "moments.json").read_text())
    sub = record["subsample"]
    assert (sub["size"], sub["replicates"], sub["draws"]) == (2, 4, 2000)
    chances = [m["pass_chance"] for m in record["moments"]]
    assert all(0 <= c <= 1 for c in chances) and sub["all_pass"] <= min(chances)
    assert "pass_chance" in (tmp_path / "moments.csv").read_text().splitlines()[0]
    doc = json.loads(invoke("validate", BASELINE, "--replicates", "4", "--subsample", "2",
                            "--json", "--out", tmp_path / "j", *SMALL).stdout)
    assert all(list(m) == KEYS for m in doc["moments"])  # the --json contract stays


@pytest.mark.parametrize("size", ["3", "0"])
def test_subsample_needs_more_replicates(size, tmp_path):
    assert_one_line_error(invoke("validate", BASELINE, "--replicates", "3", "--subsample", size,
                                 "--out", tmp_path, *SMALL),
                          "--subsample", size, "below the number of replicates (3)")
    assert not (tmp_path / "moments.json").exists()  # refused before anything ran


def _killed(data, seed):
    """A replicate whose worker process is killed (as the kernel does when memory runs out)."""
    os._exit(9)


def test_a_killed_worker_is_a_one_line_error():
    scenario = load_scenario(BASELINE, ["simulation.n_firms=100"])
    with pytest.raises(UserError, match=r"a worker process was killed .* fewer workers"):
        run_ensemble(scenario, 2, workers=2, task=_killed)


def test_ensemble_runs_keep_only_the_firm_columns_the_moments_read():
    data = load_scenario(BASELINE, ["simulation.n_firms=300",
                                    "simulation.end_year=1990"]).to_dict()
    events, firms = run_one(data, 3, firm_columns=FIRM_COLUMNS)
    whole_events, whole = run_one(data, 3)
    assert list(firms.columns) == list(FIRM_COLUMNS)
    assert events.equals(whole_events)
    assert firms.astype(object).equals(whole[list(FIRM_COLUMNS)].astype(object))


def test_an_interrupted_validate_resumes_where_it_stopped(tmp_path, monkeypatch):
    """Each finished replicate is kept in ``--out`` as it arrives: a validate interrupted after
    two replicates runs only the third when run again, and its table is that of a run from
    scratch. A changed scenario, or a kept file cut short, is run again."""
    from restructuring_sim.paper import ensemble
    from restructuring_sim.paper.validate import run_validate

    fresh = run_validate([BASELINE], 3, 1, True, tmp_path / "fresh", SMALL[1:], quiet=True)
    ran = []

    def counted(data, seed, firm_columns=None):
        if len(ran) == 2 and interrupt:
            raise KeyboardInterrupt
        ran.append(seed)
        return run_one(data, seed, firm_columns=firm_columns)

    monkeypatch.setattr(ensemble, "run_one", counted)
    interrupt = True
    with pytest.raises(KeyboardInterrupt):
        run_validate([BASELINE], 3, 1, True, tmp_path / "out", SMALL[1:], quiet=True)
    (kept,) = (tmp_path / "out" / "replicates").iterdir()
    assert sorted(p.name for p in kept.iterdir()) == sorted(f"{s}.pkl" for s in ran)

    interrupt = False
    resumed = run_validate([BASELINE], 3, 1, True, tmp_path / "out", SMALL[1:], quiet=True)
    assert len(ran) == 3 and resumed == fresh
    seeds = replicate_seeds(load_scenario(BASELINE).simulation.seed, 3)
    assert ran == seeds  # each seed ran once, in order
    assert json.loads((tmp_path / "out" / "moments.json").read_text())["moments"] \
        == json.loads((tmp_path / "fresh" / "moments.json").read_text())["moments"]

    (kept / f"{seeds[0]}.pkl").write_bytes(b"cut sho")  # unreadable: run again
    run_validate([BASELINE], 3, 1, True, tmp_path / "out", SMALL[1:], quiet=True)
    assert ran[3:] == [seeds[0]]
    run_validate([BASELINE], 3, 1, True, tmp_path / "out",
                 [*SMALL[1:], "policy.trade_openness=0.5"], quiet=True)
    assert ran[4:] == seeds  # another scenario: its own replicates
    assert len(list((tmp_path / "out" / "replicates").iterdir())) == 2
