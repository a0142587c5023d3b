"""The ``restructuring-sim`` command line, end to end.

A successful ``run`` writes the six files of the run directory and prints a summary table. Every
user error exits with status 2 and exactly one line on stderr that names the field or path and the
value, with no traceback. The command is exercised in process (typer's ``CliRunner``) and as a
real subprocess (console script and ``python -m``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT, assert_one_line_error, invoke

from restructuring_sim import load_scenario
from restructuring_sim.runner import RUN_FILES, run_scenario

SMALL = ["--set", "simulation.n_firms=300"]


def console_script() -> list[str]:
    """The installed ``restructuring-sim`` entry point next to this interpreter, if any."""
    script = Path(sys.executable).parent / "restructuring-sim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "restructuring_sim"]


# ------------------------------------------------------------------ success


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One successful in-process ``run`` of the baseline (300 firms, seed 2)."""
    out = tmp_path_factory.mktemp("cli") / "run"
    result = invoke("run", BASELINE, "--seed", "2", "--out", out, *SMALL)
    return result, out


def test_run_writes_the_run_directory(cli_run):
    result, out = cli_run
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2
    assert manifest["scenario"]["simulation"]["n_firms"] == 300
    assert manifest["scenario"]["name"] == "baseline"


def test_run_prints_a_summary_table(cli_run):
    result, _ = cli_run
    out = result.stdout
    assert "Run summary" in out
    for kind in ("alliance_formed", "alliance_dissolved"):
        assert f"events: {kind}" in out
    assert "alliances involving SMEs (share)" in out
    assert "cross-border alliances (share)" in out
    assert "error" not in result.stderr.lower()


def test_summary_counts_match_the_event_log(cli_run):
    import pyarrow.parquet as pq

    result, out = cli_run
    events = pq.read_table(out / "events.parquet").to_pandas()
    n_formed = int((events["kind"] == "alliance_formed").sum())
    row = next(line for line in result.stdout.splitlines() if "events: alliance_formed" in line)
    assert f"{n_formed:,}" in row


def test_quiet_prints_nothing(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "q", "--quiet", *SMALL)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (tmp_path / "q" / "events.parquet").is_file()


def test_set_is_repeatable_and_applied(tmp_path):
    out = tmp_path / "r"
    result = invoke("run", BASELINE, "--out", out, "-q", *SMALL,
                    "--set", "policy.trade_openness=0.3",
                    "--set", "drivers.ict_cost={1988 = 1.0, 2000 = 0.8}",
                    "--set", "name=closed")
    assert result.exit_code == 0, result.stderr
    scenario = json.loads((out / "manifest.json").read_text())["scenario"]
    assert scenario["policy"]["trade_openness"] == 0.3
    assert scenario["drivers"]["ict_cost"] == {"1988": 1.0, "2000": 0.8}
    assert scenario["name"] == "closed"


def test_overwrite_replaces_a_run(tmp_path):
    out = tmp_path / "run"
    assert invoke("run", BASELINE, "--out", out, "-q", "--seed", "1", *SMALL).exit_code == 0
    first = (out / "events.parquet").read_bytes()
    refused = invoke("run", BASELINE, "--out", out, "-q", "--seed", "2", *SMALL)
    assert_one_line_error(refused, str(out), "not empty", "--overwrite")
    assert (out / "events.parquet").read_bytes() == first  # left untouched
    result = invoke("run", BASELINE, "--out", out, "-q", "--seed", "2", "--overwrite", *SMALL)
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert (out / "events.parquet").read_bytes() != first


def test_empty_existing_out_directory_is_fine(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    result = invoke("run", BASELINE, "--out", out, "-q", *SMALL)
    assert result.exit_code == 0, result.stderr


def test_help():
    result = invoke("run", "--help")
    assert result.exit_code == 0
    for option in ("--seed", "--out", "--set", "--overwrite"):
        assert option in result.stdout


# ------------------------------------------------------------------ errors


def test_missing_scenario_file(tmp_path):
    missing = tmp_path / "nope.toml"
    result = invoke("run", missing, "--out", tmp_path / "o")
    assert_one_line_error(result, str(missing), "not found")
    assert not (tmp_path / "o").exists()


def test_malformed_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy\ntrade_openness = 0.3\n")
    result = invoke("run", bad, "--out", tmp_path / "o")
    assert_one_line_error(result, str(bad), "malformed TOML")


def test_unknown_key_in_file(tmp_path):
    sc = tmp_path / "typo.toml"
    sc.write_text("[policy]\ntrade_opennes = 0.3\n")
    result = invoke("run", sc, "--out", tmp_path / "o")
    assert_one_line_error(result, "policy.trade_opennes", "unknown key", "trade_openness")


def test_unknown_key_from_set(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "o", "--set", "polcy.x=1")
    assert_one_line_error(result, "polcy", "unknown key", "policy")


def test_out_of_range_set(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "o",
                    "--set", "policy.trade_openness=1.5")
    assert_one_line_error(result, "policy.trade_openness", "1.5", "maximum 1")
    assert not (tmp_path / "o").exists()


def test_out_of_range_time_path_point(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "o",
                    "--set", "drivers.ict_cost={1988 = 1.0, 2000 = -0.2}")
    assert_one_line_error(result, "drivers.ict_cost", "-0.2")


def test_end_year_before_start_year(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "o",
                    "--set", "simulation.end_year=1980")
    assert_one_line_error(result, "simulation.end_year", "1980", "start_year", "1988")


def test_end_year_before_start_year_in_file(tmp_path):
    sc = tmp_path / "years.toml"
    sc.write_text("[simulation]\nstart_year = 1995\nend_year = 1990\n")
    result = invoke("run", sc, "--out", tmp_path / "o")
    assert_one_line_error(result, "end_year", "1990", "1995")


def test_set_without_value(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "o", "--set", "policy.trade_openness")
    assert_one_line_error(result, "policy.trade_openness", "KEY=VALUE")


def test_negative_seed_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "o", "--seed", "-1")
    assert_one_line_error(result, "seed", "-1")


def test_out_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = invoke("run", BASELINE, "--out", target, *SMALL)
    assert_one_line_error(result, str(target), "not a directory")


def test_non_empty_out_without_overwrite(tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = invoke("run", BASELINE, "--out", out, *SMALL)
    assert_one_line_error(result, str(out), "--overwrite")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


# ------------------------------------------------------------------ real subprocesses


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(NO_COLOR="1", COLUMNS="120", PYTHONHASHSEED="0")
    return env


def test_console_script_subprocess_matches_in_process_run(tmp_path):
    """The installed command writes the same event bytes as the library (any executor)."""
    out = tmp_path / "sub"
    proc = subprocess.run(
        [*console_script(), "run", str(BASELINE), "--seed", "4", "--out", str(out),
         "--set", "simulation.n_firms=300"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=_env(), check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    assert "Run summary" in proc.stdout and "events: alliance_formed" in proc.stdout
    assert "Traceback" not in proc.stderr
    here = tmp_path / "here"
    run_scenario(load_scenario(BASELINE, ["simulation.n_firms=300"], seed=4), here)
    assert (out / "events.parquet").read_bytes() == (here / "events.parquet").read_bytes()


def test_events_do_not_depend_on_the_interpreter_hash_seed(tmp_path):
    """Two fresh interpreters with different string-hash seeds write the same event bytes (no
    result may depend on the iteration order of a set or on ``hash``)."""
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"h{hash_seed}"
        env = _env()
        env["PYTHONHASHSEED"] = hash_seed
        proc = subprocess.run(
            [*console_script(), "run", str(BASELINE), "--seed", "6", "--out", str(out), "-q",
             "--set", "simulation.n_firms=300"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env, check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append((out / "events.parquet").read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "policy.trade_openness=1.5"], ["policy.trade_openness", "1.5"]),
        (["--set", "policy.trade_opennes=0.5"], ["policy.trade_opennes", "unknown key"]),
    ],
)
def test_module_subprocess_error_is_one_line(tmp_path, args, fragments):
    proc = subprocess.run(
        [sys.executable, "-m", "restructuring_sim", "run", str(BASELINE), "--out",
         str(tmp_path / "o"), *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=_env(), check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert proc.stdout == ""


def test_missing_file_subprocess(tmp_path):
    proc = subprocess.run(
        [*console_script(), "run", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env(), check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert str(tmp_path / "none.toml") in proc.stderr and "not found" in proc.stderr
