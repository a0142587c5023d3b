"""Sweep specifications: what to run, validated before anything runs.

A sweep spec is a TOML file::

    scenario = "../scenarios/baseline.toml"   # relative to the spec file
    design = "grid"                            # grid | lhs | sobol | morris
    replicates = 2                             # runs per design point
    seed = 20020                               # root seed; every run's seed derives from it
    metrics = ["cross_border_sme_alliances", "sme_share"]   # default: all metrics
    keep_events = false                        # also keep each run's event log
    include_baseline = false                   # add a point with the scenario unchanged
    common_seeds = false                       # same seeds at every point (paired comparisons)
    samples = 8                                # lhs: points; sobol/morris: base samples N

    [fixed]                                    # overrides applied to every run
    "simulation.n_firms" = 1000

    [parameters]
    "policy.trade_openness" = [0.3, 0.6, 0.9]             # a list of values
    "policy.sme_capability" = { range = [0.0, 0.8] }      # a range [low, high]
    "simulation.n_firms" = { range = [500, 2000], levels = 4, integer = true }

Parameters are dotted scenario keys. A grid takes the Cartesian product of every parameter's
values (a range gives ``levels`` evenly spaced values, 3 by default). The sampled designs (Latin
hypercube, Sobol, Morris; all via SALib) draw ranges uniformly; a parameter given as a list is
sampled as a categorical (a uniform index into the list).

Every error is a :class:`~restructuring_sim.errors.UserError` with one line naming the field,
the value and what is allowed. A value the model rejects at run time (say, a range running past a
field's bound) is not a spec error: those runs are recorded as failed.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from restructuring_sim.errors import UserError
from restructuring_sim.experiments.metrics import METRICS
from restructuring_sim.io import read_toml
from restructuring_sim.scenario import (
    Scenario,
    apply_overrides,
    deep_merge,
    read_scenario_data,
    scenario_from_dict,
    set_dotted,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
RESERVED = {"simulation.seed": "seeds derive from the spec's root seed"}

# spawn keys of the root SeedSequence: one stream for the design sampler, one per run
_DESIGN_STREAM = 0
_RUN_STREAM = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(_Strict):
    """One swept parameter: a list of values, or a range [low, high]."""

    values: list[Any] | None = Field(None, description="the values to take")
    range: list[float] | None = Field(None, description="[low, high], low < high")
    levels: int = Field(3, ge=2, le=1000, description="grid levels of a range (count)")
    integer: bool = Field(False, description="round range values to integers")

    @field_validator("values")
    @classmethod
    def _values(cls, v):
        if v is not None and not v:
            raise ValueError("empty list of values; give at least one")
        return v

    @field_validator("range")
    @classmethod
    def _range(cls, v):
        if v is None:
            return v
        if len(v) != 2:
            raise ValueError("a range is [low, high]: exactly two numbers")
        if not v[0] < v[1]:
            raise ValueError("empty range; low must be < high")
        return v

    def model_post_init(self, _context) -> None:
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of values = [...] or range = [low, high]")

    @property
    def is_range(self) -> bool:
        """Whether this parameter is a continuous range."""
        return self.range is not None

    def grid_values(self) -> list[Any]:
        """The values a grid design takes."""
        if self.values is not None:
            return list(self.values)
        lo, hi = self.range
        vals = np.linspace(lo, hi, self.levels)
        return [self._cast(v) for v in vals]

    def from_unit(self, u: float) -> Any:
        """Map a sample in the parameter's sampling space to a value."""
        if self.values is not None:
            idx = min(int(np.floor(u)), len(self.values) - 1)
            return self.values[max(idx, 0)]
        return self._cast(u)

    def bounds(self) -> list[float]:
        """SALib bounds: the range, or [0, k) index space of a list."""
        return list(self.range) if self.range is not None else [0.0, float(len(self.values))]

    def _cast(self, v: float) -> Any:
        # 12 decimals: drop float noise of samplers (0.9000000000000001 -> 0.9)
        return int(round(float(v))) if self.integer else round(float(v), 12)

    def kind(self) -> str:
        """Storage type of the parameter's column: float, int, bool or str."""
        if self.range is not None:
            return "int" if self.integer else "float"
        vals = self.values
        if all(isinstance(v, bool) for v in vals):
            return "bool"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            return "int"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            return "float"
        return "str"


class SweepSpec(_Strict):
    """A validated sweep spec (see the module docstring for the file format)."""

    scenario: str = Field(description="scenario TOML, relative to the spec file")
    name: str = Field("", description="sweep name, used in reports")
    design: str = Field("grid", description="grid, lhs, sobol or morris")
    replicates: int = Field(1, description="runs per design point (>= 1)")
    seed: int = Field(0, ge=0, description="root seed")
    samples: int = Field(8, ge=1, le=1_000_000, description="lhs points, sobol/morris base N")
    morris_levels: int = Field(4, ge=2, le=100, description="levels of the Morris grid")
    metrics: list[str] = Field(default_factory=lambda: list(METRICS),
                               description="metrics to keep")
    keep_events: bool = Field(False, description="keep each run's event log")
    include_baseline: bool = Field(False, description="add a point with the scenario unchanged")
    common_seeds: bool = Field(False, description="replicate r has the same seed at every point")
    fixed: dict[str, Any] = Field(default_factory=dict, description="overrides for every run")
    parameters: dict[str, Parameter] = Field(description="swept parameters (dotted keys)")

    @field_validator("design")
    @classmethod
    def _design(cls, v):
        if v not in DESIGNS:
            raise ValueError(f"unknown design; allowed: {', '.join(DESIGNS)}")
        return v

    @field_validator("replicates")
    @classmethod
    def _replicates(cls, v):
        if v < 1:
            raise ValueError("must be >= 1")
        return v

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, v):
        if not v:
            raise ValueError(f"empty; allowed: {', '.join(METRICS)}")
        for name in v:
            if name not in METRICS:
                close = difflib.get_close_matches(name, list(METRICS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"{name!r} is not a metric{hint}; allowed: {', '.join(METRICS)}")
        if len(set(v)) != len(v):
            raise ValueError("a metric is listed twice")
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _shorthand(cls, v):
        if isinstance(v, dict):
            return {k: ({"values": p} if isinstance(p, list) else p) for k, p in v.items()}
        return v

    @field_validator("parameters")
    @classmethod
    def _some(cls, v):
        if not v:
            raise ValueError("no parameters; give at least one dotted scenario key")
        return v


@dataclass
class Point:
    """One design point: parameter values (None for the baseline point's unchanged values)."""

    point_id: int
    values: dict[str, Any]
    is_baseline: bool = False


@dataclass
class RunTask:
    """Everything a worker needs for one run; plain data so it pickles to any executor."""

    run_key: str
    point_id: int
    replicate: int
    seed: int
    scenario_data: dict[str, Any]
    params: dict[str, Any]
    metrics: list[str]
    keep_events: bool
    is_baseline: bool = False


@dataclass
class Plan:
    """A resolved sweep: the spec, its scenario data, the design points and the runs."""

    spec: SweepSpec
    spec_path: Path | None
    scenario_path: Path | None
    scenario_data: dict[str, Any]
    points: list[Point]
    param_kinds: dict[str, str]
    problem: dict[str, Any] | None = None
    design_matrix: np.ndarray | None = None
    labels: dict[int, str] = field(default_factory=dict)
    point_data: dict[int, dict[str, Any]] = field(default_factory=dict)
    reference: int | None = None  # the point effects are measured against, when not point 0

    @property
    def n_runs(self) -> int:
        """Runs in the sweep: points times replicates."""
        return len(self.points) * self.spec.replicates

    def spec_hash(self) -> str:
        """SHA-256 over the validated spec, the scenario data and the points' scenario data."""
        blob = json.dumps(
            {"spec": self.spec.model_dump(mode="json"), "scenario": self.scenario_data,
             "points": {str(k): v for k, v in self.point_data.items()},
             "reference": self.reference},
            sort_keys=True, separators=(",", ":"), default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def tasks(self) -> list[RunTask]:
        """Every run of the sweep, in (point, replicate) order, with its derived seed."""
        out = []
        for p in self.points:
            data = self.point_data.get(p.point_id, self.scenario_data)
            for r in range(self.spec.replicates):
                out.append(RunTask(
                    run_key=run_key(p.point_id, r), point_id=p.point_id, replicate=r,
                    seed=derive_seed(self.spec.seed, p.point_id, r, self.spec.common_seeds),
                    scenario_data=data, params=dict(p.values), metrics=list(self.spec.metrics),
                    keep_events=self.spec.keep_events, is_baseline=p.is_baseline,
                ))
        return out


def run_key(point_id: int, replicate: int) -> str:
    """File-name key of a run: ``p00012-r001``."""
    return f"p{point_id:05d}-r{replicate:03d}"


def derive_seed(root: int, point_id: int, replicate: int, common: bool = False) -> int:
    """The seed of one run, from the root seed via :class:`numpy.random.SeedSequence`.

    With ``common`` the seed depends on the replicate only (common random numbers across points).
    """
    key = (_RUN_STREAM, replicate) if common else (_RUN_STREAM, point_id, replicate)
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1  # 63 bits: fits an int64 column


# ------------------------------------------------------------------------- loading


def _format(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field_ = ".".join(loc) or "spec"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        model = SweepSpec if len(loc) == 1 else Parameter
        allowed = ", ".join(model.model_fields)
        return f"{source}: {field_}: unknown key; allowed: {allowed}"
    if err["type"] == "missing":
        return f"{source}: {field_}: required"
    value = err.get("input")
    if isinstance(value, dict):
        value = json.dumps(value)
    return f"{source}: {field_} = {value!r}: {msg}"


def parse_spec(data: dict[str, Any], source: str = "spec") -> SweepSpec:
    """Validate raw spec data; raise :class:`UserError` with one line if invalid."""
    params = data.get("parameters")
    if isinstance(params, dict):
        for key, value in params.items():
            if not isinstance(value, (list, dict)):
                raise UserError(
                    f"{source}: parameters.{key} = {value!r}: give a list of values or "
                    "{ range = [low, high] } (a value for every run goes in [fixed])"
                )
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise UserError(_format(exc, source)) from None


def read_spec(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a spec file."""
    path = Path(path)
    return parse_spec(read_toml(path, "sweep spec"), str(path)), path


def load_plan(path: str | Path) -> Plan:
    """Read a spec file, resolve its scenario and build the design."""
    spec, path = read_spec(path)
    return build_plan(spec, path)


def _unwrap(annotation) -> list[Any]:
    """The alternatives of a (possibly optional/union) annotation, None dropped."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def check_key(key: str, scenario_data: dict[str, Any], where: str) -> None:
    """Raise :class:`UserError` unless ``key`` names a settable scenario field."""
    if key in RESERVED:
        raise UserError(f"{where}: {key}: cannot be set here ({RESERVED[key]})")
    parts = key.split(".")
    node: Any = Scenario
    data: Any = scenario_data
    for i, part in enumerate(parts):
        so_far = ".".join(parts[: i + 1])
        if isinstance(node, type) and issubclass(node, BaseModel):
            fields = node.model_fields
            if part not in fields:
                close = difflib.get_close_matches(part, list(fields), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise UserError(
                    f"{where}: {key}: unknown scenario key {so_far!r}{hint}; allowed: "
                    f"{', '.join(fields)}"
                )
            node = fields[part].annotation
        elif typing.get_origin(node) is dict:
            value_type = typing.get_args(node)[1]
            known = sorted(data) if isinstance(data, dict) else []
            model_valued = any(isinstance(a, type) and issubclass(a, BaseModel)
                               for a in _unwrap(value_type))
            if model_valued and part not in known:
                raise UserError(
                    f"{where}: {key}: unknown {'.'.join(parts[:i])} entry {part!r}; "
                    f"allowed: {', '.join(known)}"
                )
            node = value_type
        else:
            raise UserError(
                f"{where}: {key}: {'.'.join(parts[:i])} is a value, not a table; "
                f"use {'.'.join(parts[:i])!r} as the parameter"
            )
        alts = _unwrap(node)
        models = [a for a in alts if isinstance(a, type) and issubclass(a, BaseModel)]
        dicts = [a for a in alts if typing.get_origin(a) is dict]
        node = models[0] if models else (dicts[0] if dicts else alts[0])
        data = data.get(part) if isinstance(data, dict) else None
    if isinstance(node, type) and issubclass(node, BaseModel):
        raise UserError(
            f"{where}: {key}: is a section, not a value; allowed keys: "
            f"{', '.join(node.model_fields)}"
        )


def build_plan(spec: SweepSpec, spec_path: Path | None,
               scenario_data: dict[str, Any] | None = None) -> Plan:
    """Resolve the scenario, check every parameter key and build the design points."""
    src = str(spec_path) if spec_path is not None else "spec"
    scenario_path = None
    if scenario_data is None:
        base_dir = spec_path.parent if spec_path is not None else Path.cwd()
        scenario_path = (base_dir / spec.scenario).resolve()
        if not scenario_path.is_file():
            raise UserError(f"{src}: scenario = {spec.scenario!r}: file {scenario_path} not found")
        scenario_data = read_scenario_data(scenario_path)
    for key, value in spec.fixed.items():
        check_key(key, deep_merge(Scenario().to_dict(), scenario_data), f"{src}: fixed")
        scenario_data = set_dotted(scenario_data, key, value)
    merged = deep_merge(Scenario().to_dict(), scenario_data)
    for key in spec.parameters:
        check_key(key, merged, f"{src}: parameters")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        raise UserError(
            f"{src}: samples = {spec.samples}: the sobol design needs a power of two "
            "(e.g. 8, 16, 64)"
        )
    names = list(spec.parameters)
    params = spec.parameters
    problem = None
    matrix = None
    if spec.design == "grid":
        rows = [dict(zip(names, combo, strict=True))
                for combo in itertools.product(*(params[n].grid_values() for n in names))]
    else:
        problem = {"num_vars": len(names), "names": names,
                   "bounds": [params[n].bounds() for n in names]}
        seed = int(np.random.SeedSequence(spec.seed, spawn_key=(_DESIGN_STREAM,))
                   .generate_state(1)[0])
        matrix = sample_design(spec, problem, seed)
        rows = [{n: params[n].from_unit(x[j]) for j, n in enumerate(names)} for x in matrix]
    points = []
    if spec.include_baseline:
        points.append(Point(0, dict.fromkeys(names), is_baseline=True))
    offset = len(points)
    points += [Point(i + offset, row) for i, row in enumerate(rows)]
    plan = Plan(spec=spec, spec_path=spec_path, scenario_path=scenario_path,
                scenario_data=scenario_data, points=points,
                param_kinds={n: params[n].kind() for n in names}, problem=problem,
                design_matrix=matrix)
    for p in points:
        data = scenario_data
        for k, v in p.values.items():
            if v is not None:
                data = set_dotted(data, k, v)
        plan.point_data[p.point_id] = data
    return plan


def sample_design(spec: SweepSpec, problem: dict[str, Any], seed: int) -> np.ndarray:
    """The SALib sample of a sampled design (rows = points, columns = parameters)."""
    if spec.design == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, spec.samples, seed=seed)
    if spec.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, spec.samples, num_levels=spec.morris_levels, seed=seed)


def scenario_plan(paths: list[Path], replicates: int, seed: int, metrics: list[str],
                  overrides: list[str], keep_events: bool = False, reference: int = 0) -> Plan:
    """A plan that runs whole scenario files side by side, with common seeds (for ``compare``).

    Point ``i`` is ``paths[i]``; its label is the scenario's name (file stem if unnamed);
    ``reference`` is the index of the reference scenario.
    """
    spec = parse_spec({
        "scenario": str(paths[0]), "replicates": replicates, "seed": seed, "metrics": metrics,
        "common_seeds": True, "keep_events": keep_events,
        "parameters": {"scenario": [str(p) for p in paths]},
    }, "compare")
    points, labels, data = [], {}, {}
    for i, path in enumerate(paths):
        raw = apply_overrides(read_scenario_data(Path(path)), overrides)
        scenario_from_dict(raw, source=str(path))  # a bad scenario is a user error, not a run's
        label = raw.get("name") or Path(path).stem
        if label in labels.values():
            label = f"{label} ({Path(path).name})"
        points.append(Point(i, {"scenario": label}))
        labels[i] = label
        data[i] = raw
    return Plan(spec=spec, spec_path=None, scenario_path=Path(paths[0]),
                scenario_data=data[0], points=points, param_kinds={"scenario": "str"},
                labels=labels, point_data=data, reference=reference)
