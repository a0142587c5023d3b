"""Deals (alliances, supply contracts, ownership ties) as a column table; the row is the deal id."""

from __future__ import annotations

import numpy as np

from restructuring_sim.columns import ColumnTable
from restructuring_sim.scenario import PURPOSES

ALLIANCE, SUPPLY, OWNERSHIP = 0, 1, 2
LAYER_NAMES = ("alliance", "supply", "ownership")


def purpose_mask(purposes) -> int:
    """Bit mask of purpose names (bit k = ``PURPOSES[k]``)."""
    return sum(1 << PURPOSES.index(p) for p in purposes)


class DealTable(ColumnTable):
    """One row per deal ever made.

    Columns: ``a``, ``b`` (firm ids; for ownership a = owner), ``layer`` (0 alliance, 1 supply,
    2 ownership), ``sector`` (code), ``purposes`` (bit mask, see :func:`purpose_mask`),
    ``channel`` (code into :data:`restructuring_sim.events.CHANNELS`), ``joint_venture``,
    ``equity`` (bool), ``start_step``, ``end_step`` (the step its term ends), ``alive`` (bool),
    ``value`` (USD million where priced: a contract's yearly value, an acquisition's price; else
    NaN), ``value_a``/``value_b`` (an alliance's value to each side at formation, value units per
    year), ``fit`` (an alliance's idiosyncratic match quality, value units per year: drawn when
    the partners meet, part of the value of the deal to both sides as long as it lasts),
    ``motive`` (acquisitions: code into :data:`restructuring_sim.events.MOTIVES`; else -1).
    """

    COLUMNS = {
        "a": (np.int64, -1),
        "b": (np.int64, -1),
        "layer": (np.int8, ALLIANCE),
        "sector": (np.int16, 0),
        "purposes": (np.int16, 0),
        "channel": (np.int8, 0),
        "joint_venture": (np.bool_, False),
        "equity": (np.bool_, False),
        "start_step": (np.int32, 0),
        "end_step": (np.int32, 0),
        "alive": (np.bool_, True),
        "value": (np.float64, np.nan),
        "value_a": (np.float64, 0.0),
        "value_b": (np.float64, 0.0),
        "fit": (np.float64, 0.0),
        "motive": (np.int8, -1),
    }

    def live(self, layer: int) -> np.ndarray:
        """Ids of the live deals of a layer."""
        return np.flatnonzero(self.alive & (self.layer == layer))
