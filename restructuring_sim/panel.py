"""Streaming Parquet output: tables written to one file as they come, on a background thread.

The yearly firm panel of a run at a million firms is some ten million rows; kept in memory until
the end and then concatenated, it doubled the run's peak memory, and encoding it took as long as
a third of the run. :class:`ParquetStream` takes each year's table as soon as the year ends and
encodes and compresses it on its own thread (pyarrow releases the GIL while it does) while the
model steps on. Each table starts a row group of its own, so the panel's row groups are its
years: a reader that wants one year reads one group (pyarrow's and DuckDB's filters skip the
others by the ``year`` column's statistics), and at the end of a run only the last year is left
to encode. Like every output (see :mod:`restructuring_sim.io`) the file appears atomically, at
:meth:`ParquetStream.close`.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
from pathlib import Path

import pyarrow as pa

from restructuring_sim.io import ParquetWriter, new_file_mode, write_parquet_file

#: most rows per row group: pyarrow's own default (``write_table`` without ``row_group_size``)
ROW_GROUP_ROWS = 1024 * 1024

#: tables waiting for the writer thread at most; the model waits when it is this far ahead
#: (one year's table is about 150 MB at a million firms, 1.5 GB at ten million: writing it takes
#: a fraction of the time the model takes to simulate the next year)
_QUEUED = 1

_DONE = object()


class ParquetStream:
    """A Parquet file written table by table (all of one schema) on a background thread, each
    table as row groups of its own.

    Parameters
    ----------
    path : str or Path
        The file; it is written under a temporary name beside it and renamed on :meth:`close`.
    compression : str
        Parquet compression codec (the run directory's files use zstd).
    row_group_rows : int
        Most rows per row group: a longer table is cut into groups of this many rows (its
        last may be shorter).

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> stream = ParquetStream(path)
    >>> stream.write(pa.table({"x": [1, 2]}))
    >>> stream.write(pa.table({"x": [3]}))
    >>> stream.close()
    >>> pq.read_table(path).column("x").to_pylist()
    [1, 2, 3]
    >>> pq.ParquetFile(path).metadata.num_row_groups
    2
    """

    def __init__(self, path: str | Path, *, compression: str = "zstd",
                 row_group_rows: int = ROW_GROUP_ROWS):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                   suffix=".tmp")
        try:
            os.fchmod(fd, new_file_mode())  # mkstemp's file is private: follow the umask
        finally:
            os.close(fd)
        self._tmp = tmp
        self._compression = compression
        self._rows = int(row_group_rows)
        self._queue: queue.Queue = queue.Queue(maxsize=_QUEUED)
        #: tables handed to write, and tables the writer has taken in (see wait)
        self._given = self._taken = 0
        self._progress = threading.Condition()
        self._error: BaseException | None = None
        #: rows handed to write so far
        self.rows = 0
        self._open = True  # write takes tables (until seal)
        self._finished = False  # the writer thread is done (close or abort)
        self._complete = False
        self._thread = threading.Thread(target=self._work, name="parquet-stream", daemon=True)
        self._thread.start()

    @property
    def row_group_rows(self) -> int:
        """Most rows per row group."""
        return self._rows

    @property
    def closed(self) -> bool:
        """Whether the file is complete (:meth:`close` returned)."""
        return self._complete

    def write(self, table: pa.Table) -> None:
        """Queue ``table`` to be appended to the file (waits while the writer is behind)."""
        if not self._open:
            raise ValueError(f"{self.path}: stream is closed")
        if self._error is not None:
            self.abort()
            raise self._error
        with self._progress:
            self._given += 1
        self.rows += table.num_rows
        self._queue.put(table)

    def seal(self) -> None:
        """Take no more tables: the writer writes what is queued and finishes the file (its
        last row group encoded) on its thread while the caller goes on; :meth:`close` then
        waits for it and gives the file its name."""
        if self._open:
            self._open = False
            self._queue.put(_DONE)

    def close(self) -> None:
        """Write what is queued, finish the file and give it its name."""
        if self._finished:
            return
        self._finish()
        if self._error is not None:
            Path(self._tmp).unlink(missing_ok=True)
            raise self._error
        os.replace(self._tmp, self.path)
        self._complete = True

    def abort(self) -> None:
        """Stop writing and delete the unfinished file (the file's name is never taken)."""
        if not self._finished:
            self._finish()
        Path(self._tmp).unlink(missing_ok=True)

    def wait(self) -> None:
        """Wait until every table handed to :meth:`write` has been written by the writer, so
        that a caller about to build the next table holds at most that one in memory."""
        with self._progress:
            self._progress.wait_for(lambda: self._taken >= self._given
                                    or self._error is not None)

    def _took(self) -> None:
        """Count one more table taken in by the writer (see :meth:`wait`)."""
        with self._progress:
            self._taken += 1
            self._progress.notify_all()

    def _finish(self) -> None:
        self.seal()
        self._thread.join()
        self._finished = True

    def _work(self) -> None:
        """Take tables off the queue and write each as row groups of its own until told that
        none follow."""
        writer = None
        schema = None
        done = False
        try:
            while (table := self._queue.get()) is not _DONE:
                if writer is None:
                    schema = table.schema
                    writer = ParquetWriter(self._tmp, schema, compression=self._compression)
                elif not table.schema.equals(schema):
                    raise pa.ArrowInvalid(f"{self.path}: table schema differs from the "
                                          f"stream's schema:\n{table.schema}\nvs\n{schema}")
                for start in range(0, table.num_rows, self._rows):
                    _write_group(writer, table.slice(start, self._rows))
                table = None  # hold nothing of the table while waiting for the next
                self._took()
            done = True
            if writer is None:  # no table came: the file of an empty table
                write_parquet_file(pa.table({}), self._tmp, compression=self._compression)
            else:
                writer.close()
        except BaseException as exc:  # handed to the caller by write or close
            with self._progress:
                self._error = exc
                self._progress.notify_all()
            if writer is not None:
                with contextlib.suppress(Exception):  # the first error is the one to report
                    writer.close()
            while not done:  # keep draining, so that ``write`` never waits forever
                done = self._queue.get() is _DONE


def _write_group(writer: ParquetWriter, rows: pa.Table) -> None:
    """Write ``rows`` as one row group, each column as one array: the same pages whatever the
    chunks the table came in."""
    writer.write_table(rows.combine_chunks(), row_group_size=max(rows.num_rows, 1))


def write_tables(tables, path: str | Path, **options) -> None:
    """Write ``tables`` (all of one schema) to ``path`` as a :class:`ParquetStream` given them
    one by one does, each table as row groups of its own; ``options`` go to the stream."""
    stream = ParquetStream(path, **options)
    try:
        for table in tables:
            stream.write(table)
        stream.close()
    except BaseException:
        stream.abort()
        raise
