"""A large firm as several units: business units and country affiliates that run their own deals.

A firm of more than 250 employees is ``(employees / 250) ** behaviour.division_elasticity``
units (a real number; 1 for an SME). The volatility of firms' growth falls with size about as
``size ** -0.15`` to ``-0.2`` (Stanley et al. 1996; Amaral et al. 1997), which a firm made of
independent units gives with about ``size ** 0.3`` to ``0.4`` units (Sutton 2002).

Each unit seeks partners with the firm's chance a quarter, manages a span of alliances of its
own size and takes on up to three alliances a step (see
:mod:`restructuring_sim.mechanisms.search` and :mod:`restructuring_sim.mechanisms.alliances`),
and hunts for acquisitions with the firm's yearly chances (see
:mod:`restructuring_sim.mechanisms.acquisitions`): so a large firm's alliances and acquisitions
rise with its size alike, and the alliance network's degrees follow the heavy tail of firm
sizes. What one alliance teaches or yields (knowledge absorbed, new
combinations, quality) reaches the unit that runs it, and the firm's averages move by that
unit's share, ``1 / units`` (see :func:`restructuring_sim.mechanisms.alliances.learn` and
:func:`restructuring_sim.mechanisms.innovation.recombine`): a firm of ten units with thirty
alliances learns as ten firms of three alliances each do, not as one firm of thirty.
"""

from __future__ import annotations

import numpy as np


def divisions(model) -> np.ndarray:
    """Units of every firm: 1 up to 250 employees, then ``(employees / 250) **
    division_elasticity`` (read-only; computed again only once employees change)."""
    beta = model.scenario.behaviour.division_elasticity
    return model.firms.derived("employees", ("divisions", beta),
                               lambda e: np.maximum(e / 250.0, 1.0) ** beta)
