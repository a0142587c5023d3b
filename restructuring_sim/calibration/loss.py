"""The calibration loss: distance of simulated moments from the paper's, in tolerance units.

For each fitted moment ``d`` is its deviation from the paper in tolerance units
(:meth:`~restructuring_sim.paper.figures.Moment.deviation`: ``(model - paper) / tolerance``, or
on the log scale for a small share that passes within a factor); a bound moment (the paper
says "few" or "below") contributes only when the model exceeds the bound. An undefined moment
(NaN: e.g. no deal of a kind in the run) contributes :data:`NAN_PENALTY`. The loss is the root
mean square of ``d``: a loss <= 1 means the moments are, on average, within tolerance.

When the simulated moments carry their spread over an ensemble (``"spread:" + name``, see
:func:`restructuring_sim.calibration.simulate.ensemble_moments`), each moment contributes its
expected squared deviation over such ensembles instead, the ensemble's value taken as normal
around the model's: bias squared plus spread squared, and for a bound moment the expected
square of the excess over the bound. A point whose moments sit on target but vary widely from
one ensemble to the next then scores worse than one that hits them as closely every time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scipy.stats import norm

from restructuring_sim.calibration.simulate import SPREAD
from restructuring_sim.paper.figures import Moment

#: contribution (in tolerance units) of a moment the model leaves undefined
NAN_PENALTY = 10.0


def deviations(simulated: Mapping[str, float], moments: list[Moment]) -> dict[str, float]:
    """Per-moment deviation from the paper in tolerance units (signed; bounds one-sided)."""
    out = {}
    for m in moments:
        x = simulated.get(m.name, math.nan)
        if x is None or not math.isfinite(x):
            out[m.name] = NAN_PENALTY
        elif m.bound == "upper":
            out[m.name] = max(0.0, m.deviation(x))
        else:
            out[m.name] = m.deviation(x)
    return out


def expected_square(deviation: float, spread: float, bound: bool) -> float:
    """Expected square of a moment's deviation (tolerance units) when the ensemble's value is
    normal around the model's with sd ``spread`` (tolerance units): ``deviation ** 2 + spread
    ** 2``, or for a bound moment (``deviation`` is then model minus bound, signed) the
    expected square of the part above the bound."""
    if not spread > 0:
        return max(0.0, deviation) ** 2 if bound else deviation ** 2
    if not bound:
        return deviation ** 2 + spread ** 2
    z = deviation / spread
    if abs(z) > 30:  # the normal's tail beyond the bound is nil (or all of it lies beyond)
        return deviation ** 2 + spread ** 2 if z > 0 else 0.0
    return spread ** 2 * ((z * z + 1) * norm.cdf(z) + z * norm.pdf(z))


class Loss:
    """Root-mean-square deviation in tolerance units (expected over ensembles where the
    moments carry their spread); callable as a pyabc distance."""

    def __init__(self, moments: list[Moment]):
        self.moments = list(moments)

    def __call__(self, simulated: Mapping[str, float],
                 observed: Mapping[str, float] | None = None) -> float:
        squares = []
        for m in self.moments:
            x = simulated.get(m.name, math.nan)
            if x is None or not math.isfinite(x):
                squares.append(NAN_PENALTY ** 2)
                continue
            spread = simulated.get(SPREAD + m.name, 0.0)
            spread = (m.spread_units(x, spread) if spread is not None and math.isfinite(spread)
                      else 0.0)
            deviation = m.deviation(x)
            if not math.isfinite(deviation):  # a zero where a factor is allowed
                squares.append(NAN_PENALTY ** 2)
                continue
            squares.append(expected_square(deviation, spread, m.bound == "upper"))
        return math.sqrt(sum(squares) / max(1, len(squares)))
