"""Atomic file output: a file is either absent or complete, never half-written."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def _atomic(path: Path, write) -> None:
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
    _atomic(Path(path), lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_json(data: Any, path: str | Path) -> None:
    """Write JSON atomically, keys sorted, two-space indent."""
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_text(text: str, path: str | Path) -> None:
    """Write text atomically."""
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
