"""Divestment: multinationals divest affiliates abroad, once a year.

Each affiliate of an active multinational (a country of its ``markets`` other than home) is
divested with chance ``acquisitions.affiliate_exit_rate`` a year. The affiliate leaves as a
firm of its own in its country (``firm_entered``, the multinational as parent; see
:func:`restructuring_sim.lifecycle.split_off`): it takes the employees, capital and sales the
product markets give the affiliate (its share ``w / (1 + W)`` of the firm's capacity, ``w`` its
country's weight and ``W`` the sum over the firm's affiliates, as
:mod:`restructuring_sim.mechanisms.market` splits it), and the multinational no longer sells
there. A firm left with no affiliate is no longer multinational. The same year the affiliate is
offered for sale, at its price, to the larger firms of its sector, as a retiring owner's firm is
(:mod:`restructuring_sim.mechanisms.acquisitions`, motive ``market``: the buyer gains a place in
the affiliate's market); one that finds no buyer stays independent, sold to its managers or to
local investors.

Why: foreign affiliates are divested or closed about as often as domestic firms exit
(Boddewyn 1983; Benito 1997; Mata and Portugal 2000), and multinationals of the 1990s refocused
on core activities. Without it an economy's affiliates only accumulate: the foreign markets a
presence hunt can enter run out over the decade, and the cross-border M&As made to enter them
fall (docs/calibration.md). Most divested affiliates are sold to other firms rather than closed
or floated; a sale to its managers or to local investors is not a deal between two of the
model's firms, so the event log records only the firm's entry.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim import lifecycle
from restructuring_sim.mechanisms import exports

_NONE = np.zeros(0, dtype=np.int64)


def step(model, cond) -> np.ndarray:
    """Split off this year's divested affiliates; return them (firm ids, offered to buyers by
    :func:`restructuring_sim.mechanisms.acquisitions.step`)."""
    rate = model.scenario.acquisitions.affiliate_exit_rate
    if rate <= 0.0:
        return _NONE
    f = model.firms
    active = np.flatnonzero(f.active)
    mne, abroad = exports.affiliates_of_mnes(model, active)
    firms = active[mne]
    if not len(firms):
        return _NONE
    weight = exports.affiliate_size(model)[f.country[firms]] * abroad
    part = weight / (1.0 + weight.sum(axis=1))[:, None]  # of the firm as it is now
    sold = abroad & (model.rng.random(abroad.shape) < rate)
    row, country = np.nonzero(sold)
    if not len(row):
        return _NONE
    # a firm divesting several affiliates splits them off one round after the other, each
    # round's share of what the firm has left (row-major nonzero keeps a firm's together)
    first = np.searchsorted(row, row)
    rank = np.arange(len(row)) - first
    before = np.cumsum(part[row, country]) - part[row, country]
    left = 1.0 - (before - before[first])
    divested = []
    for r in range(int(rank.max()) + 1):
        at = np.flatnonzero(rank == r)
        sellers = firms[row[at]]
        share = part[row[at], country[at]] / left[at]
        with f.writing("employees") as employees:
            size = employees[sellers] * share
            employees[sellers] -= size
        f.markets[sellers, country[at]] = False
        divested.append(lifecycle.split_off(model, cond, sellers, share, size,
                                            country=country[at]))
    f.mne[firms] &= f.n_markets_of(firms) > 1
    return np.concatenate(divested)
