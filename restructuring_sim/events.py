"""The deal-level event log (the contract of ``events.parquet``).

One row per event. Participants are lists aligned with each other (``firm_ids``, ``size_classes``,
``countries``, ``regions``); for an acquisition the list is ``[acquirer, target]``. A dissolution or
an ending carries the ``deal_id`` of the deal it ends.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa

from restructuring_sim.io import write_parquet

KINDS = (
    "alliance_formed",
    "alliance_dissolved",
    "supply_contract_signed",
    "supply_contract_ended",
    "acquisition",
    "firm_entered",
    "firm_exited",
)
MOTIVES = ("technology", "market", "succession", "distress", "consolidation")
CHANNELS = ("direct", "prior_partner", "cluster", "matching_service", "b2b_exchange", "distributor")

SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("seed", pa.int64()),
        ("step", pa.int32()),
        ("year", pa.int32()),
        ("quarter", pa.int32()),
        ("kind", pa.string()),
        ("deal_id", pa.int64()),
        ("firm_ids", pa.list_(pa.int64())),
        ("size_classes", pa.list_(pa.string())),
        ("countries", pa.list_(pa.string())),
        ("regions", pa.list_(pa.string())),
        ("sector", pa.string()),
        ("sector_group", pa.string()),
        ("purposes", pa.list_(pa.string())),
        ("joint_venture", pa.bool_()),
        ("equity", pa.bool_()),
        ("cross_border", pa.bool_()),
        ("involves_sme", pa.bool_()),
        ("motive", pa.string()),
        ("channel", pa.string()),
        ("value", pa.float64()),
    ]
)

#: columns stored per event (run_id and seed are the same on every row)
_ROW_COLUMNS = SCHEMA.names[2:]


class EventLog:
    """Append-only log of events, written as Parquet with the contract's schema.

    Parameters
    ----------
    run_id : str
        Identifier of the run, repeated on every row.
    seed : int
        Seed of the run, repeated on every row.
    """

    def __init__(self, run_id: str, seed: int):
        self.run_id = run_id
        self.seed = int(seed)
        self._rows: list[tuple[Any, ...]] = []  # one tuple per event, columns of _ROW_COLUMNS
        self._kind_counts = dict.fromkeys(KINDS, 0)

    def __len__(self) -> int:
        return len(self._rows)

    def record(
        self,
        *,
        step: int,
        year: int,
        quarter: int,
        kind: str,
        deal_id: int,
        firm_ids: list[int],
        size_classes: list[str],
        countries: list[str],
        regions: list[str],
        sector: str,
        sector_group: str,
        purposes: list[str] = (),
        joint_venture: bool = False,
        equity: bool = False,
        motive: str = "",
        channel: str = "",
        value: float = math.nan,
    ) -> None:
        """Append one event; ``cross_border`` and ``involves_sme`` are derived from participants."""
        if kind not in self._kind_counts:
            raise ValueError(f"kind {kind!r} is not one of {KINDS}")
        if motive and motive not in MOTIVES:
            raise ValueError(f"motive {motive!r} is not one of {MOTIVES}")
        if channel and channel not in CHANNELS:
            raise ValueError(f"channel {channel!r} is not one of {CHANNELS}")
        self._rows.append((
            step, year, quarter, kind, deal_id, list(firm_ids), list(size_classes),
            list(countries), list(regions), sector, sector_group, list(purposes),
            bool(joint_venture), bool(equity), len(set(countries)) > 1,
            "small" in size_classes or "medium" in size_classes, motive, channel, float(value),
        ))
        self._kind_counts[kind] += 1

    def count(self, kind: str) -> int:
        """Number of events of ``kind`` so far."""
        return self._kind_counts[kind]

    def to_arrow(self) -> pa.Table:
        """The log as an Arrow table with the contract's schema."""
        n = len(self._rows)
        columns = list(zip(*self._rows, strict=True)) if n else [()] * len(_ROW_COLUMNS)
        data = {"run_id": [self.run_id] * n, "seed": [self.seed] * n}
        data.update(zip(_ROW_COLUMNS, columns, strict=True))
        return pa.table({name: data[name] for name in SCHEMA.names}, schema=SCHEMA)

    def to_pandas(self):
        """The log as a pandas DataFrame."""
        return self.to_arrow().to_pandas()

    def write(self, path: str | Path) -> None:
        """Write the log atomically to ``path`` (Parquet)."""
        write_parquet(self.to_arrow(), path)
