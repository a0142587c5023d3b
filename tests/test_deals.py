"""Deals from motives: each sector's alliances follow from its stated characteristics, and the
levers move motives, joint ventures, matched deals and consolidation in the paper's directions.

Comparative statics over a few seeds of small populations; the margins are wide, so that the
tests see the mechanism, not one seed's noise.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, assert_one_line_error, formed, has_purpose, invoke

from restructuring_sim import RestructuringModel, load_scenario
from restructuring_sim.events import ALLIANCE_MOTIVES
from restructuring_sim.paper import sectors
from restructuring_sim.scenario import PURPOSES

SEEDS = (1, 2, 3)


@cache
def run(overrides: tuple[str, ...], seed: int, n_firms: int = 3000) -> pd.DataFrame:
    """The event log of a finished baseline run with ``overrides``."""
    scenario = load_scenario(BASELINE, [f"simulation.n_firms={n_firms}", *overrides])
    model = RestructuringModel(scenario, seed=seed)
    model.run()
    return model.events.to_pandas()


def pooled(overrides=(), n_firms: int = 3000) -> pd.DataFrame:
    return pd.concat([run(tuple(overrides), seed, n_firms) for seed in SEEDS],
                     ignore_index=True)


def write_toml(folder, name: str, text: str):
    path = folder / name
    path.write_text(text)
    return path


def test_every_alliance_has_a_motive_and_its_purposes():
    deals = formed(pooled())
    assert len(deals) > 200
    assert set(deals["motive"]) <= set(ALLIANCE_MOTIVES)
    assert (deals["motive"] != "").all()
    own = {"rnd_cost_sharing": "rnd", "technology_licensing": "licensing",
           "market_entry": "marketing", "distribution": "marketing"}
    for motive, purpose in own.items():
        rows = deals[deals["motive"] == motive]
        assert has_purpose(rows, purpose).all(), motive
    production = deals[deals["motive"] == "production"]
    assert (has_purpose(production, "manufacturing") | has_purpose(production, "sourcing")).all()
    # joint ventures are cross-border market entries
    jv = deals[deals["joint_venture"]]
    assert (jv["motive"] == "market_entry").all() and jv["cross_border"].all()


def test_sectors_show_their_character():
    """Each sector's alliances show the character the paper gives it, from its stated
    characteristics alone."""
    # 10,000 firms: at 3,000 a seed's telecom holds a handful of deals, too few for its shares
    table = sectors.sector_table([sectors.sector_counts(run((), seed, 10_000))
                                  for seed in SEEDS])
    # wholesale trades: distribution
    assert table.loc["wholesale", "distribution_share"] > 0.6
    # small biotech and software firms license their technology to large firms; licensing
    # rises with the sector's reliance on IP
    technology = table["rnd_cost_sharing_share"] + table["technology_licensing_share"]
    assert technology["pharma"] > 0.8
    for sector in ("pharma", "software"):
        assert table.loc[sector, "licensing_share"] > 0.3, sector
        assert table.loc[sector, "licensing_share"] > 2 * table.loc["automotive",
                                                                    "licensing_share"], sector
    # operators and banks enter markets through joint ventures with local firms
    for sector in ("finance", "telecom"):
        assert table.loc[sector, "market_entry_share"] > 0.3, sector
        assert table.loc[sector, "joint_venture_share"] > 0.15, sector
    assert table.loc["pharma", "joint_venture_share"] < 0.05
    # a services firm is no niche producer that a larger partner lends capacity to; it may
    # source goods from a manufacturing partner (a wholesaler from its supplier), seldom
    services = ["finance", "software", "telecom", "wholesale", "computer_services"]
    assert (table.loc[services, "manufacturing_share"] == 0).all()
    assert (table.loc[services, "sourcing_share"] < 0.15).all()
    # pooled over the services sectors: a sector of 80 deals sources in a handful
    deals = table.loc[services, "deals"]
    services_sourcing = (table.loc[services, "sourcing_share"] * deals).sum() / deals.sum()
    assert services_sourcing < table.loc[["automotive", "electronics"], "sourcing_share"].min()
    # R&D is not a purpose of deals in sectors that do little R&D
    assert table.loc["wholesale", "rnd_share"] < 0.2
    assert table.loc["finance", "rnd_share"] < 0.4


def test_a_new_sector_behaves_from_its_characteristics(tmp_path):
    """Two sectors added in a scenario file, alike but for their characteristics: a trading
    sector makes distribution deals, a research sector R&D and licensing deals."""
    path = write_toml(tmp_path, "new.toml", f"""
base = "{BASELINE}"
[sectors.trading]
group = "services"
rnd_cost = 0.5
rnd_intensity = 0.005
ip_reliance = 0.0
local_presence = 0.2
distribution_weight = 1.0
[sectors.research]
group = "manufacturing"
rnd_cost = 30.0
rnd_intensity = 0.2
ip_reliance = 1.0
local_presence = 0.1
distribution_weight = 0.1
[population]
sector_mix = {{ trading = 0.5, research = 0.5 }}
""")
    frames = []
    for seed in SEEDS:
        scenario = load_scenario(path, ["simulation.n_firms=2000"])
        model = RestructuringModel(scenario, seed=seed)
        model.run()
        frames.append(model.events.to_pandas())
    deals = formed(pd.concat(frames))
    trading, research = deals[deals["sector"] == "trading"], deals[deals["sector"] == "research"]
    assert len(trading) > 30 and len(research) > 30
    assert (trading["motive"] == "distribution").mean() > 0.7
    tech = research["motive"].isin(["rnd_cost_sharing", "technology_licensing"])
    assert tech.mean() > 0.7
    assert has_purpose(trading, "rnd").mean() < has_purpose(research, "rnd").mean() - 0.5


@pytest.mark.parametrize("setting, fragment", [
    ("sectors.telecom.local_presence=1.5", "local_presence"),
    ("sectors.pharma.ip_reliance=-0.1", "ip_reliance"),
    ("sectors.wholesale.distribution_weight=abc", "distribution_weight"),
    ("sectors.automotive.outsourced_production=2", "outsourced_production"),
    ("supply.price_pressure=-0.1", "price_pressure"),
    ("policy.matching_service.proposals=-1", "proposals"),
    ("acquisitions.presence_rate=1.5", "presence_rate"),
])
def test_bad_sector_characteristics_are_one_line_errors(setting, fragment, tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "run", "--set", setting,
                    "--set", "simulation.n_firms=50")
    assert_one_line_error(result, fragment)


def telecom_jvs(events: pd.DataFrame, years) -> int:
    deals = formed(events)
    hit = (deals["sector"] == "telecom") & deals["joint_venture"] & deals["year"].between(*years)
    return int(hit.sum())


def test_earlier_telecom_deregulation_brings_telecom_joint_ventures_earlier():
    late = pooled(["sectors.telecom.deregulation_year=1998"])
    early = pooled(["sectors.telecom.deregulation_year=1990"])
    before = (1990, 1997)
    assert telecom_jvs(early, before) >= 10
    assert telecom_jvs(early, before) > 4 * telecom_jvs(late, before)


def test_higher_rnd_cost_growth_raises_the_rnd_motive_share():
    def share(frame):
        deals = formed(frame)
        return float((deals["motive"] == "rnd_cost_sharing").mean())

    assert share(pooled(["drivers.rnd_cost_growth=0.3"])) > share(
        pooled(["drivers.rnd_cost_growth=0.0"])) + 0.03


def test_stronger_ipr_brings_more_licensing_deals():
    def licensing(frame):
        return int(has_purpose(formed(frame), "licensing").sum())

    weak = licensing(pooled(["policy.ipr_protection=0.1"]))
    strong = licensing(pooled(["policy.ipr_protection=1.0"]))
    assert strong > 2 * weak + 10


def matched(frame) -> int:
    return int((frame["channel"] == "matching_service").sum())


def test_no_matching_service_means_no_matched_deals():
    assert matched(pooled(["policy.matching_service.coverage=0"])) == 0
    assert matched(pooled(["policy.matching_service.conversion=0",
                           "demography.capable_conversion=0"])) == 0
    assert matched(pooled()) > 0


def test_matched_deals_follow_coverage_proposals_and_conversion():
    base = matched(pooled())
    assert matched(pooled(["policy.matching_service.coverage=0.2"])) > 1.3 * base
    assert matched(pooled(["policy.matching_service.proposals=0"])) < 0.5 * base
    assert matched(pooled(["policy.matching_service.conversion=0.2"])) > 1.5 * base


def consolidations(frame) -> int:
    return int(((frame["kind"] == "acquisition") & (frame["motive"] == "consolidation")).sum())


def test_price_pressure_brings_consolidation():
    """Without price pressure no medium supplier consolidates; hard pressure (15% a year) brings
    mergers, more than the baseline's 1990s pressure (the price-cut shock's rise in exits and
    mergers is tested in test_channel_statics). Few medium suppliers have a peer in their
    market, so the counts are small."""
    bigger = 10_000  # enough medium suppliers to carmakers and electronics makers
    none = pooled(["supply.price_pressure=0"], bigger)
    base = pooled([], bigger)
    hard = pooled(["supply.price_pressure=0.15"], bigger)
    assert consolidations(none) == 0
    assert consolidations(hard) > consolidations(base)
    assert consolidations(hard) >= 5


def test_multinationals_buy_abroad_for_market_presence():
    def presence(frame):
        acq = frame[(frame["kind"] == "acquisition") & frame["cross_border"]]
        return int((acq["motive"] == "market").sum())

    # (technology hunts also buy some targets mostly for their markets)
    assert 1.5 * presence(pooled(["acquisitions.presence_rate=0"])) < presence(
        pooled(["acquisitions.presence_rate=0.3"]))
    # the FDI gate keeps working on them
    assert presence(pooled(["acquisitions.presence_rate=0.3", "policy.fdi_openness=0.05"])) \
        < 0.3 * presence(pooled(["acquisitions.presence_rate=0.3", "policy.fdi_openness=1"]))


def test_sector_table_pools_counts_into_shares():
    counts = [sectors.sector_counts(run((), seed)) for seed in SEEDS[:2]]
    table = sectors.sector_table(counts)
    total = counts[0].add(counts[1], fill_value=0)
    assert np.allclose(table["deals"], total["deals"] / 2)
    motive_shares = table[[f"{m}_share" for m in ALLIANCE_MOTIVES]].sum(axis=1)
    assert np.allclose(motive_shares[total["deals"] > 0], 1.0)
    assert (table["licensing_share"] <= 1).all()


def test_sector_counts_count_each_deal_once_per_purpose_and_motive():
    """Every count of the sector table, recounted deal by deal from the log: a deal counts once
    under each purpose it lists, its motive, its flags; a sector with cross-border acquisitions
    and no alliance has a row of its own."""
    events = run((), 1)
    decade = events.loc[events["year"].between(1990, 2000)]
    deals = decade.loc[decade["kind"] == "alliance_formed"]
    acq = decade.loc[(decade["kind"] == "acquisition") & decade["cross_border"]]
    only_acquired = acq.iloc[[0]].assign(sector="no_alliances_here")
    table = sectors.sector_counts(pd.concat([events, only_acquired]), (1990, 2000))
    assert table.loc["no_alliances_here"].to_dict() == {
        column: int(column == "acquisitions") for column in sectors.COUNT_COLUMNS}
    for sector, row in table.drop(index="no_alliances_here").iterrows():
        d = deals.loc[deals["sector"] == sector]
        assert row["deals"] == len(d)
        for purpose in PURPOSES:
            assert row[purpose] == sum(purpose in list(ps) for ps in d["purposes"])
        assert row["small_firm"] == sum("small" in list(s) for s in d["size_classes"])
        assert row["joint_venture"] == d["joint_venture"].sum()
        assert row["cross_border"] == d["cross_border"].sum()
        for motive in ALLIANCE_MOTIVES:
            assert row[motive] == (d["motive"] == motive).sum()
        assert row["acquisitions"] == (acq["sector"] == sector).sum()
