"""Run a sweep: every (design point, replicate) of a plan on an executor, into a result store.

The parent process submits runs to the executor (a bounded window of runs in flight), and writes
each finished run's file as soon as its result arrives, so a kill loses only the runs in flight.
Workers only compute: :func:`run_task` takes plain data and returns plain data, and catches any
error of the run so that one bad run is recorded as failed and the sweep goes on.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from restructuring_sim._version import __version__
from restructuring_sim.experiments.executors import open_executor
from restructuring_sim.experiments.spec import Plan, RunTask
from restructuring_sim.experiments.store import Store, run_rows


def run_task(task: RunTask) -> dict[str, Any]:
    """Run one scenario with one seed and compute its metrics (executed on a worker).

    Never raises for a failing run: the error comes back as ``status = "failed"``.
    """
    from restructuring_sim.experiments.metrics import compute_from_model
    from restructuring_sim.memory import prepare_process
    from restructuring_sim.model import RestructuringModel
    from restructuring_sim.scenario import scenario_from_dict, set_dotted

    prepare_process()
    started = time.perf_counter()
    try:
        scenario = scenario_from_dict(set_dotted(task.scenario_data, "simulation.seed", task.seed),
                                      source=task.run_key)
        model = RestructuringModel(scenario)
        model.run()
        metrics = compute_from_model(model, task.metrics)
        events = model.events.to_arrow() if task.keep_events else None
        return {"status": "ok", "error": "", "metrics": metrics, "events": events,
                "wall_time_s": time.perf_counter() - started}
    except Exception as exc:  # noqa: BLE001 - any error of a run is recorded, not raised
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}{where}",
                "metrics": {}, "events": None, "wall_time_s": time.perf_counter() - started}


@dataclass
class SweepReport:
    """The outcome of a sweep command."""

    out: Path
    total: int
    skipped: int
    ran: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    lost: int = 0
    broken: str = ""
    wall_time_s: float = 0.0
    executor: str = ""
    workers: int = 0

    @property
    def runs_per_minute(self) -> float:
        """Throughput of the runs this invocation executed."""
        return 60.0 * self.ran / self.wall_time_s if self.wall_time_s > 0 else float("nan")


def run_sweep(plan: Plan, out: str | Path, *, executor: str = "local",
              workers: int | None = None, dask_workers: int | None = None,
              scheduler: str | None = None, dask_processes: bool = True,
              progress: Callable[[int, int, int], None] | None = None,
              task_fn: Callable[[RunTask], dict[str, Any]] = run_task) -> SweepReport:
    """Run every unfinished run of ``plan`` into ``out`` and rebuild the combined results.

    Parameters
    ----------
    plan : the resolved sweep.
    out : the sweep directory (created; resumed if it holds the same spec).
    executor, workers, dask_workers, scheduler, dask_processes : see
        :func:`~restructuring_sim.experiments.executors.open_executor`.
    progress : called as ``progress(done, total, failed)`` after every finished run.
    task_fn : the worker function (replaceable in tests).
    """
    store = Store(out)
    spec_hash = plan.spec_hash()
    store.prepare(spec_hash)
    tasks = plan.tasks()
    keys = [t.run_key for t in tasks]
    with store.lock():
        done = store.finished()
        todo = [t for t in tasks if t.run_key not in done]
        report = SweepReport(out=Path(out), total=len(tasks), skipped=len(tasks) - len(todo),
                             ran=0)
        manifest = _manifest(plan, spec_hash, store.read_manifest())
        started = time.perf_counter()
        if progress:
            progress(report.skipped, report.total, 0)
        if todo:
            if executor == "local":  # no more processes than runs left to do
                workers = min(workers or os.cpu_count() or 1, len(todo))
            with open_executor(executor, workers=workers, dask_workers=dask_workers,
                               scheduler=scheduler, dask_processes=dask_processes) as (ex, info):
                report.executor, report.workers = info.kind, info.workers
                manifest["executor"] = {"kind": info.kind, "workers": info.workers,
                                        "address": info.address}
                manifest["status"] = "running"
                store.write_manifest(manifest)
                try:
                    _drive(ex, info.workers, todo, plan, store, report, progress, task_fn)
                except BrokenProcessPool as exc:
                    # a worker process died (killed, out of memory): the runs in flight are
                    # not recorded and run again when the sweep is rerun
                    report.broken = str(exc) or "a worker process died"
        report.wall_time_s = time.perf_counter() - started
        table = store.combine(keys, plan.param_kinds)
        failed = sorted({(r["run_key"], r["error"]) for r in table.select(
            ["run_key", "status", "error"]).to_pylist() if r["status"] == "failed"})
        report.failed = failed
        manifest.update(
            status="complete" if len(store.finished() & set(keys)) == len(keys) else "partial",
            updated=_now(), runs_total=len(tasks),
            runs_finished=len(store.finished() & set(keys)), runs_failed=len(failed),
            failed_runs=[{"run_key": k, "error": e} for k, e in failed],
            last_invocation={"ran": report.ran, "skipped": report.skipped,
                             "wall_time_s": round(report.wall_time_s, 3),
                             "runs_per_minute": round(report.runs_per_minute, 2)
                             if report.ran else None},
        )
        store.write_manifest(manifest)
    return report


def _drive(ex, slots: int, todo: list[RunTask], plan: Plan, store: Store, report: SweepReport,
           progress, task_fn) -> None:
    """Keep a bounded window of runs in flight; write each result as it arrives."""
    window = max(4 * slots, 8)
    queue = iter(todo)
    inflight: dict[Future, RunTask] = {}
    failed = 0

    def fill() -> None:
        while len(inflight) < window:
            task = next(queue, None)
            if task is None:
                return
            inflight[ex.submit(task_fn, task)] = task

    fill()
    while inflight:
        finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for fut in finished:
            task = inflight.pop(fut)
            try:
                result = fut.result()
            except BrokenProcessPool:
                report.lost = report.total - report.skipped - report.ran
                raise
            except Exception as exc:  # noqa: BLE001 - the worker itself failed (e.g. unpicklable)
                result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                          "metrics": {}, "events": None, "wall_time_s": 0.0}
            store.write_run(run_rows(task, result, plan.param_kinds), result.get("events"))
            report.ran += 1
            if result["status"] != "ok":
                failed += 1
            if progress:
                progress(report.skipped + report.ran, report.total, failed)
        fill()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _manifest(plan: Plan, spec_hash: str, old: dict[str, Any] | None) -> dict[str, Any]:
    from restructuring_sim.runner import git_commit

    spec = plan.spec
    return {
        "kind": "sweep",
        "spec_hash": spec_hash,
        "spec_path": str(plan.spec_path) if plan.spec_path else None,
        "spec": spec.model_dump(mode="json"),
        "scenario_path": str(plan.scenario_path) if plan.scenario_path else None,
        "package_version": __version__,
        "git_commit": git_commit(),
        "created": (old or {}).get("created", _now()),
        "updated": _now(),
        "design": spec.design,
        "parameters": list(plan.param_kinds),
        "metrics": list(spec.metrics),
        "points": len(plan.points),
        "replicates": spec.replicates,
        "baseline_point": plan.reference if plan.reference is not None else next(
            (p.point_id for p in plan.points if p.is_baseline), None),
        "labels": {str(k): v for k, v in plan.labels.items()},
        "problem": plan.problem,
    }
