"""restructuring_sim: an agent-based simulation of global industrial restructuring and SMEs.

``RestructuringModel``, ``Scenario`` and ``load_scenario`` are imported on first use (PEP 562),
so that importing the package, or running ``restructuring-sim --help``, does not load Mesa,
pandas or the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restructuring_sim._lazy import lazy_exports
from restructuring_sim._version import __version__

_EXPORTS = {
    "RestructuringModel": "restructuring_sim.model",
    "Scenario": "restructuring_sim.scenario",
    "load_scenario": "restructuring_sim.scenario",
}

__all__ = ["RestructuringModel", "Scenario", "__version__", "load_scenario"]

if TYPE_CHECKING:
    from restructuring_sim.model import RestructuringModel
    from restructuring_sim.scenario import Scenario, load_scenario

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
