"""Shared fixtures and helpers: small runs of the baseline scenario, reused across test modules.

Runs are kept small (a few hundred to a few thousand firms) so that the suite stays fast; the
shared ones are session-scoped, so each pytest-xdist worker builds them at most once.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from restructuring_sim import RestructuringModel, load_scenario
from restructuring_sim.cli import app
from restructuring_sim.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"


def invoke(*args):
    """Run the command line in process and return typer's result (stdout and stderr apart)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def python_stdout(code: str, cwd: str | Path | None = None) -> str:
    """Standard output of ``code`` run by a fresh Python interpreter (which must succeed):
    what a new process imports and prints, apart from what this test session has loaded."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, check=True).stdout


def assert_one_line_error(result, *fragments: str) -> str:
    """Exit status 2, one line on stderr containing every fragment, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    err = result.stderr
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err and "Traceback" not in result.stdout
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]


def slim_copy(run_dir: Path, dest: Path, columns) -> Path:
    """A copy of ``run_dir`` at ``dest / run_dir.name`` (figures and reports name the run's
    folder) whose ``firms.parquet`` keeps only ``columns``; checks that some were dropped."""
    import shutil

    import pyarrow.parquet as pq

    slim = dest / run_dir.name
    shutil.copytree(run_dir, slim)
    firms = pq.read_table(run_dir / "firms.parquet")
    used = [c for c in firms.column_names if c in columns]
    assert len(used) < len(firms.column_names)
    pq.write_table(firms.select(used), slim / "firms.parquet")
    return slim


def make_model(overrides: Sequence[str] = (), *, seed: int = 1, n_firms: int = 500,
               scenario_path: Path | None = BASELINE) -> RestructuringModel:
    """A model of the baseline scenario with ``n_firms`` firms and the given ``--set`` overrides."""
    scenario = load_scenario(scenario_path, [f"simulation.n_firms={n_firms}", *overrides])
    return RestructuringModel(scenario, seed=seed)


def run_model(overrides: Sequence[str] = (), *, seed: int = 1,
              n_firms: int = 500) -> RestructuringModel:
    """A finished run (every step taken) of :func:`make_model`."""
    model = make_model(overrides, seed=seed, n_firms=n_firms)
    model.run()
    return model


def formed(events: pd.DataFrame) -> pd.DataFrame:
    """The ``alliance_formed`` rows of an event log."""
    return events[events["kind"] == "alliance_formed"]


def has_purpose(events: pd.DataFrame, purpose: str) -> pd.Series:
    """Boolean per row: whether the deal lists ``purpose`` among its purposes."""
    return events["purposes"].map(lambda ps: purpose in list(ps))


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory) -> tuple[RestructuringModel, Path]:
    """The baseline scenario (3,000 firms, seed 5) run through the runner into a run directory."""
    scenario = load_scenario(BASELINE, ["simulation.n_firms=3000"], seed=5)
    out = tmp_path_factory.mktemp("baseline_run")
    model = run_scenario(scenario, out)
    return model, out


@pytest.fixture(scope="session")
def baseline_model(baseline_run) -> RestructuringModel:
    """The finished model of :func:`baseline_run`."""
    return baseline_run[0]


@pytest.fixture(scope="session")
def run_dir(baseline_run) -> Path:
    """The run directory of :func:`baseline_run`."""
    return baseline_run[1]


@pytest.fixture(scope="session")
def baseline_events(baseline_model) -> pd.DataFrame:
    """The event log of :func:`baseline_run` as a DataFrame."""
    return baseline_model.events.to_pandas()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say once, at the end, that the browser tests were skipped for want of chromium and how to
    run them (pytest's own skip list is easy to miss)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if "chromium" in str(getattr(r, "longrepr", "")).lower()]
    if not skipped:
        return
    terminalreporter.write_sep("-", "browser tests skipped", yellow=True)
    terminalreporter.write_line(
        f"{len(skipped)} dashboard browser tests (tests/test_dashboard.py) were skipped: Debian's "
        "chromium is not installed at /usr/bin/chromium. To run them: `apt-get install chromium` "
        "(as .ci/run does), then `make test`.")
