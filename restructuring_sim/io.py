"""File input and output for every command.

Output is atomic: a file is either absent or complete, never half-written. Input helpers turn
a missing, malformed or unreadable file into a one-line :class:`UserError`.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from restructuring_sim.errors import UserError


def write_atomic(path: str | Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Any writer that takes a file name works, e.g. ``lambda tmp: fig.savefig(tmp, format="png")``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the file written gets the mode any new file
        # gets here (0666 less the umask), as if opened directly
        os.fchmod(fd, new_file_mode())
    finally:
        os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def new_file_mode() -> int:
    """The mode a newly opened file gets here: 0666 less the process's umask (read by setting
    it and putting it back at once). Files written through a private temporary file
    (``mkstemp`` makes it 0600) take this mode, so colleagues can read them as usual."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


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


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse a TOML file; :class:`UserError` naming ``what`` and the path if it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} {path}: not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{what} {path}: malformed TOML ({exc})") from None
    except UnicodeDecodeError:
        raise UserError(f"{what} {path}: not UTF-8 text") from None


def make_out_dir(out: str | Path) -> Path:
    """Create the output directory ``out`` (and parents); :class:`UserError` if it cannot be."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create directory ({exc.strerror})") from None
    return out
