"""The paper's figures as data, the event log in the paper's categories, and the comparison.

``figures.toml`` holds the figures; :mod:`.trends` turns an event log into the paper's
categories; :mod:`.moments` computes the scale-free moments and :func:`compare` scores an
ensemble against the paper; :mod:`.validate` is the ``restructuring-sim validate`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restructuring_sim._lazy import lazy_exports

_EXPORTS = {
    "Figures": "restructuring_sim.paper.figures",
    "Moment": "restructuring_sim.paper.figures",
    "load_figures": "restructuring_sim.paper.figures",
    "compare": "restructuring_sim.paper.moments",
    "replicate_moments": "restructuring_sim.paper.moments",
}

__all__ = ["Figures", "Moment", "compare", "load_figures", "replicate_moments"]

if TYPE_CHECKING:
    from restructuring_sim.paper.figures import Figures, Moment, load_figures
    from restructuring_sim.paper.moments import compare, replicate_moments

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
