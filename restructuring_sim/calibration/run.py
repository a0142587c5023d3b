"""``calibrate``: fit a spec's free parameters to the paper's moments and write the record.

:func:`calibrate` validates the spec, runs or resumes its search (``budget.method``: the ABC-SMC
generations of :mod:`.smc`, or the space-filling design of :mod:`.design`), evaluates the
lowest-loss particles or points (and the ABC's posterior mean), the point that minimises the
loss of an emulator of the moments over every particle or point (:mod:`.emulator`) and the
scenario's own values of
the fitted parameters (the *incumbent*) on a check ensemble, chooses the one with the most fitted
moments within tolerance there (then the one whose worst moment lies deepest inside its
tolerance, then the lowest check loss) and writes every output (:mod:`.record`). A refit is
then adopted only where it does better than the values it would replace on the same seeds.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from restructuring_sim.calibration import emulator, record
from restructuring_sim.calibration.loss import Loss, deviations
from restructuring_sim.calibration.simulate import PointEvaluator, ensemble_moments
from restructuring_sim.calibration.smc import (
    DB_NAME,
    accepted_particles,
    best_particles,
    read_history,
    run_smc,
)
from restructuring_sim.calibration.spec import leaf, load_spec, set_leaf
from restructuring_sim.errors import UserError
from restructuring_sim.io import write_json, write_text
from restructuring_sim.runner import git_commit


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def base_hash(base: dict, keys: list[str]) -> str:
    """SHA-256 of the validated scenario with the fitted parameters blanked.

    The values of the fitted parameters in the scenario are what the calibration replaces, so
    writing its result into the scenario (as the shipped baseline does) leaves the record valid.
    """
    from restructuring_sim.scenario import scenario_from_dict

    data = scenario_from_dict(base).to_dict()
    for key in keys:
        set_leaf(data, key, None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def incumbent(base: dict, keys: list[str]) -> dict[str, float]:
    """The scenario's own values of the fitted parameters ``keys`` (dotted), defaults filled
    in: what a refit would replace, and so a candidate of the check."""
    from restructuring_sim.scenario import scenario_from_dict

    data = scenario_from_dict(base).to_dict()
    return {key: float(leaf(data, key)) for key in keys}


def _prepare(spec, base: dict, spec_path: Path, out: Path) -> None:
    """Create ``out``; refuse it if it holds the state of a different spec or scenario."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    state_path = out / "state.json"
    scenario_hash = base_hash(base, list(spec.parameters))
    digest = hashlib.sha256(f"{spec.digest()}:{scenario_hash}".encode()).hexdigest()
    if state_path.is_file():
        try:
            stored = json.loads(state_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            stored = {}
        if not isinstance(stored, dict):
            stored = {}
        if stored.get("digest") != digest:
            changed = ("the scenario's validated content (an edited scenario file, or a "
                       "version of the model whose scenario has other fields or defaults)"
                       if stored.get("scenario_hash") not in (None, scenario_hash)
                       else "parameters, moments, overrides, scenario file or seed")
            raise UserError(f"--out {out}: holds a calibration of a different spec ({changed} "
                            "changed); remove it or choose another name or --out")
    elif (out / DB_NAME).exists():
        raise UserError(f"--out {out}: holds {DB_NAME} but no state.json; remove it first")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create directory ({exc.strerror})") from None
    write_text(spec_path.read_text(encoding="utf-8"), out / "spec.toml")
    write_json({"digest": digest, "scenario_hash": scenario_hash,
                "spec": spec.model_dump(mode="json")}, state_path)


def _pass_chance(runs: list[dict], names: list[str], size: int, seed: int) -> float:
    """Chance that an ensemble of ``size`` of the check's replicates puts every fitted moment
    within tolerance (:func:`~restructuring_sim.paper.moments.pass_chances`, draws seeded by
    the calibration's ``seed``); 0 without an ensemble size."""
    from restructuring_sim.paper.moments import pass_chances

    if not size:
        return 0.0
    fitted = [{n: r[n] for n in names if n in r} for r in runs]
    return pass_chances(fitted, size, np.random.default_rng(seed))[1]


def _rank(candidate: dict, ensemble_size: int) -> tuple:
    """Sort key of a check candidate (lowest first). With an ensemble size: the chance that one
    ensemble of that size puts every fitted moment within tolerance (the paper's test, as
    often as it is taken), then the check loss (expected over such ensembles). Without: the
    most fitted moments within tolerance over the whole check, then the worst moment deepest
    inside its tolerance (the best placed to stay within on other seeds), then the check loss.
    """
    loss = candidate["check_loss"] if candidate["check_loss"] is not None else math.inf
    if ensemble_size:
        return -candidate["check_pass_chance"], loss
    return -candidate["check_within"], candidate["check_worst"], loss


@dataclass
class Fit:
    """What a method's search hands the check: its candidate ``points`` (label -> values), the
    ``table`` of every point's parameters and moments the emulator is fitted to, the
    ``library`` that ran it, the ``summary`` fields of ``best.json`` and a ``plot(path)`` that
    writes ``calibration.png``."""

    points: dict[str, dict[str, float]]
    table: tuple[np.ndarray, np.ndarray]
    library: str
    summary: dict
    plot: Callable[[Path], object]


def _abc_fit(spec, base: dict, out: Path, names: list[str], progress, executor) -> Fit:
    """ABC-SMC generations (:mod:`.smc`), run or resumed: the lowest-loss particles and the
    posterior mean are candidates."""
    generations = spec.budget.generations

    def report(t: int, epsilon: float, simulations: int) -> None:
        if progress is not None:
            progress(t + 1, generations,
                     f"generation {t}: epsilon {epsilon:.4g}, {simulations} simulations")

    db = run_smc(spec, base, out, report, executor)
    keys = list(spec.parameters)
    history, posterior, best = read_history(db, keys)
    write_text(history.to_csv(index=False), out / "history.csv")
    write_text(posterior.to_csv(index=False), out / "posterior.csv")
    posterior_mean = {k: float(history[f"mean:{k}"].iloc[-1]) for k in keys}
    points = {"best_particle": best["parameters"]}
    particles = accepted_particles(db)
    for rank, point in enumerate(best_particles(particles, keys, spec.budget.check_candidates)[1:],
                                 2):
        points[f"particle_{rank}"] = point
    points["posterior_mean"] = posterior_mean
    bounds = {k: (b.low, b.high) for k, b in spec.parameters.items()}
    return Fit(points, emulator.particle_table(particles, keys, names),
               f"pyabc {_version('pyabc')} (ABC-SMC)",
               {"loss": best["loss"],  # of the best particle, on its own replicates
                "best_generation": best["generation"],
                "generations": len(history),
                "simulations": int(history["simulations"].sum()),
                "posterior_mean": posterior_mean},
               lambda path: record.plot_calibration(history, posterior, keys, bounds, path))


def _design_fit(spec, base: dict, out: Path, names: list[str], loss: Loss, progress,
                executor) -> Fit:
    """A space-filling design and its refinement (:mod:`.design`), run or resumed: the
    lowest-loss points are candidates."""
    from restructuring_sim.calibration import design as designs

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, None)

    found = designs.run_design(spec, base, out, names, loss, report, executor)
    keys = list(spec.parameters)
    best = designs.best_points(found, spec.budget.check_candidates)
    points = {"best_point": best[0]}
    points.update({f"point_{rank}": point for rank, point in enumerate(best[1:], 2)})
    table = found.table()
    bounds = {k: (b.low, b.high) for k, b in spec.parameters.items()}
    return Fit(points, found.arrays(),
               f"scipy {_version('scipy')} (Latin hypercube), scikit-learn "
               f"{_version('scikit-learn')} (Gaussian process emulator)",
               {"loss": float(table["loss"].min()),  # of the best point, on its own replicates
                "simulations": len(table) * spec.budget.replicates,
                "design_points": int((table["stage"] == 0).sum()),
                "refine_points": int((table["stage"] == 1).sum())},
               lambda path: record.plot_design(table, keys, bounds, path))


def calibrate(spec_path: str | Path, out: str | Path | None = None,
              progress: Callable[[int, int, str | None], None] | None = None,
              executor: Executor | None = None) -> dict:
    """Run or resume the calibration of ``spec_path``; returns the content of ``best.json``.

    ``progress(done, total, line)`` is called after each ABC generation (of the budget's
    generations, with a line to show) or each design point (of the design's points, line
    None). The output folder defaults to ``<spec folder>/<spec name>/``. ``executor`` (a Dask
    cluster's, see :func:`restructuring_sim.experiments.executors.cluster_executor`) runs the
    replicates of every point in place of the process pool of ``budget.workers``: the same
    seeds, so the same record.
    """
    from restructuring_sim.paper.figures import load_figures
    from restructuring_sim.paper.moments import summarise

    spec_path = Path(spec_path)
    commit = git_commit()  # the code the generations of this session run
    spec, base = load_spec(spec_path)
    out = Path(out) if out is not None else spec_path.parent / spec.name
    _prepare(spec, base, spec_path, out)
    fig = load_figures()
    fittable = fig.fittable()
    names = spec.moments or list(fig.moment)
    loss = Loss([fittable[n] for n in names])
    keys = list(spec.parameters)
    bounds = [(spec.parameters[k].low, spec.parameters[k].high) for k in keys]
    if spec.budget.method == "design":
        fit = _design_fit(spec, base, out, names, loss, progress, executor)
    else:
        fit = _abc_fit(spec, base, out, names, progress, executor)
    # the lowest single loss is flattered by noise: the lowest-loss points, the posterior
    # mean, the emulator's point (:mod:`.emulator`) and the incumbent run the check ensemble
    # (same seeds), and one is chosen by _rank
    points = dict(fit.points)
    emulated = emulator.optimum(*fit.table, bounds, names, loss, spec.seed)
    if emulated is not None:
        points["emulator"] = dict(zip(keys, emulated.tolist(), strict=True))
    seeds = record.check_seeds(spec.seed, spec.budget.check_replicates)
    points["incumbent"] = incumbent(base, keys)
    candidates = {}
    size = spec.budget.ensemble_size
    workers = spec.budget.workers
    local = executor is None and workers > 1
    with ProcessPoolExecutor(workers) if local else nullcontext(executor) as pool:
        evaluator = PointEvaluator(base, keys, spec.seed, spec.budget.check_replicates, pool)
        for label, point in points.items():
            runs = evaluator.run(point, seeds)
            table = summarise(runs)
            means = dict(zip(table["name"], table["model_mean"], strict=True))
            value = loss(ensemble_moments(runs, size) if size else means)
            worst = max(abs(d) for d in deviations(means, loss.moments).values())
            candidates[label] = {"parameters": {k: float(v) for k, v in point.items()},
                                 "check_loss": value if math.isfinite(value) else None,
                                 "check_within": sum(fittable[n].passes(means.get(n, math.nan))
                                                     for n in names),
                                 "check_worst": worst,
                                 "check_pass_chance": _pass_chance(runs, names, size, spec.seed),
                                 "table": table}
    chosen = min(candidates, key=lambda c: _rank(candidates[c], size))
    table = candidates[chosen]["table"]
    check_loss = candidates[chosen]["check_loss"]
    write_text(table.to_csv(index=False), out / "moments.csv")
    rules = {n: fittable[n].rule for n in names}
    result = {
        "name": spec.name,
        "library": fit.library,
        "package_version": _version("restructuring_sim"),
        "git_commit": commit,
        "scenario": str(spec.scenario),
        "overrides": spec.overrides,
        "seed": spec.seed,
        "budget": spec.budget.model_dump(),
        "parameters": candidates[chosen]["parameters"],
        "chosen": chosen,
        "candidates": {c: {k: v for k, v in d.items() if k != "table"}
                       for c, d in candidates.items()},
        "bounds": {k: [b.low, b.high] for k, b in spec.parameters.items()},
        **fit.summary,
        "check": {
            "replicates": spec.budget.check_replicates,
            "seeds": seeds,
            "loss": check_loss,
            "moments": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                         for k, v in row.items()}
                        for row in table.to_dict(orient="records")],
        },
        "fitted_moments": {n: {"paper": fittable[n].value, "tolerance": rules[n]}
                           for n in names},
        "loss_definition": "root mean square over fitted moments of (model - paper) / "
                           "tolerance; bound moments count only above the bound"
                           + (f"; each squared deviation expected over ensembles of {size} "
                              "replicates (bias squared plus spread squared)" if size else ""),
    }
    write_json(result, out / "best.json")
    lines = [f"{k}={v!r}" for k, v in result["parameters"].items()]
    write_text("\n".join(lines) + "\n", out / "best_overrides.txt")
    fit.plot(out / "calibration.png")
    result["out"] = str(out)
    result["table"] = table
    return result
