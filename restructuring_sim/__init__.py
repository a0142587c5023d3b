"""restructuring_sim: an agent-based simulation of global industrial restructuring and SMEs."""

__version__ = "0.1.0"

from restructuring_sim.model import RestructuringModel  # noqa: E402
from restructuring_sim.scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["RestructuringModel", "Scenario", "__version__", "load_scenario"]
