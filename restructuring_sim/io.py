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

# ``_compute``: Arrow's compute functions are registered when it is first imported, and the
# Parquet writer looks some of them up (``unique``, the error below named). Imported on one
# thread while another encodes a table, the registration raced the lookup: a run at 40,000
# firms failed once with "No function registered with name: unique", the event log's writer
# thread having imported it while the firm panel's thread wrote the last year. Every run
# imports it; imported with this module, it is complete before any writer thread starts.
from pyarrow import _compute, _parquet  # noqa: F401

from restructuring_sim.errors import UserError

#: what ``pyarrow.parquet.write_table`` and ``pyarrow.parquet.ParquetWriter`` hand pyarrow's
#: compiled writer besides the file, the schema and the codec, when called with nothing else
#: (pyarrow 26; ``tests/test_outputs.py`` checks that :class:`ParquetWriter` writes the same
#: bytes as ``pyarrow.parquet.write_table``)
PARQUET_DEFAULTS = {
    "version": "2.6", "use_dictionary": True, "write_statistics": True,
    "use_deprecated_int96_timestamps": False, "coerce_timestamps": None,
    "allow_truncated_timestamps": False, "data_page_size": None, "compression_level": None,
    "use_byte_stream_split": False, "column_encoding": None, "writer_engine_version": "V2",
    "data_page_version": "1.0", "use_compliant_nested_type": True,
    "encryption_properties": None, "write_batch_size": None, "dictionary_pagesize_limit": None,
    "store_schema": True, "write_page_index": False, "write_page_checksum": False,
    "sorting_columns": None, "store_decimal_as_integer": False,
    "write_time_adjusted_to_utc": False, "max_rows_per_page": None,
    "bloom_filter_options": None, "use_content_defined_chunking": False,
}


class ParquetWriter:
    """``pyarrow.parquet.ParquetWriter(path, schema, compression=compression)`` for a local
    file: the same compiled writer with the same settings (:data:`PARQUET_DEFAULTS`), made
    without importing ``pyarrow.parquet``, whose file-system layer (``pyarrow.fs``, S3,
    ``ssl``) is some 0.015 s of a run's start. Tables are checked against the schema as
    ``pyarrow.parquet`` checks them."""

    def __init__(self, path: str | Path, schema: pa.Schema, *, compression: str = "zstd"):
        self.schema = schema
        self._writer = _parquet.ParquetWriter(str(path), schema, compression=compression,
                                              **PARQUET_DEFAULTS)

    def write_table(self, table: pa.Table, row_group_size: int | None = None) -> None:
        """Append ``table`` in row groups of ``row_group_size`` rows (pyarrow's default, up to
        1024 x 1024, when None)."""
        if not table.schema.equals(self.schema, check_metadata=False):
            raise ValueError("Table schema does not match schema used to create file: \n"
                             f"table:\n{table.schema!s} vs. \nfile:\n{self.schema!s}")
        self._writer.write_table(table, row_group_size=row_group_size)

    def close(self) -> None:
        """Write the footer and close the file."""
        self._writer.close()


def write_parquet_file(table: pa.Table, path: str | Path, *, compression: str = "zstd",
                       row_group_size: int | None = None) -> None:
    """``pyarrow.parquet.write_table(table, path, compression=..., row_group_size=...)``
    through :class:`ParquetWriter` (not atomic: see :func:`write_parquet`)."""
    writer = ParquetWriter(path, table.schema, compression=compression)
    try:
        writer.write_table(table, row_group_size=row_group_size)
    finally:
        writer.close()


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
    write_atomic(path, lambda tmp: write_parquet_file(table, tmp, compression="zstd"))


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
