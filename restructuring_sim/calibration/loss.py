"""The calibration loss: distance of simulated moments from the paper's, in tolerance units.

For each fitted moment ``d = (model - paper) / scale`` where ``scale`` is the moment's
tolerance (0.05 for a share, 20% of the paper's value for a ratio); a bound moment (the paper
says "few" or "below") contributes only when the model exceeds the bound. An undefined moment
(NaN: e.g. no deal of a kind in the run) contributes :data:`NAN_PENALTY`. The loss is the root
mean square of ``d``: a loss <= 1 means the moments are, on average, within tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from restructuring_sim.paper.figures import Moment

#: contribution (in tolerance units) of a moment the model leaves undefined
NAN_PENALTY = 10.0


def scale(moment: Moment) -> float:
    """Deviation that counts as one tolerance unit (never zero)."""
    return moment.unit


def deviations(simulated: Mapping[str, float], moments: list[Moment]) -> dict[str, float]:
    """Per-moment deviation from the paper in tolerance units (signed; bounds one-sided)."""
    out = {}
    for m in moments:
        x = simulated.get(m.name, math.nan)
        if x is None or not math.isfinite(x):
            out[m.name] = NAN_PENALTY
        elif m.bound == "upper":
            out[m.name] = max(0.0, x - m.value) / scale(m)
        else:
            out[m.name] = (x - m.value) / scale(m)
    return out


class Loss:
    """Root-mean-square deviation in tolerance units; callable as a pyabc distance."""

    def __init__(self, moments: list[Moment]):
        self.moments = list(moments)

    def __call__(self, simulated: Mapping[str, float],
                 observed: Mapping[str, float] | None = None) -> float:
        d = deviations(simulated, self.moments)
        return math.sqrt(sum(v * v for v in d.values()) / max(1, len(d)))
