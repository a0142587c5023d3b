"""Comparative statics of the restructuring channels (supply, acquisitions, entry and exit,
matching services, capabilities), each over several seeds, and the firm-count identity."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from restructuring_sim import RestructuringModel, load_scenario
from restructuring_sim.firms import ACQUIRED, ACTIVE, EXITED

SEEDS = (1, 2, 3)
N_FIRMS = 1500


@cache
def run(overrides: tuple[str, ...], seed: int):
    """Events and per-step series of a finished small baseline run (cached per test worker)."""
    scenario = load_scenario(None, [f"simulation.n_firms={N_FIRMS}", *overrides])  # last wins
    model = RestructuringModel(scenario, seed=seed)
    model.run()
    return model.events.to_pandas(), model.datacollector.get_model_vars_dataframe(), model


def mean_over_seeds(overrides, measure) -> float:
    return float(np.mean([measure(*run(tuple(overrides), seed)[:2]) for seed in SEEDS]))


def count(kind, **where):
    def measure(events, _series):
        rows = events[events["kind"] == kind]
        for column, value in where.items():
            rows = rows[rows[column] == value]
        return len(rows)
    return measure


def test_stricter_competition_policy_means_fewer_acquisitions():
    # a small economy run whole (census scale), whose markets are concentrated enough for
    # merger control to bind
    whole = [f"simulation.census_firms={N_FIRMS}"]
    strict = mean_over_seeds([*whole, "policy.competition_strictness=0.95"],
                             count("acquisition"))
    lax = mean_over_seeds([*whole, "policy.competition_strictness=0.0"], count("acquisition"))
    assert strict < lax


def test_fdi_openness_raises_cross_border_acquisitions():
    xb = count("acquisition", cross_border=True)
    assert mean_over_seeds(["policy.fdi_openness=0.9"], xb) > 1.5 * mean_over_seeds(
        ["policy.fdi_openness=0.1"], xb)


def test_matching_coverage_raises_matched_deals_but_not_conversion():
    def matched(events, _series):
        return count("alliance_formed", channel="matching_service")(events, _series)

    def conversion(seeds):
        """Matched deals over contacts, pooled over runs (a few hundred contacts: a binomial
        share of about 0.02 needs several runs to be pinned within 0.015)."""
        runs = [run(tuple(wide), seed)[:2] for seed in seeds]
        return (sum(matched(*r) for r in runs)
                / max(1, sum(r[1]["matching_contacts"].sum() for r in runs)))

    # enough firms that the narrow service's few matched deals are not all-or-nothing
    wide = ["simulation.n_firms=6000", "policy.matching_service.coverage=0.5",
            "policy.sme_capability=0"]
    narrow = ["simulation.n_firms=6000", "policy.matching_service.coverage=0.05",
              "policy.sme_capability=0"]
    assert mean_over_seeds(wide, matched) > 3 * mean_over_seeds(narrow, matched)
    assert conversion((*SEEDS, 4, 5, 6)) == pytest.approx(0.02, abs=0.015)


def test_price_cut_shock_brings_supplier_exits_and_consolidation_within_two_years():
    # a deep cut, so that the squeezed suppliers stand out from the noise of three small runs
    shock = 'shocks.supplier_price_cut={year=1994, sector="automotive", cut=0.5}'

    def squeezed(events, _series):
        """Exits and consolidation mergers, 1994-95, of firms supplying carmakers before 1994."""
        signed = events[(events["kind"] == "supply_contract_signed")
                        & (events["sector"] == "automotive") & (events["year"] < 1994)]
        suppliers = {int(ids[1]) for ids in signed["firm_ids"]}
        window = events[events["year"].between(1994, 1995)]
        hit = window["firm_ids"].map(lambda ids: bool(suppliers & {int(i) for i in ids}))
        exits = hit & (window["kind"] == "firm_exited")
        merged = hit & (window["kind"] == "acquisition") & (window["motive"] == "consolidation")
        return int(exits.sum() + merged.sum())

    bigger = ["simulation.n_firms=6000"]  # enough carmakers' suppliers in every seed
    assert mean_over_seeds([*bigger, shock], squeezed) > mean_over_seeds(bigger, squeezed) + 1


def test_exclusive_b2b_exchanges_lower_the_small_supplier_share():
    def small_share(exclusivity: str) -> float:
        """Small suppliers' share of the contracts signed, pooled over six seeds (a few
        hundred contracts each: one seed's share moves by a third from the next's)."""
        arm = ("simulation.n_firms=6000", f"policy.b2b_exclusivity={exclusivity}")
        signed = pd.concat([run(arm, seed)[0] for seed in range(1, 7)])
        signed = signed[signed["kind"] == "supply_contract_signed"]
        return float(signed["size_classes"].map(lambda s: s[1] == "small").mean())

    assert small_share("1") < 0.9 * small_share("0")


def test_capability_programmes_raise_sme_participation():
    def sme_deals(events, _series):
        deals = events[events["kind"] == "alliance_formed"]
        return int(deals["involves_sme"].sum())

    # measured at 5,000 firms: capabilities cut an SME's deal costs, a margin of about 8% at the
    # calibrated values, within the seed-to-seed spread of 1,500-firm runs
    wide = "simulation.n_firms=5000"
    assert mean_over_seeds([wide, "policy.sme_capability=0.9"], sme_deals) > mean_over_seeds(
        [wide, "policy.sme_capability=0"], sme_deals)


def test_succession_sales_rise_with_owner_age():
    succession = count("acquisition", motive="succession")
    assert mean_over_seeds(["population.owner_age_mean=62"], succession) > 2 * mean_over_seeds(
        ["population.owner_age_mean=42"], succession)


@pytest.mark.parametrize("seed", SEEDS)
def test_firm_counts_add_up(seed):
    events, series, model = run((), seed)
    kinds = events["kind"].value_counts()
    f = model.firms
    start = N_FIRMS
    entered, exited = kinds.get("firm_entered", 0), kinds.get("firm_exited", 0)
    acquired = kinds.get("acquisition", 0)
    assert int((f.status == ACTIVE).sum()) == start + entered - exited - acquired
    assert int((f.status == EXITED).sum()) == exited
    assert int((f.status == ACQUIRED).sum()) == acquired
    assert series["active_firms"].iloc[-1] == start + entered - exited - acquired


def test_every_channel_and_kind_appears_in_the_baseline():
    events = pd.concat([run((), seed)[0] for seed in SEEDS])
    assert set(events["kind"]) == {
        "alliance_formed", "alliance_dissolved", "supply_contract_signed",
        "supply_contract_ended", "acquisition", "firm_entered", "firm_exited"}
    assert set(events["channel"]) >= {"direct", "prior_partner", "referral"}
    # matching-service deals are rare at the baseline's 5% coverage and 2% conversion (about
    # one per 1,500-firm run); with half the SMEs of 6,000 firms registered, every seed has some
    wide = [run(("simulation.n_firms=6000", "policy.matching_service.coverage=0.5"), seed)[0]
            for seed in SEEDS]
    for seed, events_of_seed in zip(SEEDS, wide, strict=True):
        assert (events_of_seed["channel"] == "matching_service").any(), seed
        assert (events_of_seed["channel"] == "cluster").any(), seed  # mates, pooled capacity
    # small manufacturers that ask a trading company are few: pooled over the seeds
    assert (pd.concat(wide)["channel"] == "distributor").any()
    motives = set(events.loc[events["kind"] == "acquisition", "motive"])
    assert motives >= {"technology", "succession", "distress"}
