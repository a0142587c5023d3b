"""The paper's figures as data: loading and checking ``figures.toml``.

``figures.toml`` (beside this module) holds the raw counts of the paper and the scale-free
moments built from them, each with its source note and the period it covers, and the tolerance
rules (``[tolerance]``): a share below ``small_share`` (0.15) passes within a factor of
``small_share_factor`` (1.5) of the paper, other shares within +/-``share`` (0.05) absolute,
ratios within +/-``ratio`` (20%) of the paper's value, and counts at census scale within
+/-``count`` (15%), or at or above the paper's figure up to that much over where the paper says
"more than" or "at least" (``at_least``). A moment may state its own tolerance (e.g. 0 for a
qualitative bound).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

FIGURES_PATH = Path(__file__).with_name("figures.toml")

#: relative tolerance of a ratio (fraction of the paper's value), and the unit of a strict bound
RATIO_TOLERANCE = 0.20
#: the count that fixes the census size (see :mod:`restructuring_sim.paper.counts`)
CENSUS_ANCHOR = "all_cross_border_alliances_decade"
#: prefix of a count scored as its share of the anchor count (see :meth:`Figures.census_shares`)
CENSUS_PREFIX = "census_"


class Rules(BaseModel):
    """The tolerance rules of ``[tolerance]`` in ``figures.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(0.05, gt=0, description="absolute tolerance of a share (fraction)")
    small_share: float = Field(0.15, ge=0, le=1, description="shares below this pass within a "
                               "factor instead")
    small_share_factor: float = Field(1.5, gt=1, description="factor a small share may be off")
    ratio: float = Field(RATIO_TOLERANCE, gt=0, description="relative tolerance of a ratio")
    count: float = Field(0.15, gt=0, description="relative tolerance of a count at census scale")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Count(_Strict):
    """A raw figure of the paper (number of deals or participations in a period)."""

    value: float = Field(ge=0, description="the paper's count (deals or participations)")
    period: str = Field(description="name of a period in [periods]")
    source: str = Field(description="where in the paper the figure is")
    note: str = Field(description="the paper's statement, condensed")
    kind: Literal["count"] = "count"
    at_least: bool = Field(False, description="the paper says 'more than' or 'at least': the "
                           "model passes at or above the value, up to the tolerance over it")
    scored: bool = Field(True, description="whether census-scale validation scores the count "
                         "(false for figures that are not the database's, e.g. JETRO's)")
    min_firms: int = Field(0, ge=0, description="firms from which a run's rate of the count "
                           "per firm is the economy's; a smaller run's value is marked, with "
                           "min_firms_note (0: any run)")
    min_firms_note: str = Field("", description="what a run below min_firms misstates, read "
                                "after 'a run of fewer than <min_firms> firms'")

    def interval(self, rules: Rules) -> tuple[float, float]:
        """The model counts that pass at census scale."""
        tol = rules.count * self.value
        return (self.value if self.at_least else self.value - tol, self.value + tol)


class Moment(_Strict):
    """A scored, scale-free moment: a share (0..1) or a ratio of two counts."""

    name: str = ""
    kind: Literal["share", "ratio"]
    value: float = Field(ge=0, description="the paper's value (fraction or ratio)")
    period: str = Field(description="name of a period in [periods]")
    source: Literal["events", "firms"] = Field(
        description="the run output the model's value is computed from"
    )
    note: str = Field(description="what the moment is, and the paper's statement")
    numerator: str | None = Field(None, description="count the value is built from (top)")
    denominator: str | None = Field(None, description="count the value is built from (bottom)")
    bound: Literal["point", "upper"] = Field(
        "point", description="point: |model - paper| <= tol; upper: model <= paper + tol"
    )
    tolerance: float | None = Field(
        None, ge=0, description="allowed absolute deviation, in the moment's units"
    )
    relative_tolerance: float | None = Field(
        None, ge=0, description="allowed deviation as a fraction of the paper's value"
    )
    factor: float | None = Field(
        None, gt=1, description="allowed deviation as a factor of the paper's value (between "
        "value / factor and value * factor)"
    )

    @model_validator(mode="after")
    def _one_tolerance(self) -> Moment:
        given = [k for k in ("tolerance", "relative_tolerance", "factor")
                 if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"moment.{self.name}: give one of tolerance, relative_tolerance "
                             f"and factor, not {' and '.join(given)}")
        if self.factor is not None and self.bound == "upper":
            raise ValueError(f"moment.{self.name}: a bound takes tolerance, not factor")
        return self

    @property
    def tol(self) -> float:
        """Allowed deviation above the paper's value, in the moment's own units."""
        if self.factor is not None:
            return self.value * (self.factor - 1.0)
        if self.tolerance is not None:
            return self.tolerance
        return (self.relative_tolerance or 0.0) * self.value

    @property
    def interval(self) -> tuple[float, float]:
        """The model values that pass (``-inf`` below a bound)."""
        if self.bound == "upper":
            return (-np.inf, self.value + self.tol)
        if self.factor is not None:
            return (self.value / self.factor, self.value * self.factor)
        return (self.value - self.tol, self.value + self.tol)

    @property
    def unit(self) -> float:
        """One tolerance unit for plots and losses: the tolerance, or 20% of the value where the
        tolerance is zero (a strict bound); never zero."""
        if self.tol > 0:
            return self.tol
        return max(RATIO_TOLERANCE * abs(self.value), 1e-3)

    def deviation(self, model_value: float) -> float:
        """Signed deviation from the paper's value in tolerance units: a point moment passes
        within [-1, 1] (for a factor tolerance, on the log scale: ``log(model / paper) /
        log(factor)``); a bound is measured from the paper's value in :attr:`unit` and passes
        up to ``tol / unit``."""
        if self.factor is not None:
            if not model_value > 0:
                return -np.inf if model_value == 0 else np.nan
            return float(np.log(model_value / self.value) / np.log(self.factor))
        return (model_value - self.value) / self.unit

    def spread_units(self, model_value: float, spread: float) -> float:
        """An ensemble spread (sd, in the moment's units) in tolerance units at
        ``model_value`` (for a factor tolerance, the delta method on the log scale)."""
        if self.factor is not None:
            return spread / (max(model_value, 1e-12) * np.log(self.factor))
        return spread / self.unit

    @property
    def rule(self) -> str:
        """The tolerance rule in words, for tables."""
        if self.bound == "upper":
            return f"<= {self.value + self.tol:.3g}"
        if self.factor is not None:
            return f"x/ {self.factor:g}"
        if self.relative_tolerance is not None:
            return f"+/-{self.relative_tolerance:.0%}"
        return f"+/-{self.tol:.3g}"

    def passes(self, model_value):
        """Whether a model value (an ensemble mean) is within tolerance; NaN never passes.

        Elementwise on an array of values (a boolean array); a plain bool for one value.
        """
        x = np.asarray(model_value, dtype=float)
        lo, hi = self.interval
        within = (x >= lo - 1e-12) & (x <= hi + 1e-12)
        return bool(within) if within.ndim == 0 else within


class Figures(_Strict):
    """All figures of the paper: periods (inclusive year ranges), counts and moments."""

    periods: dict[str, tuple[int, int]]
    tolerance: Rules = Field(default_factory=Rules)
    count: dict[str, Count]
    moment: dict[str, Moment]

    @model_validator(mode="after")
    def _consistent(self) -> Figures:
        for name, (start, end) in self.periods.items():
            if end < start:
                raise ValueError(f"periods.{name}: end {end} before start {start}")
        for kind, table in (("count", self.count), ("moment", self.moment)):
            for name, fig in table.items():
                if fig.period not in self.periods:
                    raise ValueError(f"{kind}.{name}.period = {fig.period!r}: unknown period")
        for name, m in self.moment.items():
            if (m.numerator is None) != (m.denominator is None):
                raise ValueError(f"moment.{name}: give both numerator and denominator or none")
            if m.numerator is None:
                continue
            for ref in (m.numerator, m.denominator):
                if ref not in self.count:
                    raise ValueError(f"moment.{name}: unknown count {ref!r}")
            implied = self.count[m.numerator].value / self.count[m.denominator].value
            if abs(implied - m.value) > 0.005 * max(1.0, implied):
                raise ValueError(
                    f"moment.{name}.value = {m.value}: counts imply {implied:.4f}"
                )
        return self

    def years(self, period: str) -> tuple[int, int]:
        """First and last year (inclusive) of a named period."""
        return self.periods[period]

    def census_shares(self) -> dict[str, Moment]:
        """Each scored count but the anchor (:data:`CENSUS_ANCHOR`) as a share of the anchor
        count, with the count's tolerance, named ``census_<count>``: a moment a calibration can
        fit on samples of any size so that census-scale counts come out right.

        The census size is fixed so that a census run's anchor count is the paper's, so a count
        passes at census scale about when its share of the anchor does. The count's tolerance
        (``[tolerance] count``, 15%) is tighter than that of the moment built from the same
        share where there is one (a share below 0.15 passes within a factor of 1.5): a fit to
        the moments alone can leave every count involving SMEs 20% short. A count the paper
        gives as "more than" or "at least" passes from its value to the tolerance above it: its
        share's moment is the middle of that band, with half the tolerance.
        """
        anchor = self.count[CENSUS_ANCHOR].value
        tol = self.tolerance.count
        out = {}
        for name, count in self.count.items():
            if name == CENSUS_ANCHOR or not count.scored:
                continue
            value, relative = count.value / anchor, tol
            if count.at_least:
                value, relative = value * (1 + tol / 2), (tol / 2) / (1 + tol / 2)
            out[CENSUS_PREFIX + name] = Moment(
                name=CENSUS_PREFIX + name, kind="share", value=value, period=count.period,
                source="events", relative_tolerance=relative,
                note=f"census-scale count {name} ({'at least ' if count.at_least else ''}"
                     f"{count.value:g}) over the {anchor:g} cross-border alliances that fix "
                     "the census size")
        return out

    def fittable(self) -> dict[str, Moment]:
        """Every moment a calibration can fit: the paper's moments and the census shares
        (:meth:`census_shares`)."""
        return {**self.moment, **self.census_shares()}


def parse_figures(data: dict) -> Figures:
    """Validate raw figures data (as read from TOML); moments get their table key as name, and
    those that state no tolerance take the rule of ``[tolerance]`` for their kind and value."""
    data = dict(data)
    rules = Rules.model_validate(data.get("tolerance", {}))
    data["moment"] = {k: _with_rule({**v, "name": k}, rules)
                      for k, v in data.get("moment", {}).items()}
    return Figures.model_validate(data)


def _with_rule(moment: dict, rules: Rules) -> dict:
    """A moment's raw data with the tolerance its kind and value call for, unless it states
    one (see the module docstring)."""
    if any(k in moment for k in ("tolerance", "relative_tolerance", "factor")):
        return moment
    if moment.get("kind") == "ratio":
        return {**moment, "relative_tolerance": rules.ratio}
    if moment.get("bound", "point") == "point" and moment.get("value", 1.0) < rules.small_share:
        return {**moment, "factor": rules.small_share_factor}
    return {**moment, "tolerance": rules.share}


@lru_cache(maxsize=4)
def load_figures(path: str | Path | None = None) -> Figures:
    """Load and check the paper's figures (default: the ``figures.toml`` shipped here)."""
    path = Path(path) if path is not None else FIGURES_PATH
    with path.open("rb") as fh:
        return parse_figures(tomllib.load(fh))
