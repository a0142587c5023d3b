"""A growable table of numpy columns, one row per entity.

Firms and deals are stored column-wise so that mechanisms can work on whole columns at once.
Rows are only ever appended (a firm that exits keeps its row, with a status), so a row index is a
stable identifier.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class ColumnTable:
    """Columns of equal length that grow by appending rows.

    Subclasses declare ``COLUMNS = {name: (dtype, fill)}``; a column is a vector, or an (n, k)
    matrix when ``widths`` gives it a width k. Reading ``table.name`` returns a writable view of
    the live rows (kept as a plain attribute, refreshed on every append, so reads are cheap).
    """

    COLUMNS: dict[str, tuple[Any, Any]] = {}

    def __init__(self, capacity: int = 16, widths: dict[str, int] | None = None):
        self._widths = dict(widths or {})
        self._capacity = max(int(capacity), 1)
        self.n = 0
        self._data = {
            name: filled(self._shape(name, self._capacity), fill, dtype)
            for name, (dtype, fill) in self.COLUMNS.items()
        }
        self._refresh()

    def _shape(self, name: str, rows: int) -> tuple[int, ...]:
        width = self._widths.get(name)
        return (rows,) if width is None else (rows, width)

    def _refresh(self) -> None:
        """Point every column attribute at the live rows of its array."""
        n = self.n
        for name, array in self._data.items():
            self.__dict__[name] = array[:n]

    def __len__(self) -> int:
        return self.n

    def append(self, **values: Any) -> np.ndarray:
        """Append rows given as equal-length columns; a scalar applies to every new row and
        missing columns take their fill value.

        Returns the indices of the new rows.
        """
        lengths = {n for n in map(rows_of, values.values()) if n is not None}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal length: {lengths}")
        k = lengths.pop() if lengths else 1
        unknown = set(values) - set(self.COLUMNS)
        if unknown:
            raise KeyError(f"unknown columns: {sorted(unknown)}")
        self._reserve(self.n + k)
        rows = np.arange(self.n, self.n + k)
        for name, value in values.items():
            self._data[name][self.n : self.n + k] = value
        self.n += k
        self._refresh()
        return rows

    def append_row(self, **values: Any) -> int:
        """Append one row given as scalars (a fast path for deals made one at a time).

        Columns not given keep the fill value of freshly reserved rows.
        """
        self._reserve(self.n + 1)
        row = self.n
        data = self._data
        for name, value in values.items():
            data[name][row] = value
        self.n += 1
        self._refresh()
        return row

    def _reserve(self, rows: int) -> None:
        if rows <= self._capacity:
            return
        capacity = max(rows, 2 * self._capacity)
        for name, (dtype, fill) in self.COLUMNS.items():
            grown = filled(self._shape(name, capacity), fill, dtype)
            grown[: self.n] = self._data[name][: self.n]
            self._data[name] = grown
        self._capacity = capacity


class Scratch:
    """Work arrays that keep their memory from one call to the next.

    A fresh array of megabytes costs a page fault per 4 KiB page when first written (the
    allocator hands memory of that size back to the system when it is freed), and on a virtual
    machine each fault is dear; a mechanism that builds firms x countries arrays every year
    takes them from here instead.
    """

    def __init__(self):
        self._flat: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
        """An array of ``shape`` whose contents are left over from earlier calls (the caller
        overwrites them), on the same memory at every call under ``name``; it holds until the
        next call under the same name."""
        size = math.prod(shape)
        flat = self._flat.get(name)
        if flat is None or flat.dtype != dtype or flat.size < size:
            flat = self._flat[name] = np.empty(size + size // 4, dtype=dtype)  # room to grow
        return flat[:size].reshape(shape)


def filled(shape: tuple[int, ...], fill, dtype) -> np.ndarray:
    """``np.full(shape, fill, dtype)``; a zero fill through ``np.zeros``, whose memory comes
    zeroed from the system, so that rows reserved for growth cost nothing until written."""
    return np.zeros(shape, dtype=dtype) if fill == 0 else np.full(shape, fill, dtype=dtype)


def bounds_reached(bounds, values, dtype=np.intp) -> np.ndarray:
    """``np.searchsorted(bounds, values, side="right")`` for a few sorted ``bounds``: how many
    of them each of ``values`` reaches, counted with one comparison per bound (for two or
    three bounds some twice to twenty times as fast as a binary search per value), as
    ``dtype``."""
    values = np.asarray(values)
    reached = np.zeros(values.shape, dtype=dtype)
    for bound in np.asarray(bounds).tolist():
        reached += values >= bound
    return reached


def stable_order(codes: np.ndarray) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` for integer codes; codes that fit in 16 bits are
    sorted as such, for which numpy's stable sort is a radix sort (same order, far faster).
    Larger non-negative codes (firm ids, say) are sorted as ``code x n + position``, where
    ``n`` is their number: these keys never tie, so numpy's default sort (vectorised, not
    stable) gives the stable order, in about half the time."""
    n = codes.size
    if not n:
        return np.argsort(codes, kind="stable")
    low, high = codes.min(), codes.max()
    if low >= -(2**15) and high < 2**15:
        return np.argsort(codes.astype(np.int16, copy=False), kind="stable")
    if low >= 0 and (int(high) + 1) * n < 2**63:
        keys = codes.astype(np.int64) * n
        keys += np.arange(n)
        return np.argsort(keys)
    return np.argsort(codes, kind="stable")


def cells(matrix: np.ndarray, rows, columns) -> tuple[np.ndarray, np.ndarray]:
    """The entries of a C-ordered ``matrix`` as one row sharing its memory (an error, never a
    copy, if it is not C-ordered: writes to the row reach the matrix), and the positions there
    of the entries ``(rows[k], columns[k])``: looking entries up, or writing them, by one index
    each is several times faster than by a pair of index arrays."""
    flat = matrix.view()
    flat.shape = (matrix.size,)
    at = np.multiply(rows, matrix.shape[1])
    at += columns
    return flat, at


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique(values)`` of a 1-d array, which a run does not
    call because its first call imports ``numpy.ma`` (some 8 ms of a run's start). The sort is
    numpy's stable one, which is quick on values that come in sorted runs (ties listed firm by
    firm, say)."""
    ordered = np.sort(values, kind="stable")
    return ordered[_run_starts(ordered)]


def first_of_each(values: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each distinct value, in the order of the values:
    ``np.unique(values, return_index=True)[1]`` (see :func:`distinct`)."""
    order = np.argsort(values, kind="stable")
    return order[_run_starts(values[order])]


def rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """Position of each entry of ``keys`` (sorted, or at least grouped) within its run of
    equal keys: 0 for the first of a run, 1 for the next, and so on."""
    n = len(keys)
    return np.arange(n) - np.maximum.accumulate(np.where(_run_starts(keys), np.arange(n), 0))


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Whether each entry of ``keys`` (grouped) starts a run of equal keys."""
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def rows_of(value) -> int | None:
    """Number of rows a column value gives, or None for a scalar (it applies to every row)."""
    if isinstance(value, np.ndarray):
        return len(value) if value.ndim else None
    return len(value) if isinstance(value, (list, tuple, range)) else None


# ---------------------------------------------------------------------- Arrow arrays
# ``pyarrow.array`` asks its pandas shim whether every argument is a pandas object, and that
# shim imports pandas the first time it is asked (about 0.2 s of a run's start on a 2-core
# machine, for a run that never uses pandas). The functions below build the same arrays from
# their buffers, which asks nothing of pandas.


def arrow_array(values, type=None, mask: np.ndarray | None = None):
    """``pyarrow.array(values, type, mask=mask)`` for a numpy array (or sequence) of numbers or
    booleans: the same array (values converted to ``type`` as numpy converts them; ``mask``
    True = null), built from its buffers (numbers without a copy when already contiguous and of
    the type)."""
    import pyarrow as pa

    values = np.asarray(values)
    if type is None:
        type = pa.from_numpy_dtype(values.dtype)
    n = len(values)
    if type == pa.bool_():
        data = pa.py_buffer(np.packbits(np.asarray(values, dtype=bool), bitorder="little"))
    else:
        data = pa.py_buffer(np.ascontiguousarray(values, dtype=type.to_pandas_dtype()))
    validity, nulls = None, 0
    if mask is not None and (nulls := int(np.count_nonzero(mask))):
        validity = pa.py_buffer(np.packbits(~np.asarray(mask, dtype=bool), bitorder="little"))
    return pa.Array.from_buffers(type, n, [validity, data], null_count=nulls)


def arrow_strings(strings):
    """``pyarrow.array(list(strings), pyarrow.string())`` for a sequence of ``str`` (a None
    among them is a null), built from its buffers."""
    import pyarrow as pa

    strings = list(strings)
    missing = np.fromiter((s is None for s in strings), dtype=bool, count=len(strings))
    encoded = [b"" if s is None else s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    validity, n_null = None, int(np.count_nonzero(missing))
    if n_null:
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
                                 null_count=n_null)


def arrow_take(values, indices):
    """``values.take(indices)`` for an Arrow array and an Arrow array of integer positions: the
    same call of the same kernel (bounds checked), made through ``pyarrow._compute``, the
    compiled module behind ``pyarrow.compute``, without the start-up of ``pyarrow.compute``
    itself (``Array.take`` imports it; it wraps every compute function in Python, some 0.04 s
    of a run)."""
    from pyarrow._compute import TakeOptions, call_function

    return call_function("take", [values, indices], TakeOptions(boundscheck=True))


def arrow_repeated_string(value: str, n: int):
    """``pyarrow.array([value] * n, pyarrow.string())``, built from its buffers."""
    import pyarrow as pa

    raw = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(raw))
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(raw * n)], null_count=0)


def arrow_table(columns: dict, schema):
    """``pyarrow.table(columns, schema=schema)`` for columns that are Arrow arrays, numpy arrays
    or lists (numbers or booleans, a None among them a null; or ``str``), built without
    ``pyarrow.array`` (see :func:`arrow_array`)."""
    import pyarrow as pa

    arrays = {}
    for field in schema:
        value = columns[field.name]
        if isinstance(value, (pa.Array, pa.ChunkedArray)):
            arrays[field.name] = value
        elif isinstance(value, np.ndarray):
            arrays[field.name] = arrow_array(value, field.type)
        elif pa.types.is_string(field.type):
            arrays[field.name] = arrow_strings(value)
        else:
            missing = np.fromiter((v is None for v in value), dtype=bool, count=len(value))
            fill = False if pa.types.is_boolean(field.type) else 0
            dtype = field.type.to_pandas_dtype()
            values = np.array([fill if v is None else v for v in value], dtype=dtype)
            arrays[field.name] = arrow_array(values, field.type, mask=missing)
    return pa.table(arrays, schema=schema)


def arrow_rows(rows: list[dict], schema):
    """``pyarrow.Table.from_pylist(rows, schema=schema)`` (a key a row lacks is a null) through
    :func:`arrow_table`."""
    return arrow_table({name: [row.get(name) for row in rows] for name in schema.names}, schema)
