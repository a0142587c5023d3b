"""How a run's process uses memory: the C library's allocator and numpy's page advice.

A step at a million firms allocates and frees arrays of megabytes by the hundred. By default
glibc's allocator hands that memory back to the kernel and fetches it again, page by page, every
step, and numpy asks the kernel for huge pages, which it may stall to find. :func:`prepare_process`
sets the process up for such runs; every
entry point that runs the model calls it (``run``, and the workers of ``validate``,
``calibrate`` and ``sweep``, local or on a Dask cluster), so that a replicate costs the same
wherever it runs. None of it changes a result: only where memory comes from.
"""

from __future__ import annotations

import ctypes


def prepare_process() -> None:
    """Set this process up for large runs: :func:`keep_freed_memory` and :func:`small_pages`.

    Cheap and idempotent, so a worker calls it before each run. On a two-worker ``validate``
    of 40 replicates of 10,000 firms a replicate took 6% less time on local processes (0.574
    against 0.612 s) and 9% less on a Dask cluster's workers (0.601 against 0.647-0.675 s),
    whose tasks run on a thread of their own and so on an allocator arena of their own."""
    keep_freed_memory()
    small_pages()


#: glibc's ``mallopt`` parameters (``malloc.h``)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(top: int = 128 << 20, largest: int = 32 << 20) -> None:
    """Let the C library's allocator keep up to ``top`` bytes of freed memory at the top of its
    heap, and serve blocks of up to ``largest`` bytes from the heap (glibc's ``mallopt``; a
    C library without it is left as it is).

    A step at a million firms allocates and frees arrays of megabytes by the hundred. By
    default glibc hands the top of its heap back to the system as soon as twice its (moving)
    threshold for separate mappings is free there, and memory fetched again costs a page
    fault when first written. With these limits (32 MB is as high as glibc's moving
    threshold goes by itself) the first twelve steps of a run at a million firms took 227,000
    page faults instead of 565,000 and 0.5-0.7 s of system time instead of 1.0-1.1 s (with
    :func:`small_pages`), the whole run the same peak memory."""
    mallopt = _libc("mallopt")
    if mallopt is None:
        return
    mallopt(_M_MMAP_THRESHOLD, largest)
    mallopt(_M_TRIM_THRESHOLD, top)


def return_freed_memory() -> None:
    """Hand the memory the C library's allocator holds free back to the system (glibc's
    ``malloc_trim``; a C library without it is left as it is).

    The arrays the model frees at the end of a run
    (:meth:`~restructuring_sim.model.RestructuringModel.release_caches`) stay with glibc's
    heap (see :func:`keep_freed_memory`), where Arrow's own allocator, which builds the tables
    the files are written from, cannot reuse them: handed back first, they do not add to the
    run's peak while its files are written."""
    trim = _libc("malloc_trim")
    if trim is not None:
        trim(0)


def _libc(name: str):
    """The C library's function ``name`` (glibc's allocator settings), or None where the C
    library cannot be loaded or has no such function (macOS, musl)."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def small_pages() -> None:
    """Stop numpy asking the kernel for transparent huge pages (2 MB) for its large arrays.

    numpy advises huge pages for every array of 4 MB or more; a kernel that then compacts
    memory to find one when the array is first written (``defrag`` set to ``madvise``, as on
    the project's machines) stalls at many of those page faults: while the kernel found huge
    pages, the first twelve steps of a run at a million firms took 1.1-1.3 s of system time
    with them and 0.35-0.65 s without (a whole run 6 s and 3.7 s), the same time computing and
    the same peak memory. The switch is the one numpy reads from ``NUMPY_MADVISE_HUGEPAGE``
    when imported, set at run time (a numpy without it is left as it is)."""
    import numpy as np

    switch = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    if switch is not None:
        switch(False)
