"""The result store of a sweep directory.

Layout of ``--out DIR``::

    manifest.json          spec, spec hash, package version, executor, progress, failed runs
    runs/p00003-r001.parquet    one small file per finished run (its metric rows)
    events/p00003-r001.parquet  the run's event log (only with keep_events)
    results.parquet        every run file combined, sorted by point, replicate and metric

A run file is written atomically (temporary file, then rename) and only after the run's event log,
so a run counts as finished exactly when its run file exists: a sweep killed at any moment leaves
complete files only, and rerunning it skips the finished runs. ``results.parquet`` is rebuilt
from the run files at the end of every sweep.

Rows (one per run and metric): ``point_id, replicate, run_key, seed, is_baseline``, one column per
parameter (named by its dotted key; null on the baseline point), ``metric, value, status`` ("ok"
or "failed"), ``error`` (empty unless failed) and ``wall_time_s`` (the only column that differs
between two executions of the same spec).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from restructuring_sim.errors import UserError
from restructuring_sim.io import write_json, write_parquet

RUNS = "runs"
EVENTS = "events"
RESULTS = "results.parquet"
MANIFEST = "manifest.json"
LOCK = ".lock"

_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


def schema(param_kinds: dict[str, str]) -> pa.Schema:
    """Schema of the result rows for a sweep with these parameter kinds."""
    return pa.schema(
        [("point_id", pa.int32()), ("replicate", pa.int32()), ("run_key", pa.string()),
         ("seed", pa.int64()), ("is_baseline", pa.bool_())]
        + [(name, _TYPES[kind]) for name, kind in param_kinds.items()]
        + [("metric", pa.string()), ("value", pa.float64()), ("status", pa.string()),
           ("error", pa.string()), ("wall_time_s", pa.float64())]
    )


def _param_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "str" and not isinstance(value, str):
        return json.dumps(value, sort_keys=True)
    return value


def run_rows(task, result: dict[str, Any], param_kinds: dict[str, str]) -> pa.Table:
    """The metric rows of one run (all metrics NaN when it failed)."""
    metrics = list(task.metrics)
    values = result.get("metrics") or {}
    n = len(metrics)
    cols: dict[str, list] = {
        "point_id": [task.point_id] * n, "replicate": [task.replicate] * n,
        "run_key": [task.run_key] * n, "seed": [task.seed] * n,
        "is_baseline": [task.is_baseline] * n,
    }
    for name, kind in param_kinds.items():
        cols[name] = [_param_value(task.params.get(name), kind)] * n
    cols["metric"] = metrics
    cols["value"] = [float(values.get(m, float("nan"))) for m in metrics]
    cols["status"] = [result["status"]] * n
    cols["error"] = [result.get("error", "")] * n
    cols["wall_time_s"] = [float(result.get("wall_time_s", 0.0))] * n
    return pa.table(cols, schema=schema(param_kinds))


def _foreign(path: Path) -> bool:
    """Whether an entry of a directory without manifest is more than a sweep's empty start."""
    if path.name in (LOCK, MANIFEST) or path.name.startswith("."):
        return False
    if path.name in (RUNS, EVENTS) and path.is_dir():
        return any(not p.name.startswith(".") for p in path.iterdir())
    return True


class Store:
    """A sweep directory: finished runs, their files, the manifest and the combined results."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def prepare(self, spec_hash: str) -> None:
        """Create the directory; refuse one that holds a different sweep or other files."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise UserError(f"--out {root}: exists and is not a directory")
        manifest = self.read_manifest()
        if manifest is not None and manifest.get("spec_hash") != spec_hash:
            raise UserError(
                f"--out {root}: holds a sweep of another spec (hash "
                f"{str(manifest.get('spec_hash'))[:12]}, this one {spec_hash[:12]}); "
                "choose another --out or delete that directory"
            )
        if manifest is None and root.is_dir() and any(_foreign(p) for p in root.iterdir()):
            raise UserError(f"--out {root}: directory exists, is not empty and holds no sweep")
        try:
            (root / RUNS).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--out {root}: cannot create directory ({exc.strerror})") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory (released by the OS even on SIGKILL)."""
        fd = os.open(self.root / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(f"--out {self.root}: another sweep is writing to it") from None
            self._clean_temporaries()
            yield
        finally:
            os.close(fd)

    def _clean_temporaries(self) -> None:
        for sub in (RUNS, EVENTS, "."):
            d = self.root / sub
            if d.is_dir():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    def run_path(self, run_key: str) -> Path:
        """Path of a run's metric file."""
        return self.root / RUNS / f"{run_key}.parquet"

    def events_path(self, run_key: str) -> Path:
        """Path of a run's event log."""
        return self.root / EVENTS / f"{run_key}.parquet"

    def finished(self) -> set[str]:
        """Keys of the runs whose run file exists."""
        d = self.root / RUNS
        return {p.stem for p in d.glob("p*-r*.parquet")} if d.is_dir() else set()

    def write_run(self, rows: pa.Table, events: pa.Table | None) -> None:
        """Write a run: its event log first (if any), then the run file that marks it done."""
        key = rows.column("run_key")[0].as_py()
        if events is not None:
            write_parquet(events, self.events_path(key))
        write_parquet(rows, self.run_path(key))

    def combine(self, run_keys: list[str], param_kinds: dict[str, str]) -> pa.Table:
        """Build ``results.parquet`` from the run files of ``run_keys`` (those that exist)."""
        sch = schema(param_kinds)
        done = self.finished()
        tables = [pq.read_table(self.run_path(k)).cast(sch) for k in run_keys if k in done]
        table = pa.concat_tables(tables) if tables else sch.empty_table()
        write_parquet(table, self.root / RESULTS)
        return table

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if the directory holds none."""
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise UserError(f"--out {self.root}: {MANIFEST} is unreadable") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write the manifest atomically."""
        write_json(manifest, self.root / MANIFEST)


def read_results(root: str | Path) -> tuple[pa.Table, dict[str, Any]]:
    """The combined results and the manifest of a sweep directory."""
    root = Path(root)
    store = Store(root)
    if (root / "events.parquet").is_file():
        raise UserError(f"{root}: a run directory (one run), not a sweep directory; compare "
                        "takes a sweep directory or scenario files (validate compares run "
                        "directories with the paper)")
    manifest = store.read_manifest()
    missing = [name for name, there in ((MANIFEST, manifest is not None),
                                        (RESULTS, (root / RESULTS).is_file())) if not there]
    if missing:
        raise UserError(f"{root}: not a finished sweep directory (no {' and no '.join(missing)})")
    return pq.read_table(root / RESULTS), manifest
