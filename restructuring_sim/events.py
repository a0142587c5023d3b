"""The deal-level event log (the contract of ``events.parquet``).

One row per event. Participants are lists aligned with each other (``firm_ids``, ``size_classes``,
``countries``, ``regions``); for an acquisition the list is ``[acquirer, target]``. A dissolution or
an ending carries the ``deal_id`` of the deal it ends.

The log is kept as fixed-size records of integer codes in one byte buffer (see :data:`ROW`) and
turned into the contract's strings and lists only by :meth:`EventLog.to_arrow`. Appending a record
creates no Python container, so a long run does not feed the garbage collector one object graph
per event, and a batch of events is appended with one copy.
"""

from __future__ import annotations

import inspect
import math
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa

from restructuring_sim.columns import (
    arrow_array,
    arrow_repeated_string,
    arrow_strings,
    arrow_take,
    rows_of,
)
from restructuring_sim.io import write_atomic, write_parquet_file
from restructuring_sim.observer import reportable
from restructuring_sim.panel import ROW_GROUP_ROWS, ParquetStream
from restructuring_sim.scenario import PURPOSES
from restructuring_sim.world import SECTOR_GROUPS, SIZE_CLASSES

KINDS = (
    "alliance_formed",
    "alliance_dissolved",
    "supply_contract_signed",
    "supply_contract_ended",
    "acquisition",
    "firm_entered",
    "firm_exited",
)
#: why a firm buys another (``acquisition`` events)
ACQUISITION_MOTIVES = ("technology", "market", "succession", "distress", "consolidation")
#: why two firms ally (``alliance_formed`` events): sharing R&D cost, licensing technology for
#: funding, entering a market with a local partner, distributing goods, making or sourcing them
ALLIANCE_MOTIVES = ("rnd_cost_sharing", "technology_licensing", "market_entry", "distribution",
                    "production")
MOTIVES = (*ACQUISITION_MOTIVES, *ALLIANCE_MOTIVES)
CHANNELS = ("direct", "prior_partner", "cluster", "matching_service", "b2b_exchange", "distributor",
            "referral")

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
        ("reported", pa.bool_()),
        ("value_disclosed", pa.bool_()),
        ("named_at_home", pa.list_(pa.bool_())),
    ]
)

#: One stored event. Every event has one or two participants: ``a`` and, where there is a
#: second, ``b`` (its attributes are -1 when there is none). Size classes are codes into
#: ``SIZE_CLASSES``; ``kind``, ``motive`` and ``channel`` codes into ``KINDS``, ``MOTIVES`` and
#: ``CHANNELS`` (-1 = empty); ``purposes`` a bit mask over ``PURPOSES``; ``sector``,
#: ``sector_group``, ``country_*`` and ``region_*`` codes into the log's vocabularies.
ROW = np.dtype([
    ("step", "<i4"), ("year", "<i4"), ("quarter", "<i4"), ("kind", "i1"), ("deal_id", "<i8"),
    ("a", "<i8"), ("b", "<i8"), ("size_a", "i1"), ("size_b", "i1"),
    ("country_a", "<i2"), ("country_b", "<i2"), ("region_a", "i1"), ("region_b", "i1"),
    ("sector", "<i2"), ("sector_group", "i1"), ("purposes", "<i2"),
    ("joint_venture", "?"), ("equity", "?"), ("cross_border", "?"), ("involves_sme", "?"),
    ("motive", "i1"), ("channel", "i1"), ("value", "<f8"),
])
_STRUCT_CODES = {"i1": "b", "i2": "h", "i4": "i", "i8": "q", "b1": "?", "f8": "d"}
#: packs one event's fields, in the order of ``ROW``, into the bytes of one ``ROW`` record
_pack = struct.Struct("<" + "".join(_STRUCT_CODES[ROW[name].str[1:]] for name in ROW.names)).pack

#: fields derived from the participants, never given
_DERIVED = ("cross_border", "involves_sme")
_GIVEN = tuple(name for name in ROW.names if name not in _DERIVED)
_FIELDS = frozenset(_GIVEN)
_LARGE = SIZE_CLASSES.index("large")


class EventLog:
    """Append-only log of events, written as Parquet with the contract's schema.

    Parameters
    ----------
    run_id : str
        Identifier of the run, repeated on every row.
    seed : int
        Seed of the run, repeated on every row.
    sectors, countries, regions : sequence of str, optional
        Names whose positions are the codes :meth:`add` and :meth:`extend` take (the world's
        codes); :meth:`record` adds names it has not seen.

    Examples
    --------
    >>> log = EventLog("run", 1, sectors=["pharma"], countries=["JP", "US"],
    ...                regions=["north_america", "japan"])
    >>> log.add(step=0, year=1988, quarter=1, kind=KINDS.index("alliance_formed"), deal_id=0,
    ...         a=4, size_a=0, country_a=1, region_a=0, b=9, size_b=2, country_b=0, region_b=1,
    ...         sector=0, sector_group=0, channel=0)
    >>> row = log.to_pandas().iloc[0]
    >>> list(row.countries), bool(row.cross_border), bool(row.involves_sme), row.channel
    (['US', 'JP'], True, True, 'direct')
    """

    def __init__(self, run_id: str, seed: int, *, sectors=(), countries=(), regions=(),
                 observer=None):
        self.run_id = run_id
        self.seed = int(seed)
        #: decides the ``reported`` column (a :class:`~restructuring_sim.observer.PressObserver`);
        #: without one, every announced deal counts as reported
        self.observer = observer
        self._chunks: list[bytes | np.ndarray] = []  # rows in log order, joined when read
        self._n = 0
        self._kind_counts = [0] * len(KINDS)
        self._names = {
            "sector": list(sectors), "sector_group": list(SECTOR_GROUPS),
            "country": list(countries), "region": list(regions),
        }
        self._codes = {key: {name: k for k, name in enumerate(names)}
                       for key, names in self._names.items()}

    def __len__(self) -> int:
        return self._n

    def add(self, *, step: int, year: int, quarter: int, kind: int, a: int, size_a: int,
            country_a: int, region_a: int, sector: int, sector_group: int, deal_id: int = -1,
            b: int = -1, size_b: int = -1, country_b: int = -1, region_b: int = -1,
            purposes: int = 0, joint_venture: bool = False, equity: bool = False,
            motive: int = -1, channel: int = -1, value: float = math.nan) -> None:
        """Append one event given as codes (the fields of :data:`ROW` less the derived
        ``cross_border`` and ``involves_sme``); ``b`` and its attributes stay -1 when the event
        has one participant."""
        self._chunks.append(_pack(
            step, year, quarter, kind, deal_id, a, b, size_a, size_b, country_a, country_b,
            region_a, region_b, sector, sector_group, purposes, joint_venture, equity,
            b >= 0 and country_a != country_b, size_a < _LARGE or 0 <= size_b < _LARGE,
            motive, channel, value,
        ))
        self._n += 1
        self._kind_counts[kind] += 1

    def extend(self, **columns) -> None:
        """Append events given as equal-length arrays of codes (scalars apply to every event);
        the fields are those of :meth:`add`."""
        unknown = columns.keys() - _FIELDS
        if unknown:
            raise KeyError(f"unknown event fields: {sorted(unknown)}")
        m = max((n for n in map(rows_of, columns.values()) if n is not None), default=1)
        rows = np.empty(m, dtype=ROW)
        for name in _GIVEN:
            rows[name] = columns[name] if name in columns else DEFAULTS[name]
        has_b = rows["b"] >= 0
        rows["cross_border"] = has_b & (rows["country_a"] != rows["country_b"])
        rows["involves_sme"] = (rows["size_a"] < _LARGE) | (has_b & (rows["size_b"] < _LARGE))
        self._chunks.append(rows)  # kept as they are: no copy into a growing buffer
        self._n += m
        kind = columns["kind"]
        if rows_of(kind) is None:  # events of one kind, the usual case
            self._kind_counts[int(kind)] += m
        else:
            counts = np.bincount(rows["kind"], minlength=len(KINDS))
            self._kind_counts = [int(c) for c in np.add(self._kind_counts, counts)]

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
        """Append one event given as names, with one or two participants; ``cross_border`` and
        ``involves_sme`` are derived from the participants."""
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {KINDS}")
        if motive and motive not in MOTIVES:
            raise ValueError(f"motive {motive!r} is not one of {MOTIVES}")
        if channel and channel not in CHANNELS:
            raise ValueError(f"channel {channel!r} is not one of {CHANNELS}")
        if not 1 <= len(firm_ids) <= 2:
            raise ValueError(f"an event has one or two participants, not {len(firm_ids)}")
        people = {}
        for side, k in zip("ab", range(len(firm_ids)), strict=False):
            people.update({
                side: int(firm_ids[k]), f"size_{side}": SIZE_CLASSES.index(size_classes[k]),
                f"country_{side}": self._code("country", countries[k]),
                f"region_{side}": self._code("region", regions[k]),
            })
        self.add(
            step=step, year=year, quarter=quarter, kind=KINDS.index(kind), deal_id=deal_id,
            **people, sector=self._code("sector", sector),
            sector_group=self._code("sector_group", sector_group),
            purposes=sum(1 << PURPOSES.index(p) for p in purposes),
            joint_venture=bool(joint_venture), equity=bool(equity),
            motive=MOTIVES.index(motive) if motive else -1,
            channel=CHANNELS.index(channel) if channel else -1, value=float(value),
        )

    def _code(self, key: str, name: str) -> int:
        """Code of ``name`` in a vocabulary, adding it if new."""
        codes = self._codes[key]
        if name not in codes:
            codes[name] = len(self._names[key])
            self._names[key].append(name)
        return codes[name]

    def count(self, kind: str) -> int:
        """Number of events of ``kind`` so far."""
        return self._kind_counts[KINDS.index(kind)]

    def to_arrow(self) -> pa.Table:
        """The log as an Arrow table with the contract's schema."""
        return self._table(self._rows())

    def _rows(self) -> np.ndarray:
        """Every event's record (of dtype :data:`ROW`), in log order."""
        return np.frombuffer(b"".join(self._chunks), dtype=ROW)

    def _table(self, rows: np.ndarray, observed: tuple | None = None) -> pa.Table:
        """The events of ``rows`` (records of the log) as an Arrow table with the contract's
        schema; ``observed`` gives their ``reported``, ``value_disclosed`` and ``named_at_home``
        (see :meth:`_observations`) when ``rows`` are a part of the log (the observer draws for
        the whole log at once)."""
        n = len(rows)
        has_b = rows["b"] >= 0
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(1 + has_b, out=offsets[1:])
        offsets = arrow_array(offsets)

        present = np.stack([np.ones(n, bool), has_b], axis=1)

        def participants(a: str, b: str, names=None) -> pa.Array:
            """List column of one attribute of the participants (``a``, then ``b`` if any)."""
            values = np.stack([rows[a], rows[b]], axis=1)[present]
            return pa.ListArray.from_arrays(offsets, _decode(values, names))

        data = {
            "run_id": arrow_repeated_string(self.run_id, n),
            "seed": arrow_array(np.full(n, self.seed, dtype=np.int64)),
            "step": rows["step"], "year": rows["year"], "quarter": rows["quarter"],
            "kind": _decode(rows["kind"], KINDS),
            "deal_id": rows["deal_id"],
            "firm_ids": participants("a", "b"),
            "size_classes": participants("size_a", "size_b", SIZE_CLASSES),
            "countries": participants("country_a", "country_b", self._names["country"]),
            "regions": participants("region_a", "region_b", self._names["region"]),
            "sector": _decode(rows["sector"], self._names["sector"]),
            "sector_group": _decode(rows["sector_group"], self._names["sector_group"]),
            "purposes": _purposes(rows["purposes"]),
            **{name: rows[name] for name in ("joint_venture", "equity", *_DERIVED)},
            # absent values are nulls (not "" or NaN), as SQL engines expect
            "motive": _decode(rows["motive"], MOTIVES, absent=None),
            "channel": _decode(rows["channel"], CHANNELS, absent=None),
            "value": arrow_array(rows["value"], pa.float64(), mask=np.isnan(rows["value"])),
        }
        reported, disclosed, named = self._observations(rows) if observed is None else observed
        data["reported"], data["value_disclosed"] = reported, disclosed
        data["named_at_home"] = pa.ListArray.from_arrays(offsets, arrow_array(named[present]))
        # numpy columns as Arrow arrays of the schema's types (see columns.arrow_array)
        for name, value in data.items():
            if isinstance(value, np.ndarray):
                data[name] = arrow_array(value, SCHEMA.field(name).type)
        return pa.table(data, schema=SCHEMA)

    def _observations(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the observers see of ``rows`` (the whole log, see
        :mod:`restructuring_sim.observer`): whether the deal database reports each event and
        gives an acquisition's price (bool per event), and whether each participant's home press
        names it (``named_at_home``, bool per participant, ``(n, 2)``). Without an observer,
        every announced deal and every participant of one."""
        kind = rows["kind"]
        if self.observer is None:
            announced = reportable(kind, KINDS)
            return (announced, announced & (kind == KINDS.index("acquisition")),
                    np.stack([announced, announced & (rows["b"] >= 0)], axis=1))
        reported, disclosed = self.observer.observe(
            kind, KINDS, rows["size_a"], rows["country_a"], rows["size_b"], rows["country_b"],
            self._names["country"])
        named = self.observer.named_at_home(kind, KINDS, rows["size_a"], rows["size_b"])
        return reported, disclosed, named

    def to_pandas(self):
        """The log as a pandas DataFrame."""
        return self.to_arrow().to_pandas()

    def write(self, path: str | Path, *, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        """Write the log atomically to ``path`` (Parquet, row groups of ``row_group_rows``
        events: pyarrow's default).

        A log of more than one row group is turned into Arrow one row group at a time and
        streamed: the same file, while at a million firms (some 1.4 million events) the whole
        table would take 270 MB."""
        rows = self._rows()
        if len(rows) <= row_group_rows:
            write_atomic(path, lambda tmp: write_parquet_file(self._table(rows), tmp,
                                                              compression="zstd",
                                                              row_group_size=row_group_rows))
            return
        observed = self._observations(rows)
        stream = ParquetStream(path, row_group_rows=row_group_rows)
        try:
            for start in range(0, len(rows), row_group_rows):
                part = slice(start, start + row_group_rows)
                stream.write(self._table(rows[part], tuple(o[part] for o in observed)))
                stream.wait()  # one group's table at a time
            stream.close()
        except BaseException:
            stream.abort()
            raise


#: fields an event may leave out, and the value they then take (those of :meth:`EventLog.add`)
DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(EventLog.add).parameters.items()
    if parameter.default is not inspect.Parameter.empty
}


def _decode(codes: np.ndarray, names, absent: str | None = "") -> pa.Array:
    """Values of ``codes`` (an int64 array when ``names`` is None, else strings; -1 = ``absent``,
    a null when None)."""
    if names is None:
        return arrow_array(codes.astype(np.int64))
    vocabulary = arrow_strings([absent, *names])
    return arrow_take(vocabulary, arrow_array(codes.astype(np.int64) + 1))


def _purposes(masks: np.ndarray) -> pa.Array:
    """Lists of purpose names from bit masks, in the canonical order of ``PURPOSES``."""
    bits = (masks.astype(np.int64)[:, None] >> np.arange(len(PURPOSES))) & 1
    offsets = np.zeros(len(masks) + 1, dtype=np.int32)
    np.cumsum(bits.sum(axis=1), out=offsets[1:])
    _, which = np.nonzero(bits)
    return pa.ListArray.from_arrays(arrow_array(offsets), _decode(which, PURPOSES))
