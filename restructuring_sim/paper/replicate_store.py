"""The finished replicates of a ``validate`` ensemble, kept in its output folder, so that an
interrupted ``validate`` resumes where it stopped rather than from the first replicate.

Layout, under ``validate --out``::

    replicates/<key>/<seed>.pkl   one finished replicate's summary, written atomically

``key`` is a digest of everything a replicate's summary depends on besides its seed: the
scenario as validated (every value, overrides applied), and the package's own source and data
files (the model, the observer, the paper's figures and how they are read). A rerun with the
same scenario on the same code finds the replicates it finished before and runs only the rest;
the seeds are the same, so its tables are those of a run from scratch, byte for byte. A changed
scenario or a changed model gets a folder of its own, so a stale summary is never read, and
the summaries of the scenario's variants (``--set``) sit side by side in one ``--out``.

A summary is a pickle: read back only from a folder ``validate`` wrote, the same package's
classes. A file that cannot be read (cut short, or of another Python) counts as not finished.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from pathlib import Path
from typing import Any

from restructuring_sim.io import write_bytes

#: the package's folder: its ``.py`` and ``.toml`` files enter every key
_PACKAGE = Path(__file__).resolve().parents[1]
FOLDER = "replicates"


@functools.cache
def source_digest() -> str:
    """SHA-256 of the package's ``.py`` and ``.toml`` files (paths and contents, in path
    order): what the model, the observer and the paper's figures are in this installation."""
    digest = hashlib.sha256()
    for path in sorted(p for suffix in ("*.py", "*.toml") for p in _PACKAGE.rglob(suffix)):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class ReplicateStore:
    """The kept summaries of one scenario's replicates under ``out`` (see the module)."""

    def __init__(self, out: str | Path, scenario):
        key = hashlib.sha256(f"{scenario.config_hash()}:{source_digest()}".encode())
        self.folder = Path(out) / FOLDER / key.hexdigest()[:20]

    def path(self, seed: int) -> Path:
        return self.folder / f"{int(seed)}.pkl"

    def load(self, seeds: list[int]) -> dict[int, Any]:
        """The summaries kept for any of ``seeds``, by seed."""
        found = {}
        for seed in seeds:
            try:
                found[seed] = pickle.loads(self.path(seed).read_bytes())
            except FileNotFoundError:
                continue
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                    TypeError, ValueError):
                continue  # cut short or unreadable: run it again
        return found

    def save(self, seed: int, summary: Any) -> None:
        """Keep one finished replicate's summary (atomically: whole or absent)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_bytes(pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL), self.path(seed))
