"""``restructuring-sim validate`` end to end: a small ensemble of the baseline and run
directories, the table, the JSON document, the plots, and every user error (exit 2, one line).
"""

from __future__ import annotations

import json

import pytest
from conftest import BASELINE, assert_one_line_error, invoke

from restructuring_sim import load_scenario
from restructuring_sim.paper import load_figures
from restructuring_sim.paper.ensemble import replicate_seeds
from restructuring_sim.runner import run_scenario

SMALL = ["--set", "simulation.n_firms=300"]
KEYS = ["name", "paper", "model_mean", "low", "high", "tolerance", "pass"]


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
    assert [c["name"] for c in record["shape"]] == ["sme_alliances_rise", "services_lead_from",
                                                     "sme_deals_with_a_large_firm"]
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
