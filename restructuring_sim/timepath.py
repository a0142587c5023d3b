"""Piecewise-linear time paths.

Scenario drivers and policy levers may change over time. A path is written in TOML as a table of
``{year = value}`` points, e.g. ``ict_cost = {1988 = 1.0, 1995 = 0.6, 2000 = 0.3}``. Between points
the value is interpolated linearly; before the first and after the last point it stays constant.
A plain number is a constant path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, PlainSerializer


class TimePath:
    """A piecewise-linear function of the (fractional) calendar year.

    Parameters
    ----------
    points : mapping of year -> value
        At least one point. Years are calendar years (e.g. 1995); values are in the unit of the
        field that holds the path.

    Examples
    --------
    >>> p = TimePath({1990: 0.0, 2000: 1.0})
    >>> p(1985), p(1995), p(2010)
    (0.0, 0.5, 1.0)
    """

    __slots__ = ("_years", "_values")

    def __init__(self, points: Mapping[float, float]):
        if not points:
            raise ValueError("a time path needs at least one {year = value} point")
        items = sorted((float(k), float(v)) for k, v in points.items())
        self._years = np.array([y for y, _ in items])
        self._values = np.array([v for _, v in items])

    @classmethod
    def constant(cls, value: float) -> TimePath:
        """A path that has ``value`` in every year."""
        return cls({0: value})

    def __call__(self, year: float) -> float:
        return float(np.interp(year, self._years, self._values))

    def at(self, years: np.ndarray) -> np.ndarray:
        """Values at many years at once: the numbers calling the path year by year gives
        (numpy interpolates each year by the same formula, whether it gets one or many)."""
        return np.interp(years, self._years, self._values)

    @property
    def values(self) -> np.ndarray:
        """The values at the path's points."""
        return self._values.copy()

    def to_dict(self) -> dict[str, float]:
        """The points as a ``{"year": value}`` dict (TOML- and JSON-friendly)."""
        if len(self._years) == 1 and self._years[0] == 0:
            return {"0": float(self._values[0])}
        return {f"{y:g}": float(v) for y, v in zip(self._years, self._values, strict=True)}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TimePath)
            and np.array_equal(self._years, other._years)
            and np.array_equal(self._values, other._values)
        )

    def __repr__(self) -> str:
        return f"TimePath({self.to_dict()})"


def _to_path(value: Any) -> TimePath:
    if isinstance(value, TimePath):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a {{year = value}} table, got {value!r}")
    if isinstance(value, int | float):
        return TimePath.constant(value)
    if isinstance(value, Mapping):
        points = {}
        for k, v in value.items():
            try:
                year = float(k)
            except (TypeError, ValueError):
                raise ValueError(f"time path key {k!r} is not a year") from None
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"time path value for {k} is {v!r}, expected a number")
            points[year] = float(v)
        return TimePath(points)
    raise ValueError(f"expected a number or a {{year = value}} table, got {value!r}")


def _dump_path(path: TimePath) -> float | dict[str, float]:
    d = path.to_dict()
    return d["0"] if list(d) == ["0"] else d


@dataclass(frozen=True)
class PathBounds:
    """The allowed range of a :func:`bounded_path` field, kept in its type's metadata so that
    the parameter tables of the documentation (:mod:`restructuring_sim.paramdoc`) can show it."""

    low: float | None
    high: float | None


def bounded_path(low: float | None = None, high: float | None = None):
    """A pydantic field type for a time path whose every point lies in ``[low, high]``."""

    def check(value: Any) -> TimePath:
        path = _to_path(value)
        vals = path.values
        if low is not None and (vals < low).any():
            raise ValueError(f"value {vals.min():g} is below the allowed minimum {low:g}")
        if high is not None and (vals > high).any():
            raise ValueError(f"value {vals.max():g} is above the allowed maximum {high:g}")
        return path

    return Annotated[
        TimePath,
        BeforeValidator(check),
        PlainSerializer(_dump_path, return_type=Any),
        PathBounds(low, high),
    ]
