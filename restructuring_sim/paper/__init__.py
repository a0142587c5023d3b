"""The paper's figures as data, the event log in the paper's categories, and the comparison.

``figures.toml`` holds the figures; :mod:`.trends` turns an event log into the paper's
categories; :mod:`.moments` computes the scale-free moments and :func:`compare` scores an
ensemble against the paper; :mod:`.validate` is the ``restructuring-sim validate`` command.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

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


def __getattr__(name: str):
    # imported on first use, so that the validate command's module loads without pandas
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
