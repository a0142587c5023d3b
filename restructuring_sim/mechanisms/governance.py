"""Corporate governance: cross-shareholdings keep a firm's trade and partners in its group.

Firms tied by cross-shareholdings (Japan's keiretsu, Germany's bank and industry holdings)
buy from and ally with their group's members; outsiders, foreign ones above all, are shut out
of that part of their business. The paper (Sakai 2002) names the unwinding among the 1990s'
drivers: "corporate governance moves from cross-shareholdings to dispersed ownership", which
loosens keiretsu-style supply ties, so that foreign suppliers win contracts from, and foreign
firms find partners in, countries whose groups are coming apart.

A country's ``cross_shareholding`` (a path, the share of its listed firms' market value held
in mutual holdings, 0..1; see ``countries.<code>.cross_shareholding``) is read as the share of
each of its firms' business bound to the group. The model keeps no group memberships: a group's
members are firms of its own country, so a domestic candidate may be one and is never shut
out; a foreign candidate is outside every group, and a pair across a border is open only where
neither side's business is bound, with chance ``(1 - s_i) * (1 - s_j)``. The ratio itself is
the closure, with no free scale: as Japan's ratio falls from 18% to 10% over the decade, the
share of its firms' cross-border tenders and partner searches its groups close falls with it.

It acts where outsiders are met: in supply tenders (:func:`restructuring_sim.mechanisms.supply.
tender`, also in the countries where the buyer produces: keiretsu suppliers followed their
buyers abroad) and in the direct draws of partner search (:func:`restructuring_sim.mechanisms.
search.draw_candidates`); former partners, referrals, cluster mates and a matching service's
contacts are known firms, not strangers a group would keep out.
"""

from __future__ import annotations

import numpy as np


def group_openness(model, cond, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Chance (0..1) that the group ties of firms ``i`` and ``j`` leave them free to deal with
    each other: 1 within a country, ``(1 - s_i) * (1 - s_j)`` across a border, ``s`` being each
    home country's cross-shareholding ratio in force (``cond.cross_shareholding``)."""
    ci, cj = model.firms.country[i], model.firms.country[j]
    free = 1.0 - cond.cross_shareholding
    return np.where(ci == cj, 1.0, free[ci] * free[cj])
