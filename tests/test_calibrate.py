"""``restructuring-sim calibrate`` on a tiny budget end to end: outputs, resumption,
reproducibility, and spec errors (exit 2, one line naming the field and value)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, ROOT, assert_one_line_error, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from restructuring_sim import load_scenario
from restructuring_sim.calibration.spec import leaf, load_spec
from restructuring_sim.errors import UserError

PARAMS = """
[parameters."behaviour.sample_size"]
low = 2.0
high = 8.0

[parameters."drivers.rnd_cost_growth"]
low = 0.0
high = 0.1
"""


def spec_text(generations: int = 2, params: str = PARAMS, extra: str = "") -> str:
    return f"""
name = "tiny"
scenario = "{BASELINE.as_posix()}"
seed = 5
overrides = ["simulation.n_firms=150"]
moments = ["late_share", "year_2000_share", "sme_only_share", "small_to_medium_late"]
{extra}
{params}
[budget]
population_size = 3
generations = {generations}
replicates = 1
check_replicates = 1
"""


def write_spec(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A 3-generation calibration in one go, and the same in two sessions (2, then 3)."""
    root = tmp_path_factory.mktemp("calibrate")
    whole = write_spec(root / "whole", spec_text(3))
    first = invoke("calibrate", whole)
    split = write_spec(root / "split", spec_text(2))
    part = invoke("calibrate", split, "-q")
    split.write_text(spec_text(3))
    resumed = invoke("calibrate", split, "-q")
    return root, first, part, resumed


def test_writes_the_record(calibrated):
    root, first, _, _ = calibrated
    assert first.exit_code == 0, first.stderr
    out = root / "whole" / "tiny"
    for name in ("spec.toml", "state.json", "abc.db", "history.csv", "posterior.csv",
                 "best.json", "best_overrides.txt", "moments.csv", "calibration.png"):
        assert (out / name).stat().st_size > 0, name
    best = json.loads((out / "best.json").read_text())
    fitted = {c for c in best["candidates"] if c != "incumbent"}
    assert best["chosen"] in fitted | {"incumbent"} and fitted
    for key, (lo, hi) in best["bounds"].items():
        # the incumbent (the scenario's own values) may lie outside the priors; a fitted point not
        assert all(lo <= best["candidates"][c]["parameters"][key] <= hi for c in fitted)
    assert best["parameters"] == best["candidates"][best["chosen"]]["parameters"]
    assert best["seed"] == 5 and len(best["check"]["seeds"]) == 1
    assert set(best["fitted_moments"]) == {"late_share", "year_2000_share", "sme_only_share",
                                           "small_to_medium_late"}
    assert math.isfinite(best["loss"])
    history = pd.read_csv(out / "history.csv")
    assert list(history["generation"]) == [0, 1, 2]
    # generation 0 accepts its prior sample, equally weighted; later ones weigh importance
    assert history["effective_particles"].iloc[0] == pytest.approx(history["particles"].iloc[0])
    assert ((history["effective_particles"] >= 1 - 1e-9)
            & (history["effective_particles"] <= history["particles"] + 1e-9)).all()
    assert "behaviour.sample_size" in first.stdout and "late_share" in first.stdout


def test_resume_continues_and_matches_one_session(calibrated):
    root, _, part, resumed = calibrated
    assert part.exit_code == 0 and resumed.exit_code == 0, (part.stderr, resumed.stderr)
    whole = pd.read_csv(root / "whole" / "tiny" / "history.csv")
    split = pd.read_csv(root / "split" / "tiny" / "history.csv")
    pd.testing.assert_frame_equal(whole, split)
    pd.testing.assert_frame_equal(pd.read_csv(root / "whole" / "tiny" / "posterior.csv"),
                                  pd.read_csv(root / "split" / "tiny" / "posterior.csv"))


def test_check_candidates_run_the_check_and_the_most_within_tolerance_is_chosen(tmp_path):
    path = write_spec(tmp_path, spec_text(2).replace("check_replicates = 1",
                                                     "check_replicates = 1\ncheck_candidates = 3"))
    result = invoke("calibrate", path, "-q")
    assert result.exit_code == 0, result.stderr
    best = json.loads((tmp_path / "tiny" / "best.json").read_text())
    candidates = best["candidates"]
    assert set(candidates) == {"best_particle", "particle_2", "particle_3", "posterior_mean",
                               "emulator", "incumbent"}
    # the incumbent: the scenario's own values of the fitted parameters
    scenario = load_scenario(BASELINE)
    assert candidates["incumbent"]["parameters"] == {
        "behaviour.sample_size": scenario.behaviour.sample_size,
        "drivers.rnd_cost_growth": scenario.drivers.rnd_cost_growth}
    assert all(0 <= c["check_within"] <= 4 for c in candidates.values())
    top = max(c["check_within"] for c in candidates.values())
    tied = [c for c in candidates.values() if c["check_within"] == top]
    worst = min(c["check_worst"] for c in tied)
    chosen = candidates[best["chosen"]]
    assert chosen["check_within"] == top and chosen["check_worst"] == worst
    assert chosen["check_loss"] == min(c["check_loss"] for c in tied if c["check_worst"] == worst)
    assert best["check"]["loss"] == chosen["check_loss"]  # the record reports its choice
    assert [m["name"] for m in best["check"]["moments"]] == list(pd.read_csv(
        tmp_path / "tiny" / "moments.csv")["name"])
    assert best["parameters"] == chosen["parameters"]


def test_with_an_ensemble_size_the_candidate_likeliest_to_pass_is_chosen(tmp_path):
    text = spec_text(2).replace("replicates = 1\ncheck_replicates = 1",
                                "replicates = 2\nensemble_size = 2\ncheck_replicates = 4\n"
                                "check_candidates = 3")
    result = invoke("calibrate", write_spec(tmp_path, text), "-q")
    assert result.exit_code == 0, result.stderr
    best = json.loads((tmp_path / "tiny" / "best.json").read_text())
    candidates = best["candidates"]
    chances = [c["check_pass_chance"] for c in candidates.values()]
    assert all(0 <= p <= 1 for p in chances)
    tied = [c for c in candidates.values() if c["check_pass_chance"] == max(chances)]
    chosen = candidates[best["chosen"]]
    assert chosen["check_pass_chance"] == max(chances)
    assert chosen["check_loss"] == min(c["check_loss"] for c in tied)
    assert "ensembles of 2 replicates" in best["loss_definition"]


@pytest.mark.parametrize("budget,fragment", [
    ("replicates = 1\nensemble_size = 20\ncheck_replicates = 40", "replicates >= 2"),
    ("replicates = 2\nensemble_size = 20\ncheck_replicates = 20", "check_replicates above"),
])
def test_an_ensemble_size_the_budget_cannot_judge(tmp_path, budget, fragment):
    text = spec_text().replace("replicates = 1\ncheck_replicates = 1", budget)
    assert_one_line_error(invoke("calibrate", write_spec(tmp_path, text)), "ensemble_size = 20",
                          fragment)


def test_other_spec_in_the_same_folder_is_refused(calibrated):
    root, *_ = calibrated
    path = write_spec(root / "whole", spec_text(3).replace("seed = 5", "seed = 6"))
    assert_one_line_error(invoke("calibrate", path), "different spec", "seed")


def test_a_changed_scenario_is_named_as_the_change(calibrated):
    """A resume whose scenario validates to other content (here an edited value the fit does
    not replace) is refused, and the message says the scenario changed."""
    root, *_ = calibrated
    state = json.loads((root / "whole" / "tiny" / "state.json").read_text())
    state.update(digest="1" * 64, scenario_hash="0" * 64)
    (root / "other").mkdir()
    (root / "other" / "state.json").write_text(json.dumps(state))
    path = write_spec(root / "whole", spec_text(3))
    assert_one_line_error(invoke("calibrate", path, "--out", root / "other"), "different spec",
                          "scenario's validated content")


def test_writing_the_result_into_the_scenario_keeps_the_record_valid():
    from restructuring_sim.calibration.run import base_hash
    from restructuring_sim.calibration.spec import set_leaf
    from restructuring_sim.scenario import read_scenario_data

    keys = ["behaviour.sample_size", "drivers.rnd_cost_growth"]
    base = read_scenario_data(BASELINE)
    fitted = json.loads(json.dumps(base))
    set_leaf(fitted, "behaviour.sample_size", 3.25)
    other = json.loads(json.dumps(base))
    set_leaf(other, "behaviour.transaction_cost", 0.11)
    assert base_hash(fitted, keys) == base_hash(base, keys)
    assert base_hash(other, keys) != base_hash(base, keys)


def test_unknown_parameter(tmp_path):
    params = PARAMS.replace("behaviour.sample_size", "behaviour.sample_sise")
    path = write_spec(tmp_path, spec_text(params=params))
    assert_one_line_error(invoke("calibrate", path), "behaviour.sample_sise",
                          "unknown parameter")


def test_bounds_the_wrong_way_round(tmp_path):
    params = PARAMS.replace("low = 2.0\nhigh = 8.0", "low = 8.0\nhigh = 2.0")
    path = write_spec(tmp_path, spec_text(params=params))
    assert_one_line_error(invoke("calibrate", path), "behaviour.sample_size", "low = 8",
                          "high = 2")


def test_bound_outside_the_fields_range(tmp_path):
    params = PARAMS.replace("high = 0.1", "high = 3.0")
    path = write_spec(tmp_path, spec_text(params=params))
    assert_one_line_error(invoke("calibrate", path), "drivers.rnd_cost_growth", "3")


@pytest.mark.parametrize("field,value", [("population_size", "0"), ("generations", "-1"),
                                         ("replicates", "0"), ("colour", "1")])
def test_bad_budget(tmp_path, field, value):
    text = spec_text()
    text = (text.replace(f"{field} = ", f"{field} = {value}  # ")
            if f"{field} = " in text else text + f"{field} = {value}\n")
    path = write_spec(tmp_path, text)
    assert_one_line_error(invoke("calibrate", path), f"budget.{field}")


def test_a_census_share_is_fitted_and_recorded(tmp_path):
    """A count of the paper at census scale can be fitted on a small sample as its share of the
    cross-border alliances that fix the census size (``census_<count>``)."""
    text = spec_text(2).replace('"sme_only_share", "small_to_medium_late"',
                                '"census_sme_alliances_decade"')
    result = invoke("calibrate", write_spec(tmp_path, text), "-q")
    assert result.exit_code == 0, result.stderr
    best = json.loads((tmp_path / "tiny" / "best.json").read_text())
    fitted = best["fitted_moments"]["census_sme_alliances_decade"]
    assert fitted["paper"] == pytest.approx(2400 / 42000) and fitted["tolerance"] == "+/-15%"
    table = pd.read_csv(tmp_path / "tiny" / "moments.csv")
    assert "census_sme_alliances_decade" in set(table["name"])


def test_unknown_moment_and_missing_spec(tmp_path):
    path = write_spec(tmp_path, spec_text().replace('"late_share"', '"late_shares"'))
    assert_one_line_error(invoke("calibrate", path), "late_shares", "not a moment")
    assert_one_line_error(invoke("calibrate", tmp_path / "none.toml"), "none.toml", "not found")


def test_time_path_point_is_a_parameter(tmp_path):
    params = '[parameters."drivers.ict_cost.2000"]\nlow = 0.1\nhigh = 0.5\n'
    spec, base = load_spec(write_spec(tmp_path, spec_text(params=params)))
    assert list(spec.parameters) == ["drivers.ict_cost.2000"]
    with pytest.raises(UserError, match="not a numeric field"):
        load_spec(write_spec(tmp_path, spec_text(
            params='[parameters."drivers.ict_cost"]\nlow = 0.1\nhigh = 0.5\n')))


# the baseline carries round 20's values (baseline/), the demography record's value and, as
# judgements, round 4's (baseline_round4/) for the parameters later rounds did not refit, but
# for the visibility elasticity, which the finite-mean rule of the scenario replaced (0.8), and
# the matching contact rate, which keeps round 6's value (baseline_round6/)
LATER_ROUNDS = {"behaviour.search_rate", "behaviour.search_size_elasticity",
                "behaviour.w_marketing", "behaviour.w_manufacturing",
                "behaviour.matching_contact_rate", "drivers.rnd_cost_growth"}


@pytest.mark.parametrize("record,replaced", [
    ("baseline", set()),
    ("baseline_round4", {"behaviour.visibility_elasticity", *LATER_ROUNDS}),
    ("demography", set())])
def test_the_shipped_baseline_carries_its_calibrated_values(record, replaced):
    """The baseline scenario and the embedded defaults hold the values the shipped calibration
    record chose (to the four significant figures written into them)."""
    best = json.loads((ROOT / "experiments" / "calibration" / record / "best.json").read_text())
    baseline, embedded = load_scenario(BASELINE).to_dict(), load_scenario().to_dict()
    assert replaced <= set(best["parameters"])
    for key, value in best["parameters"].items():
        if key in replaced:
            continue
        for scenario in (baseline, embedded):
            assert leaf(scenario, key) == pytest.approx(value, rel=5e-4), key


def test_the_emulator_finds_the_point_that_noisy_particles_only_surround():
    """Two moments that move with two parameters, each particle scored with noise as large as
    the moments' range near the target: the emulator's point lies near the target's, where
    the particle with the lowest noisy loss need not; the same seed gives the same point, and
    too few particles give none."""
    from restructuring_sim.calibration import emulator

    rng = np.random.default_rng(3)
    params = rng.uniform([0.0, 10.0], [1.0, 30.0], size=(120, 2))
    truth = np.column_stack([2.0 * params[:, 0], 0.1 * params[:, 1]])
    moments = truth + rng.normal(0.0, 0.3, truth.shape)
    target = {"a": 1.2, "b": 2.0}  # at (0.6, 20)

    def loss(simulated):
        return float(np.sqrt(np.mean([(simulated[k] - v) ** 2 for k, v in target.items()])))

    bounds = [(0.0, 1.0), (10.0, 30.0)]
    point = emulator.optimum(params, moments, bounds, ["a", "b"], loss, seed=5)
    assert abs(point[0] - 0.6) < 0.08 and abs(point[1] - 20.0) < 1.6
    noisy_best = params[np.argmin([loss(dict(a=a, b=b)) for a, b in moments])]
    true_loss = [loss(dict(a=2 * p[0], b=0.1 * p[1])) for p in (point, noisy_best)]
    assert true_loss[0] <= true_loss[1]
    assert np.array_equal(point, emulator.optimum(params, moments, bounds, ["a", "b"], loss,
                                                  seed=5))
    assert emulator.optimum(params[:3], moments[:3], bounds, ["a", "b"], loss, seed=5) is None


def design_spec(points: int = 6, refine: int = 3) -> str:
    return spec_text(1).replace("population_size = 3\ngenerations = 1\n", (
        f'method = "design"\ndesign_points = {points}\nrefine_points = {refine}\n'
        "check_candidates = 2\n"))


def test_a_design_writes_its_record_and_resumes_to_the_same_points(tmp_path):
    """A design run whole and the same run stopped after its first stage and resumed: the same
    points, moments and losses, the refinement's box inside the priors, the record naming its
    candidates; a resume with another budget is refused."""
    whole = write_spec(tmp_path / "whole", design_spec())
    result = invoke("calibrate", whole, "-q")
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "whole" / "tiny"
    for name in ("design.csv", "design.json", "refine_box.json", "best.json", "moments.csv",
                 "calibration.png", "best_overrides.txt"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / "abc.db").exists()
    design = pd.read_csv(out / "design.csv")
    assert list(design["stage"]) == [0] * 6 + [1] * 3
    box = json.loads((out / "refine_box.json").read_text())
    refined = design.loc[design["stage"] == 1]
    for key, (lo, hi) in (("behaviour.sample_size", (2.0, 8.0)),
                          ("drivers.rnd_cost_growth", (0.0, 0.1))):
        assert lo <= box["low"][key] < box["high"][key] <= hi
        assert refined[key].between(box["low"][key], box["high"][key]).all()
        assert design[key].between(lo, hi).all()
    best = json.loads((out / "best.json").read_text())
    assert {"best_point", "point_2", "incumbent"} <= set(best["candidates"])
    assert best["simulations"] == 9 and best["loss"] == design["loss"].min()
    assert "scikit-learn" in best["library"]

    # interrupted in its first stage: the resumed design runs the same points to the same end
    split = tmp_path / "split"
    shutil.copytree(tmp_path / "whole", split)
    design.head(4).to_csv(split / "tiny" / "design.csv", index=False)
    for name in ("refine_box.json", "best.json"):
        (split / "tiny" / name).unlink()
    assert invoke("calibrate", split / "tiny.toml", "-q").exit_code == 0
    pd.testing.assert_frame_equal(design, pd.read_csv(split / "tiny" / "design.csv"))
    assert json.loads((split / "tiny" / "refine_box.json").read_text()) == box

    whole.write_text(design_spec(refine=4))
    assert_one_line_error(invoke("calibrate", whole, "-q"),
                          "budget.refine_points = 4 (the design has 3)")


@given(n=st.integers(2, 40), d=st.integers(1, 6), seed=st.integers(0, 2 ** 32 - 1))
@settings(max_examples=30, deadline=None)
def test_a_hypercube_puts_one_point_in_every_slice_of_every_parameter(n, d, seed):
    from restructuring_sim.calibration.design import hypercube

    low, high = np.arange(d, dtype=float), np.arange(d, dtype=float) * 3 + 1
    points = hypercube(n, low, high, [seed, 1])
    slices = np.floor((points - low) / (high - low) * n).astype(int)
    for column in slices.T:
        assert sorted(column.tolist()) == list(range(n))
    assert np.array_equal(points, hypercube(n, low, high, [seed, 1]))


@given(center=st.floats(0.0, 1.0), width=st.floats(0.01, 0.5))
def test_a_refinement_box_keeps_its_width_inside_the_prior(center, width):
    from restructuring_sim.calibration.design import refine_box

    lo, hi = refine_box(np.array([center]), np.array([0.0]), np.array([1.0]), width)
    assert 0.0 <= lo[0] <= center <= hi[0] <= 1.0
    assert hi[0] - lo[0] == pytest.approx(min(1.0, 2 * width))


def test_a_design_state_file_that_cannot_be_read_is_named(tmp_path):
    spec = write_spec(tmp_path, design_spec(points=4, refine=0))
    assert invoke("calibrate", spec, "-q").exit_code == 0
    (tmp_path / "tiny" / "design.json").write_text("{not json")
    assert_one_line_error(invoke("calibrate", spec, "-q"), "design.json: cannot be read")
    (tmp_path / "tiny" / "design.json").unlink()
    (tmp_path / "tiny" / "design.csv").write_text("a,b\n1,2\n")
    assert_one_line_error(invoke("calibrate", spec, "-q"),
                          "design.csv is not a design of this spec")


def test_a_design_of_one_replicate_a_point_runs_points_together_to_the_same_design(tmp_path):
    """Points of fewer replicates than workers run together (their replicates fill the
    workers): the same points, moments and record as one point at a time."""
    one = write_spec(tmp_path / "one", design_spec(points=5, refine=2))
    two = write_spec(tmp_path / "two", design_spec(points=5, refine=2).replace(
        "check_candidates = 2", "check_candidates = 2\nworkers = 2"))
    for spec in (one, two):
        assert invoke("calibrate", spec, "-q").exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "one" / "tiny" / "design.csv"),
                                  pd.read_csv(tmp_path / "two" / "tiny" / "design.csv"))
    first, second = (json.loads((tmp_path / f / "tiny" / "best.json").read_text())
                     for f in ("one", "two"))
    assert first["candidates"] == second["candidates"]
