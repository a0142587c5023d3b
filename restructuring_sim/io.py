"""Atomic file output: a file is either absent or complete, never half-written."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def write_atomic(path: str | Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Any writer that takes a file name works, e.g. ``lambda tmp: fig.savefig(tmp, format="png")``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet(table: pa.Table, path: str | Path) -> None:
    """Write an Arrow table to Parquet atomically (write to a temporary file, then rename)."""
    write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_json(data: Any, path: str | Path) -> None:
    """Write JSON atomically, keys sorted, two-space indent."""
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_bytes(data: bytes, path: str | Path) -> None:
    """Write bytes atomically."""
    write_atomic(path, lambda tmp: Path(tmp).write_bytes(data))


def write_text(text: str, path: str | Path) -> None:
    """Write text atomically."""
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
