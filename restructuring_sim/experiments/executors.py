"""Executors for sweeps, ensembles and calibrations: a local process pool or a Dask cluster,
behind one interface.

Both are :class:`concurrent.futures.Executor` objects, so the sweep loop is the same for each:
``local`` is a :class:`~concurrent.futures.ProcessPoolExecutor` over the machine's cores;
``dask`` is a ``distributed`` client's executor (``client.get_executor(pure=False)``: every run is
its own task even if two calls look alike), on an existing cluster (``--scheduler ADDR``) or on a
:class:`distributed.LocalCluster` started for the sweep (``--dask-workers N``).
:func:`cluster_executor` gives ``validate`` and ``calibrate`` the same options.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from restructuring_sim.errors import UserError

EXECUTORS = ("local", "dask")


@dataclass
class ExecutorInfo:
    """What ran the sweep: kind, worker slots, and a description for the manifest."""

    kind: str
    workers: int
    address: str = ""


def resolve_kind(executor: str | None, dask_workers: int | None, scheduler: str | None) -> str:
    """The executor kind from the command-line options; reject contradictory ones."""
    if dask_workers is not None and scheduler is not None:
        raise UserError("--dask-workers and --scheduler: give one (start a cluster, or join one)")
    if dask_workers is not None and dask_workers < 1:
        raise UserError(f"--dask-workers {dask_workers}: must be >= 1")
    if executor is None:
        return "dask" if dask_workers is not None or scheduler is not None else "local"
    if executor not in EXECUTORS:
        raise UserError(f"--executor {executor!r}: unknown; allowed: {', '.join(EXECUTORS)}")
    if executor == "local" and (dask_workers is not None or scheduler is not None):
        option = "--dask-workers" if dask_workers is not None else "--scheduler"
        raise UserError(f"{option}: only with --executor dask")
    return executor


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


@contextlib.contextmanager
def open_executor(kind: str = "local", *, workers: int | None = None,
                  dask_workers: int | None = None, scheduler: str | None = None,
                  dask_processes: bool = True) -> Iterator[tuple[Executor, ExecutorInfo]]:
    """Open an executor and yield ``(executor, info)``; close it (and any cluster) on exit.

    Parameters
    ----------
    kind : "local" or "dask".
    workers : local processes (default: every core).
    dask_workers : start a LocalCluster with this many single-threaded workers.
    scheduler : address of an existing Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
    dask_processes : LocalCluster workers as processes (True) or threads in this process.
    """
    if kind == "local":
        n = workers or os.cpu_count() or 1
        # forkserver/spawn: workers start from a clean interpreter, never from a fork of a
        # process that runs threads (the progress bar, a Dask client)
        pool = ProcessPoolExecutor(max_workers=n, mp_context=_mp_context())
        try:
            yield pool, ExecutorInfo("local", n)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # interrupted: drop queued runs
            raise
        pool.shutdown(wait=True)
        return
    if kind != "dask":
        raise UserError(f"--executor {kind!r}: unknown; allowed: {', '.join(EXECUTORS)}")
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a declared dependency
        raise UserError("--executor dask: the 'distributed' package is not installed") from None
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout="20s"))
            except (OSError, TimeoutError) as exc:
                raise UserError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        else:
            n = dask_workers or os.cpu_count() or 1
            # workers (and those restarted) fork from a server that has imported Dask and
            # numpy: they start and stop in a fraction of the time of fresh interpreters (spawn,
            # Dask's default), as this command's own local processes do
            stack.enter_context(dask.config.set(
                {"distributed.worker.multiprocessing-method": _mp_context().get_start_method()}))
            cluster = stack.enter_context(LocalCluster(
                n_workers=n, threads_per_worker=1, processes=dask_processes,
                dashboard_address=":0", silence_logs=40,  # any free port: clusters may overlap
            ))
            client = stack.enter_context(Client(cluster))
        slots = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        yield client.get_executor(pure=False), ExecutorInfo("dask", max(slots, 1),
                                                             str(client.scheduler.address))


@contextlib.contextmanager
def cluster_executor(executor: str | None = None, dask_workers: int | None = None,
                     scheduler: str | None = None, *, dask_processes: bool = True,
                     workers: int = 1) -> Iterator[tuple[Executor | None, ExecutorInfo | None]]:
    """The executor ``validate`` and ``calibrate`` hand their runs to, from the options they
    share with ``sweep`` (``--executor``, ``--dask-workers``, ``--scheduler``): ``(None,
    None)`` for local processes (the command keeps its own process pool, sized by its
    ``--workers`` or budget), else a Dask executor and its :class:`ExecutorInfo`, closed (with
    any cluster started for it) on exit. ``workers`` is the command's local process count: more
    than one with Dask is a contradiction (the cluster's workers run the replicates)."""
    kind = resolve_kind(executor, dask_workers, scheduler)
    if kind == "local":
        yield None, None
        return
    if workers > 1:
        raise UserError(f"--workers {workers}: only with --executor local (a Dask cluster's "
                        "workers run the replicates: see --dask-workers)")
    with open_executor("dask", dask_workers=dask_workers, scheduler=scheduler,
                       dask_processes=dask_processes) as opened:
        yield opened
