"""The calibration spec (TOML), validated with pydantic.

Example (``experiments/calibration/baseline.toml``)::

    name = "baseline"
    scenario = "../scenarios/baseline.toml"   # relative to the spec file
    seed = 1
    overrides = ["simulation.n_firms=500"]
    moments = []                              # empty: every moment of the paper

    [parameters."behaviour.sample_size"]
    low = 1.0
    high = 12.0

    [budget]
    population_size = 24
    generations = 4
    replicates = 2

A parameter is any numeric field of the scenario, named by its dotted key (``behaviour.w_rnd``,
``drivers.rnd_cost_growth``, ``drivers.ict_cost.2000`` for one point of a time path); its prior
is uniform on [low, high], which must lie inside the field's allowed range.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from restructuring_sim.errors import UserError
from restructuring_sim.io import read_toml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bounds(_Strict):
    """Uniform prior of one free parameter, in the field's own unit."""

    low: float = Field(description="lower bound of the uniform prior")
    high: float = Field(description="upper bound of the uniform prior (> low)")

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if not self.high > self.low:
            raise ValueError(f"bounds the wrong way round: low = {self.low:g} must be < "
                             f"high = {self.high:g}")
        return self


class Budget(_Strict):
    """How much simulation the calibration may spend, and how (``method``)."""

    method: Literal["abc", "design"] = Field(
        "abc", description="abc: ABC-SMC generations of population_size particles (pyabc); "
        "design: a Latin hypercube of design_points over the priors, refine_points more around "
        "the emulator's optimum, and the emulator's point at the check "
        "(restructuring_sim.calibration.design)")
    design_points: int = Field(256, ge=2, le=100_000,
                               description="design: points of the Latin hypercube over the "
                               "priors (each run on replicates seeds)")
    refine_points: int = Field(128, ge=0, le=100_000,
                               description="design: points of a second hypercube around the "
                               "emulator's optimum over the first (0 = none)")
    refine_width: float = Field(0.15, gt=0, le=0.5,
                                description="design: half-width of the refinement's box, as a "
                                "share of each prior's width (share)")
    population_size: int = Field(20, ge=2, le=100_000,
                                 description="accepted particles per ABC-SMC generation")
    generations: int = Field(3, ge=1, le=1000, description="ABC-SMC generations in total")
    replicates: int = Field(1, ge=1, le=1000,
                            description="runs per particle (seeds spawned per parameter point)")
    check_replicates: int = Field(4, ge=1, le=1000,
                                  description="runs of the best parameters for the final table")
    check_candidates: int = Field(1, ge=1, le=100,
                                  description="lowest-loss particles that run the check ensemble "
                                  "beside the posterior mean; the one most likely to pass in an "
                                  "ensemble of ensemble_size (without one: with the most moments "
                                  "within tolerance there) is chosen")
    ensemble_size: int = Field(0, ge=0, le=1000,
                               description="replicates of the ensemble the fit is judged on "
                               "(validate's --replicates). When set, a particle's loss adds each "
                               "moment's sampling spread over such an ensemble (estimated from "
                               "its replicates), and the check chooses the candidate most "
                               "likely to put every fitted moment within tolerance in one such "
                               "ensemble; 0 = judge the replicates' mean alone")
    workers: int = Field(1, ge=1, le=1024,
                         description="processes running a particle's replicates")
    min_epsilon: float = Field(0.0, ge=0, description="stop once the tolerance epsilon falls "
                               "to this loss (0 = run every generation)")
    max_simulations: int | None = Field(None, ge=1, description="start no new generation "
                                        "once this many particle evaluations are spent (a "
                                        "generation runs to completion; none = no limit)")
    min_acceptance_rate: float = Field(0.0, ge=0, le=1, description="give up a generation "
                                       "(and stop) once its acceptance would fall below this "
                                       "rate: bounds a generation at population_size / rate "
                                       "evaluations (0 = no bound)")

    @model_validator(mode="after")
    def _ensemble_fits(self) -> Budget:
        if self.ensemble_size and self.replicates < 2:
            raise ValueError(f"ensemble_size = {self.ensemble_size} needs replicates >= 2 (the "
                             f"spread is estimated from a particle's replicates), got "
                             f"{self.replicates}")
        if self.ensemble_size and self.check_replicates <= self.ensemble_size:
            raise ValueError(f"ensemble_size = {self.ensemble_size} needs check_replicates above "
                             f"it (ensembles of that size are drawn from the check's "
                             f"replicates), got {self.check_replicates}")
        return self


class CalibrationSpec(_Strict):
    """A validated calibration spec."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="names the output folder")
    scenario: Path = Field(description="scenario TOML file, relative to the spec file (kept as "
                           "written, so the record does not depend on where the repo lives)")
    seed: int = Field(1, ge=0, description="root seed of the calibration (sampler and runs)")
    overrides: list[str] = Field(default_factory=list,
                                 description="--set style overrides applied to the scenario")
    moments: list[str] = Field(default_factory=list,
                               description="moments to fit (empty = every moment)")
    parameters: dict[str, Bounds] = Field(description="free parameters: dotted key -> bounds")
    budget: Budget = Field(default_factory=Budget)

    @model_validator(mode="after")
    def _some(self) -> CalibrationSpec:
        if not self.parameters:
            raise ValueError("parameters: name at least one free parameter")
        return self

    def digest(self) -> str:
        """SHA-256 of the spec's content, except the budget (which a resume may raise)."""
        data = self.model_dump(mode="json", exclude={"budget"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _format(err: dict, source: str) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{source}: {loc}: unknown key"
    value = err.get("input")
    if isinstance(value, dict):
        return f"{source}: {loc}: {msg}"
    return f"{source}: {loc} = {value!r}: {msg}"


def leaf(data: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of nested scenario data; KeyError if there is none."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def set_leaf(data: dict[str, Any], key: str, value: Any) -> None:
    """Set the value at an existing dotted key (in place)."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def load_spec(path: str | Path) -> tuple[CalibrationSpec, dict[str, Any]]:
    """Read and validate a spec; returns it and the scenario data its parameters apply to.

    Raises :class:`UserError` naming the field and value: unknown keys or parameters, bounds
    the wrong way round or outside the field's allowed range, unknown moments, budget values.
    """
    from restructuring_sim.paper.figures import load_figures
    from restructuring_sim.scenario import load_scenario, scenario_from_dict

    path = Path(path)
    raw = read_toml(path, "calibration spec")
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        raise UserError(_format(exc.errors()[0], str(path))) from None
    known = list(load_figures().fittable())
    for name in spec.moments:
        if name not in known:
            raise UserError(f"{path}: moments: {name!r} is not a moment; allowed: "
                            f"{', '.join(known)}")
    scenario_path = (path.parent / spec.scenario).resolve()  # spec keeps the path as written
    base = load_scenario(scenario_path, spec.overrides).to_dict()
    for key, bounds in spec.parameters.items():
        try:
            value = leaf(base, key)
        except KeyError:
            raise UserError(f"{path}: parameters.{key}: unknown parameter (not a field of the "
                            "scenario; e.g. behaviour.sample_size, drivers.rnd_cost_growth, "
                            "drivers.ict_cost.2000)") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"{path}: parameters.{key} = {value!r}: not a numeric field (a "
                            "time path is calibrated point by point, e.g. "
                            "drivers.ict_cost.2000)")
        for side in ("low", "high"):
            trial = copy.deepcopy(base)
            set_leaf(trial, key, getattr(bounds, side))
            try:
                scenario_from_dict(trial, source=f"{path}: parameters.{key}.{side}")
            except UserError as exc:
                raise UserError(str(exc)) from None
    return spec, base
