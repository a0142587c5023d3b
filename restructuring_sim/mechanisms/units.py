"""A large firm as several units: business units and country affiliates that run their own deals.

A firm of more than 250 employees is ``(employees / 250) ** behaviour.division_elasticity``
units (a real number; 1 for an SME). The volatility of firms' growth falls with size about as
``size ** -0.15`` to ``-0.2`` (Stanley et al. 1996; Amaral et al. 1997), which a firm made of
independent units gives with about ``size ** 0.3`` to ``0.4`` units (Sutton 2002).

Each unit seeks partners with a 250-employee firm's chance a quarter, manages a span of
alliances of its own size and takes on up to three alliances a step (see
:mod:`restructuring_sim.mechanisms.search` and :mod:`restructuring_sim.mechanisms.alliances`),
and hunts for acquisitions with the firm's yearly chances, buying and absorbing targets of up to
a multiple of its own value (see :mod:`restructuring_sim.mechanisms.acquisitions`): so a large
firm's alliances and acquisitions rise with its size alike, and the alliance network's degrees
follow the heavy tail of firm sizes. What one alliance teaches or yields (knowledge absorbed,
new combinations, quality, revenue) reaches the unit that runs it, and the firm's averages and
revenue share move by that unit's share, ``1 / units`` (see
:func:`restructuring_sim.mechanisms.alliances.learn`,
:func:`restructuring_sim.mechanisms.innovation.recombine` and
:func:`restructuring_sim.mechanisms.demography.accounts`): a firm of ten units with thirty
alliances learns and earns as ten firms of three alliances each do, not as one firm of thirty.
A firm's growth from its deals is then about proportional to its size, as Gibrat's law has it,
instead of faster the larger the firm (which made the largest firms of a large sample grow
sevenfold in twelve years).
"""

from __future__ import annotations

import numpy as np


def of_size(employees: np.ndarray, elasticity: float) -> np.ndarray:
    """Units of firms of ``employees``: 1 up to 250, then ``(employees / 250) ** elasticity``.

    The power is taken of the firms above 250 employees alone (a few in a hundred): below,
    the formula's ``max(employees / 250, 1) ** elasticity`` is ``1 ** elasticity``, exactly 1,
    and numpy's power gives each element the same number whichever array holds it."""
    units = np.ones(np.shape(employees))
    large = np.flatnonzero(employees > SME_SIZE)
    units[large] = (employees[large] / SME_SIZE) ** elasticity
    return units


#: employees of the largest SME, and of one unit of a large firm
SME_SIZE = 250.0


def divisions(model) -> np.ndarray:
    """Units of every firm (:func:`of_size` at ``behaviour.division_elasticity``; read-only,
    computed again only once employees change)."""
    beta = model.scenario.behaviour.division_elasticity
    return model.firms.derived("employees", ("divisions", beta), lambda e: of_size(e, beta))


def repeat_by_count(firms: np.ndarray, expected: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Each of ``firms`` once per search or hunt it runs: the whole number of its ``expected``
    count, plus one more where its uniform ``draw`` falls below the fraction (a single unit
    with a chance below 1 runs one with that chance)."""
    whole = np.floor(expected)
    return np.repeat(firms, whole.astype(np.int64) + (draw < expected - whole))
