"""Progress bars of the long commands (``run`` by year, ``validate``, ``sweep``): drawn on stderr
when it is a terminal, never when it is not, silenced by ``--quiet``; stdout (``--json``) is the
same with or without them."""

from __future__ import annotations

import io
import json

import pytest
from conftest import BASELINE, invoke
from rich.console import Console

from restructuring_sim import console as term

SMALL = ["--set", "simulation.n_firms=200", "--set", "simulation.end_year=1990"]


@pytest.fixture
def terminal(monkeypatch) -> io.StringIO:
    """stderr replaced by a terminal whose output the test reads."""
    screen = io.StringIO()
    monkeypatch.setattr(term, "err_console",
                        Console(file=screen, force_terminal=True, width=120, color_system=None))
    return screen


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", *SMALL)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "Run summary" in result.stdout


def test_run_shows_years_on_a_terminal(tmp_path, terminal):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", *SMALL)
    assert result.exit_code == 0, result.stderr
    shown = terminal.getvalue()
    assert "years" in shown and "0/3" in shown and "3/3" in shown  # 1988-1990
    assert "baseline (seed 1)" in shown


def test_quiet_silences_the_bar(tmp_path, terminal):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--quiet", *SMALL)
    assert result.exit_code == 0, result.stderr
    assert terminal.getvalue() == ""
    assert result.stdout == ""


# a small validation leaves some years without events: its figures say so without numpy's
# warnings about empty slices reaching the user
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_validate_bar_and_json_unchanged(tmp_path, terminal, monkeypatch):
    args = ["validate", BASELINE, "--replicates", "2", "--json", *SMALL]
    shown = invoke(*args, "--out", tmp_path / "a")
    assert shown.exit_code == 0, shown.stderr
    assert "replicates" in terminal.getvalue() and "2/2" in terminal.getvalue()
    monkeypatch.setattr(term, "err_console", Console(file=io.StringIO()))  # not a terminal
    plain = invoke(*args, "--out", tmp_path / "b")
    assert plain.exit_code == 0, plain.stderr
    assert json.loads(shown.stdout) == json.loads(plain.stdout)
    assert shown.stdout == plain.stdout


def test_validate_quiet(tmp_path, terminal):
    result = invoke("validate", BASELINE, "--replicates", "2", "--json", "--quiet",
                    "--out", tmp_path / "a", *SMALL)
    assert result.exit_code == 0, result.stderr
    assert terminal.getvalue() == ""


def test_sweep_counts_runs(tmp_path, terminal):
    spec = tmp_path / "spec.toml"
    spec.write_text(f'''
scenario = "{BASELINE}"
design = "grid"
replicates = 1
seed = 3
metrics = ["alliances_formed"]

[fixed]
"simulation.n_firms" = 150
"simulation.end_year" = 1989

[parameters]
"policy.trade_openness" = [0.3, 0.9]
''', encoding="utf-8")
    result = invoke("sweep", spec, "--out", tmp_path / "sweep", "--workers", "1")
    assert result.exit_code == 0, result.stderr
    shown = terminal.getvalue()
    assert "runs" in shown and "2/2" in shown


def test_calibrate_counts_generations(tmp_path, terminal):
    spec = tmp_path / "tiny.toml"
    spec.write_text(f'''
name = "tiny"
scenario = "{BASELINE.as_posix()}"
seed = 5
overrides = ["simulation.n_firms=150", "simulation.end_year=1990"]
moments = ["sme_only_share"]

[parameters."behaviour.sample_size"]
low = 2.0
high = 8.0

[budget]
population_size = 3
generations = 2
replicates = 1
check_replicates = 1
''', encoding="utf-8")
    result = invoke("calibrate", spec)
    assert result.exit_code == 0, result.stderr
    shown = terminal.getvalue()
    assert "generations" in shown and "2/2" in shown
    assert "generation 1: epsilon" in shown  # the generation lines print above the bar
