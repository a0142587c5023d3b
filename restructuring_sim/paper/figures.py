"""The paper's figures as data: loading and checking ``figures.toml``.

``figures.toml`` (beside this module) holds the raw counts of the paper and the scale-free
moments built from them, each with its source note, the period it covers and its tolerance rule.
Only moments are scored: shares within +/-0.05 absolute of the paper, ratios within +/-20% of
the paper's value (a moment may state its own tolerance, e.g. 0 for a qualitative bound).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

FIGURES_PATH = Path(__file__).with_name("figures.toml")

#: absolute tolerance of a share (fraction)
SHARE_TOLERANCE = 0.05
#: relative tolerance of a ratio (fraction of the paper's value)
RATIO_TOLERANCE = 0.20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Count(_Strict):
    """A raw figure of the paper (number of deals or participations in a period)."""

    value: float = Field(ge=0, description="the paper's count (deals or participations)")
    period: str = Field(description="name of a period in [periods]")
    source: str = Field(description="where in the paper the figure is")
    note: str = Field(description="the paper's statement, condensed")
    kind: Literal["count"] = "count"


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

    @model_validator(mode="after")
    def _one_tolerance(self) -> Moment:
        if self.tolerance is not None and self.relative_tolerance is not None:
            raise ValueError(f"moment.{self.name}: give tolerance or relative_tolerance, not both")
        return self

    @property
    def tol(self) -> float:
        """Allowed deviation from the paper's value, in the moment's own units (when the file
        gives none: 0.05 for a share, 20% of the value for a ratio)."""
        if self.tolerance is not None:
            return self.tolerance
        if self.relative_tolerance is not None:
            return self.relative_tolerance * self.value
        return SHARE_TOLERANCE if self.kind == "share" else RATIO_TOLERANCE * self.value

    @property
    def unit(self) -> float:
        """One tolerance unit for plots and losses: the tolerance, or 20% of the value where the
        tolerance is zero (a strict bound); never zero."""
        if self.tol > 0:
            return self.tol
        return max(RATIO_TOLERANCE * abs(self.value), 1e-3)

    @property
    def rule(self) -> str:
        """The tolerance rule in words, for tables."""
        if self.bound == "upper":
            return f"<= {self.value + self.tol:.3g}"
        if self.relative_tolerance is not None or (self.tolerance is None
                                                   and self.kind == "ratio"):
            rel = RATIO_TOLERANCE if self.relative_tolerance is None else self.relative_tolerance
            return f"+/-{rel:.0%}"
        return f"+/-{self.tol:.3g}"

    def passes(self, model_value):
        """Whether a model value (an ensemble mean) is within tolerance; NaN never passes.

        Elementwise on an array of values (a boolean array); a plain bool for one value.
        """
        x = np.asarray(model_value, dtype=float)
        if self.bound == "upper":
            within = x <= self.value + self.tol + 1e-12
        else:
            within = np.abs(x - self.value) <= self.tol + 1e-12
        return bool(within) if within.ndim == 0 else within


class Figures(_Strict):
    """All figures of the paper: periods (inclusive year ranges), counts and moments."""

    periods: dict[str, tuple[int, int]]
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


def parse_figures(data: dict) -> Figures:
    """Validate raw figures data (as read from TOML); moments get their table key as name."""
    data = dict(data)
    data["moment"] = {k: {**v, "name": k} for k, v in data.get("moment", {}).items()}
    return Figures.model_validate(data)


@lru_cache(maxsize=4)
def load_figures(path: str | Path | None = None) -> Figures:
    """Load and check the paper's figures (default: the ``figures.toml`` shipped here)."""
    path = Path(path) if path is not None else FIGURES_PATH
    with path.open("rb") as fh:
        return parse_figures(tomllib.load(fh))
