"""Run a scenario and write its run directory (the contract of ``restructuring-sim run``).

A run directory holds ``events.parquet``, ``firms.parquet``, ``timeseries.parquet``,
``network_edges.parquet``, ``network_metrics.parquet``, ``network_degrees.parquet`` and
``manifest.json``. Every file is written atomically, so an interrupted run leaves complete
files or none.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from restructuring_sim.errors import UserError
from restructuring_sim.events import KINDS
from restructuring_sim.io import make_out_dir, write_json, write_parquet
from restructuring_sim.memory import prepare_process, return_freed_memory
from restructuring_sim.model import RestructuringModel
from restructuring_sim.panel import ParquetStream, write_tables
from restructuring_sim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

RUN_FILES = (
    "events.parquet",
    "firms.parquet",
    "timeseries.parquet",
    "network_edges.parquet",
    "network_metrics.parquet",
    "network_degrees.parquet",
    "manifest.json",
)


def prepare_out_dir(out: str | Path, overwrite: bool) -> Path:
    """Check that ``out`` may be written: absent, empty, or ``overwrite`` given."""
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserError(
            f"--out {out}: directory exists and is not empty; pass --overwrite to replace its run"
        )
    return make_out_dir(out)


def git_commit() -> str | None:
    """The commit of the source tree the package runs from, if it is a git checkout."""
    return git_commit_later()()


def git_commit_later() -> Callable[[], str | None]:
    """:func:`git_commit`, asked of git now and read when the function returned is called.

    A run asks before its first step and reads the answer when it writes its manifest, so
    that git's start and answer (some 5-10 ms of a 10,000-firm run) pass while the model runs
    instead of at the end."""
    try:
        git = subprocess.Popen(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except (OSError, subprocess.SubprocessError):
        return lambda: None

    def answer() -> str | None:
        try:
            out, _ = git.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            git.kill()
            git.communicate()
            return None
        return out.strip() or None if git.returncode == 0 else None

    return answer


def run_scenario(scenario: Scenario, out: str | Path, *, overwrite: bool = False,
                 progress: Callable[[int], None] | None = None) -> RestructuringModel:
    """Run ``scenario`` to the end and write its run directory into ``out`` (the process's
    memory set up for a large run: see :func:`restructuring_sim.memory.prepare_process`)."""
    out = prepare_out_dir(out, overwrite)
    prepare_process()
    started = time.perf_counter()
    model = RestructuringModel(scenario)
    # the firm panel is written year by year while the model runs (see ParquetStream)
    panel = ParquetStream(out / "firms.parquet")
    commit = git_commit_later()  # answered while the model runs
    try:
        model.stream_firms(panel)
        model.run(progress)
        wall = time.perf_counter() - started
        write_run(model, out, wall, commit)
    except BaseException:
        panel.abort()
        commit()  # git's process waited for, not left behind
        raise
    return model


def write_run(model: RestructuringModel, out: Path, wall_time: float,
              commit: Callable[[], str | None] = git_commit) -> None:
    """Write every file of the run directory for a finished model (the firm panel by
    finishing the stream it was written to, if the model streamed it); ``commit`` gives the
    manifest's ``git_commit`` (see :func:`git_commit_later`).

    The firm panel's years are encoded on its thread as they end (a row group each); the last
    year of a panel of up to a million rows (some 75,000 firms over the baseline's 13 years)
    is encoded there while this one writes the other files. A larger panel is finished
    first, so that the memory its last year holds is free before the event log is built (at
    a million firms each takes some 400 MB). The event
    log is encoded on a second thread while this one writes the other files (pyarrow releases
    the GIL while it encodes); each file is written atomically as before. What the model
    keeps only to save work in later steps is let go of first
    (:meth:`RestructuringModel.release_caches`)."""
    model.release_caches()
    return_freed_memory()
    panel = model.streamed_firms
    alongside = panel is not None and panel.rows <= panel.row_group_rows
    if panel is None:  # the file the stream would have written: a row group per year
        write_tables(model.firm_years, out / "firms.parquet")
    elif alongside:
        panel.seal()
    else:
        panel.close()
    events = _Background(model.events.write, out / "events.parquet")
    try:
        write_parquet(model.timeseries_table(), out / "timeseries.parquet")
        model.network.write(out)
    finally:
        events.result()
    if alongside:
        panel.close()
    manifest = model.manifest()
    manifest.update(git_commit=commit(), wall_time_s=round(wall_time, 3),
                    files=list(RUN_FILES))
    write_json(manifest, out / "manifest.json")


class _Background(threading.Thread):
    """``function(*args)`` called on a thread of its own, started at once; :meth:`result` waits
    for it and raises what it raised (a thread rather than a one-thread pool: a run then does
    not import ``concurrent.futures`` and the ``logging`` it loads)."""

    def __init__(self, function: Callable, *args):
        super().__init__(name=getattr(function, "__name__", "background"), daemon=True)
        self._call = (function, args)
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        function, args = self._call
        try:
            function(*args)
        except BaseException as exc:  # handed to the caller by result
            self._error = exc

    def result(self) -> None:
        """Wait for the call to end; raise its error if it raised one."""
        self.join()
        if self._error is not None:
            raise self._error


def summarise(events: pd.DataFrame) -> dict[str, object]:
    """Headline numbers of an event log: events by kind, and shares among alliances formed."""
    counts = events["kind"].value_counts()
    formed = events[events["kind"] == "alliance_formed"]
    n = len(formed)
    return {
        "by_kind": {kind: int(counts.get(kind, 0)) for kind in KINDS},
        "alliances_formed": n,
        "sme_share": float(formed["involves_sme"].mean()) if n else float("nan"),
        "cross_border_share": float(formed["cross_border"].mean()) if n else float("nan"),
        "cross_border_sme_alliances": int((formed["involves_sme"] & formed["cross_border"]).sum()),
    }
