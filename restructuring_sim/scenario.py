"""The scenario: everything a run needs, typed and validated.

A scenario is loaded from TOML (:func:`load_scenario`) and merged over the embedded default,
which is the baseline of the 1990s described in the OECD paper. Every field has a unit, a
default, an allowed range and a one-line description; unknown keys are errors. Fields marked
*path* accept either a number or a piecewise-linear ``{year = value}`` table (see
:mod:`restructuring_sim.timepath`).

Sections
--------
simulation   time span, resolution, population size, seed
population   how the synthetic firm population is drawn
sectors      one profile per sector (group, R&D cost, technology cycle, deregulation, Internet)
countries    one profile per country (region, market size, currency union, cross-shareholdings)
drivers      economy-wide drivers (ICT cost, R&D cost growth)
policy       the policy levers (each 0..1 unless stated, each may be a time path)
behaviour    structural parameters of alliance behaviour (the free parameters of calibration)
supply       supply contracts, tenders, B2B exchanges
acquisitions acquisitions by motive, competition control
demography   entry, exit, margins and growth of firms
exports      foreign-market entry, trade costs and export sales of firms
market       product markets: demand growth, appeal of a firm's products, margins from sales
knowledge    knowledge profiles over technology fields, complementarity, joint innovation
shocks       one-off events (a supplier price cut)
observer     the press-based deal database: which deals it reports
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from restructuring_sim.errors import UserError
from restructuring_sim.io import read_toml
from restructuring_sim.timepath import bounded_path

Unit = bounded_path(0.0, 1.0)
NonNegative = bounded_path(0.0, None)
Positive = bounded_path(1e-9, None)

PURPOSES = ("rnd", "manufacturing", "marketing", "licensing", "supply", "sourcing")
ALLIANCE_PURPOSES = ("rnd", "licensing", "marketing", "manufacturing", "sourcing")
REGIONS = ("north_america", "western_europe", "japan", "east_asia", "rest_of_world")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _none_written_as_a_word(cls, data: Any) -> Any:
        """``"none"`` for a field that may be none: TOML has no null, so scenario files and
        ``--set`` write the word (``--set countries.DE.currency_union_year=none``)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if (field is not None and isinstance(value, str) and value.lower() == "none"
                    and _allows_none(field.annotation)):
                out[name] = None
        return out


def _allows_none(annotation: Any) -> bool:
    """Whether a field's type admits None (``X | None``)."""
    return annotation is None or type(None) in typing.get_args(annotation)


class Simulation(_Strict):
    """Time span and size of a run."""

    start_year: int = Field(1988, ge=1900, le=2100, description="first simulated year (year)")
    end_year: int = Field(
        2000, ge=1900, le=2100,
        description="last simulated year, inclusive (year)"
    )
    steps_per_year: int = Field(4, ge=1, le=52, description="steps per year; 4 = quarterly (count)")
    n_firms: int = Field(
        10_000, ge=10, le=20_000_000,
        description="firms at the start: a sample of the economy of census_firms firms (count)",
    )
    scale: Literal["sample", "census"] = Field(
        "sample",
        description="sample: n_firms firms drawn from the economy; census: the whole economy "
        "the paper's deal database covers (n_firms becomes census_firms) (category)",
    )
    census_firms: int = Field(
        1_260_000, ge=10, le=20_000_000,
        description="firms of the economy the paper's deal database covers: the number at "
        "which a run's reported cross-border alliances of the 1990s match the paper's 42,000; "
        "validate prints it as the implied census size (count)",
        json_schema_extra={"source": "fixed from one count: Sakai (2002), about 42,000 "
                                     "cross-border alliances in the 1990s; on the round-20 "
                                     "baseline, ten census-scale runs imply 1,265,714 at "
                                     "1,260,000 firms"},
    )
    seed: int = Field(1, ge=0, description="root seed of the run's numpy Generator (integer)")

    @model_validator(mode="after")
    def _census(self):
        if self.scale == "census":
            self.n_firms = self.census_firms
        return self

    @property
    def sampling_fraction(self) -> float:
        """Share of the economy's firms a run holds (n_firms / census_firms): an aggregate of
        the sample, divided by it, speaks of the economy."""
        return self.n_firms / self.census_firms

    @property
    def n_steps(self) -> int:
        """Number of steps from the first quarter of start_year to the last of end_year."""
        return (self.end_year - self.start_year + 1) * self.steps_per_year


class Population(_Strict):
    """How the synthetic firm population is drawn."""

    size_tail_index: float = Field(
        0.7006, gt=0.1, le=3.0,
        description="Pareto tail index of the sample's employees below 250; smaller = heavier "
        "tail, more large firms (index)",
    )
    large_tail_index: float = Field(
        1.06, gt=0.1, le=3.0,
        description="Pareto tail index of employees above 250; equal to size_tail_index for "
        "one Pareto law throughout (index)",
        json_schema_extra={"source": "Zipf's law of firm sizes: Axtell (2001), 1.06"},
    )
    size_max: int = Field(300_000, ge=250, description="largest firm (employees)")
    sme_job_share_reference: float = Field(
        0.66, gt=0.02, lt=0.99,
        description="share of jobs in firms of fewer than 250 employees in the economy against "
        "which sectors' sme_job_share is read (share)",
        json_schema_extra={"source": "European Observatory for SMEs (1997): about two thirds "
                           "of the EU's non-primary private sector jobs"},
    )
    mne_share: float = Field(
        0.5, ge=0, le=1,
        description="share of large firms that are MNEs active in several regions (share)"
    )
    exporter_share: float = Field(
        0.15, ge=0, le=1,
        description="share of SMEs serving at least one foreign market at start (share)"
    )
    sector_mix: dict[str, float] = Field(
        default_factory=lambda: {
            "software": 0.12, "pharma": 0.08, "telecom": 0.06, "computer_services": 0.14,
            "wholesale": 0.22, "finance": 0.14, "automotive": 0.10, "electronics": 0.14,
        },
        description="relative weight of each sector among firms, normalised; keys are sectors "
        "(weight)",
        json_schema_extra={"range": ">= 0 each, not all 0"},
    )
    country_mix: dict[str, float] = Field(
        default_factory=dict,
        description="relative weight of each country among firms; empty = proportional to "
        "market_size (weight)",
        json_schema_extra={"range": ">= 0 each, not all 0"},
    )
    cluster_share: float = Field(
        0.3, ge=0, le=1, description="share of firms located in a local industrial cluster (share)"
    )
    clusters_per_market: int = Field(
        2, ge=1, le=50, description="clusters per (country, sector) market (count)"
    )
    owner_age_mean: float = Field(50.0, ge=20, le=80, description="mean owner age (years)")
    owner_age_sd: float = Field(
        9.0, ge=0, le=30,
        description="standard deviation of owner age (years)"
    )


class Sector(_Strict):
    """A sector's profile."""

    group: Literal["manufacturing", "services"] = Field(description="sector group of the paper")
    rnd_cost: Positive = Field(
        description="path: yearly cost of a frontier R&D programme, before "
        "drivers.rnd_cost_growth (USD million/year)"
    )
    rnd_intensity: float = Field(
        0.05, ge=0, le=1, description="R&D spending as a share of revenue, what R&D cost sharing "
        "saves (fraction)",
        json_schema_extra={"source": "OECD ANBERD/STAN business R&D over production, 1990s, "
                           "rounded (pharma and software about 0.15, trade under 0.01)"},
    )
    standard_year: int | None = Field(
        None, ge=1900, le=2100,
        description="year a dominant design emerges, ending a standards contest that raises "
        "R&D-alliance value before it (behaviour.pre_standard_bonus); none = no design contest "
        "in the run: R&D alliances keep their ordinary value (year)"
    )
    sme_job_share: float | None = Field(
        None, gt=0.02, lt=0.99,
        description="share of the sector's jobs in firms of fewer than 250 employees where the "
        "economy's is population.sme_job_share_reference: every country's density of large "
        "firms in the sector is multiplied by the sector's odds of a job in a large firm "
        "against the reference's; none = as the economy (share)",
        json_schema_extra={"range": "0.02-0.99 or none",
                           "source": "none by default; EU values in "
                           "experiments/scenarios/sector_size_laws.toml"},
    )
    deregulation_year: int | None = Field(
        None, ge=1900, le=2100,
        description="year foreign entry is deregulated; none = never regulated (year)"
    )
    ip_reliance: float = Field(
        0.3, ge=0, le=1, description="how far returns to innovation rest on patents and "
        "copyright that can be licensed, 0 = none, 1 = all; licensing deals scale with it "
        "(fraction)",
        json_schema_extra={"source": "judgement after Levin et al. (1987) and Cohen, Nelson & "
                           "Walsh (2000): patents effective in drugs, less in electronics and "
                           "cars; copyright for software; little in trade and finance"},
    )
    local_presence: float = Field(
        0.3, ge=0, le=1, description="share of sales that need a local presence (network, "
        "branches, licences, customer base) rather than cross-border trade; market-entry deals "
        "and their joint ventures scale with it (fraction)",
        json_schema_extra={"source": "judgement: services supplied through commercial presence "
                           "(GATS mode 3) dominate in telecom and finance; goods travel"},
    )
    distribution_weight: float = Field(
        0.3, ge=0, le=1, description="weight of marketing and distribution in the value "
        "delivered to the buyer; distribution agreements scale with it (fraction)",
        json_schema_extra={"source": "trade and transport margins on goods, about 0.2-0.4 of "
                           "purchasers' prices (input-output tables); 1 for trade itself"},
    )
    outsourced_production: float = Field(
        0.0, ge=0, le=1, description="share of production value made or bought outside the "
        "firm; manufacturing and sourcing ties scale with it (fraction)",
        json_schema_extra={"source": "purchased parts in a vehicle's cost, about 0.7 in Japan "
                           "and 0.5-0.6 in the US and Europe; contract manufacturing in "
                           "electronics; little in services (judgement)"},
    )
    internet_boost: Positive = Field(
        1.0, description="path: multiplier on partner search from the Internet; 1 = none "
        "(multiplier)"
    )
    venture_backed: bool = Field(
        False, description="venture investors finance the sector's technology start-ups"
    )
    supply_chain: bool = Field(
        False, description="large firms source components from suppliers on supply contracts"
    )
    distributor: bool = Field(
        False, description="firms with foreign markets act as trading companies/distributors"
    )
    uses_distributors: bool = Field(
        False, description="the sector's products (goods) reach foreign markets through trading "
        "companies and distributors"
    )
    demand_growth: float = Field(
        0.03, ge=-0.2, le=0.5,
        description="yearly real growth of the sector's world demand; a country's demand for "
        "the sector grows at its gdp_growth plus this less world GDP growth (fraction/year)",
        json_schema_extra={"source": "1990s averages, rounded: software and computer services "
                           "about 10-12% (OECD Information Technology Outlook 2000), telecom "
                           "services and pharmaceuticals about 7% (ITU; IMS Health), "
                           "electronics about 6%, motor vehicles about 2% (OICA production), "
                           "trade and finance near GDP; stated judgement where rounded"},
    )


#: Venture capital invested in start-ups (index, 1995 = 1): US venture capital investment
#: (NVCA / PricewaterhouseCoopers MoneyTree; before 1995 Venture Economics), rounded, each
#: year's total placed at mid-year (the path interpolates flows between mid-years).
VENTURE_CAPITAL = {1988.5: 0.45, 1991.5: 0.3, 1994.5: 0.5, 1995.5: 1.0, 1996.5: 1.4,
                   1997.5: 1.9, 1998.5: 2.7, 1999.5: 6.9, 2000.5: 13.2}


def _path(points: dict[float, float]) -> dict[str, float]:
    return {f"{k:g}": v for k, v in points.items()}


#: Internet users worldwide (millions, year-end; ITU World Telecommunication Indicators, rounded).
INTERNET_USERS = {1993: 14, 1994: 25, 1995: 44, 1996: 77, 1997: 120, 1998: 185, 1999: 280,
                  2000: 400}


def internet_path(boost_2000: float) -> dict[str, float]:
    """An ``internet_boost`` path that follows the diffusion of the Internet.

    The boost is 1 up to 1994 (before the Web reached firms) and rises in proportion to the
    number of Internet users (:data:`INTERNET_USERS`) to ``boost_2000`` in 2000. Each year's
    point is placed at mid-year, at the mean of its opening and closing user counts, so the
    quarters interpolate between years; most of the rise falls in 1998-2000, as it did.
    """
    years = sorted(INTERNET_USERS)[1:]
    mean = {y: (INTERNET_USERS[y - 1] + INTERNET_USERS[y]) / 2 for y in years}
    first, last = mean[years[0]], mean[years[-1]]
    return _path({y + 0.5: round(1 + (boost_2000 - 1) * (mean[y] - first) / (last - first), 4)
                  for y in years})


def _default_sectors() -> dict[str, dict[str, Any]]:
    """The paper's sectors. Their deals follow from the characteristics (see :class:`Sector`):
    ``rnd_intensity`` (R&D cost sharing), ``ip_reliance`` (licensing), ``local_presence`` and
    ``deregulation_year`` (market entry, joint ventures), ``distribution_weight`` (distribution
    agreements) and ``outsourced_production`` (manufacturing and sourcing ties)."""
    return {
        "software": dict(group="services", rnd_cost=4.0, rnd_intensity=0.15, standard_year=None,
                         internet_boost=internet_path(1.6), venture_backed=True,
                         ip_reliance=0.7, local_presence=0.2, distribution_weight=0.4,
                         demand_growth=0.12),
        "pharma": dict(group="manufacturing", rnd_cost=40.0, rnd_intensity=0.15,
                       venture_backed=True, uses_distributors=True, ip_reliance=0.9,
                       local_presence=0.3, distribution_weight=0.3, outsourced_production=0.2,
                       demand_growth=0.07),
        # telecom operators spend about 2% of revenue on R&D (their equipment makers, far more,
        # are in electronics)
        "telecom": dict(group="services", rnd_cost=15.0, rnd_intensity=0.02,
                        deregulation_year=1998, venture_backed=True, ip_reliance=0.3,
                        local_presence=0.9, distribution_weight=0.1, demand_growth=0.07),
        "computer_services": dict(group="services", rnd_cost=2.0, rnd_intensity=0.05,
                                  internet_boost=internet_path(2.5), venture_backed=True,
                                  ip_reliance=0.3, local_presence=0.5, distribution_weight=0.2,
                                  demand_growth=0.1),
        "wholesale": dict(group="services", rnd_cost=0.5, rnd_intensity=0.005,
                          internet_boost=internet_path(1.3), distributor=True, ip_reliance=0.05,
                          local_presence=0.5, distribution_weight=1.0, demand_growth=0.03),
        "finance": dict(group="services", rnd_cost=1.5, rnd_intensity=0.01,
                        deregulation_year=1993, internet_boost=internet_path(1.3),
                        ip_reliance=0.05, local_presence=0.9, distribution_weight=0.2,
                        demand_growth=0.04),
        "automotive": dict(group="manufacturing", rnd_cost=25.0, rnd_intensity=0.04,
                           standard_year=1991, supply_chain=True, uses_distributors=True,
                           ip_reliance=0.3, local_presence=0.2, distribution_weight=0.3,
                           outsourced_production=0.7, demand_growth=0.02),
        "electronics": dict(group="manufacturing", rnd_cost=15.0, rnd_intensity=0.07,
                            standard_year=1994, supply_chain=True, venture_backed=True,
                            uses_distributors=True, ip_reliance=0.5, local_presence=0.1,
                            distribution_weight=0.3, outsourced_production=0.6,
                            demand_growth=0.06),
    }


#: one of Hofstede's index scores (index points)
Score = Annotated[float, Field(ge=0, le=200)]


class Country(_Strict):
    """A country's profile."""

    region: Literal["north_america", "western_europe", "japan", "east_asia", "rest_of_world"] = (
        Field(description="world region")
    )
    market_size: float = Field(gt=0, description="market size: GDP in the mid-1990s (USD billion)")
    currency_union_year: int | None = Field(
        None, ge=1900, le=2100,
        description="year the country joins the currency union; none = never (year)"
    )
    press_coverage: float = Field(
        1.0, ge=0, le=1,
        description="share of the country's firms' deal announcements that reach the "
        "English-language business press the deal database reads (share)",
        json_schema_extra={"source": "judgement from Sakai (2002): the database's sources are "
                                     "mostly in English (1 for English-speaking countries)"},
    )
    venture_depth: float = Field(
        1.0, ge=0, le=1,
        description="venture capital invested in the country's start-ups per unit of GDP, "
        "relative to the United States, whose investment drivers.venture_capital follows "
        "(at most 1) (ratio)",
        json_schema_extra={"source": "see VENTURE_DEPTH: OECD Observer 219 (1999), venture "
                           "capital invested in 1997; Reynolds et al., Global Entrepreneurship "
                           "Monitor 2002, venture capital as a share of GDP 1999-2001"},
    )
    cross_shareholding: Unit = Field(
        0.0,
        description="path: share of listed firms' market value held by other firms in mutual "
        "(cross-) shareholdings, the capital bond of keiretsu-style business groups; a firm "
        "deals with foreign suppliers and partners only outside that share of its business "
        "(share)",
        json_schema_extra={"source": "see CROSS_SHAREHOLDING: Japan, NLI Research Institute "
                           "cross-shareholding survey (Kuroki 2001, 2002; rounded); Germany, "
                           "judgement from Hoepner and Krempel (2003); 0 elsewhere"},
    )
    culture: tuple[Score, Score, Score, Score] | None = Field(
        None,
        description="Hofstede's four index scores: power distance, individualism, masculinity, "
        "uncertainty avoidance (index points, about 0-120); none = at the mean cultural "
        "distance from every other country (index points)",
        json_schema_extra={"range": "each 0-200 or none",
                           "source": "see CULTURE: Hofstede (2001), Culture's Consequences, "
                           "2nd ed., exhibit A5.1 (China: Hofstede's later estimate)"},
    )
    sme_job_share: float | None = Field(
        None, gt=0.2, lt=0.99,
        description="share of the country's jobs in firms of fewer than 250 employees; it sets "
        "how many large firms the country has per SME against Zipf's law, sizes within SMEs "
        "and within large firms following Zipf's law everywhere (the sample's large firms are "
        "as much rarer; the firms' behaviour is the same everywhere); none = Zipf's law "
        "throughout, as in the United States (share)",
        json_schema_extra={"range": "0.2-0.99 or none",
                           "source": "none by default; national values in "
                           "experiments/scenarios/national_size_laws.toml (European Observatory "
                           "for SMEs 1997, OECD SME Outlook 2000 and 2002, national SME white "
                           "papers; rounded)"},
    )
    specialisation: dict[str, float] = Field(
        default_factory=dict,
        description="odds of a firm of the country being in each sector against the economy's "
        "sector mix (keys are sectors; 1 where not given): with it the countries' firms are "
        "drawn from a country x sector table with the population's two mixes as margins "
        "(odds)",
        json_schema_extra={"range": "> 0 each",
                           "source": "none by default; see "
                           "experiments/scenarios/national_specialisation.toml"},
    )
    gdp_growth: float = Field(
        0.03, ge=-0.2, le=0.3,
        description="yearly real growth of the country's demand (GDP; fraction/year)",
        json_schema_extra={"source": "real GDP growth, 1988-2000 average, rounded "
                           "(World Bank, World Development Indicators; Taiwan: DGBAS)"},
    )


def _default_countries() -> dict[str, dict[str, Any]]:
    na, we, jp, ea, rw = REGIONS
    table = [
        ("US", na, 7600, None, 0.031), ("CA", na, 600, None, 0.026), ("MX", na, 330, None, 0.034),
        ("DE", we, 2500, 1999, 0.024), ("FR", we, 1600, 1999, 0.021),
        ("GB", we, 1300, None, 0.022), ("IT", we, 1100, 1999, 0.017),
        ("NL", we, 420, 1999, 0.030), ("ES", we, 600, 1999, 0.029),
        ("SE", we, 250, None, 0.018), ("BE", we, 280, 1999, 0.023),
        ("JP", jp, 5300, None, 0.022), ("KR", ea, 560, None, 0.066),
        ("TW", ea, 280, None, 0.063), ("SG", ea, 90, None, 0.077), ("CN", ea, 730, None, 0.097),
        ("MY", ea, 100, None, 0.072), ("AU", rw, 400, None, 0.034), ("BR", rw, 770, None, 0.022),
        ("IN", rw, 360, None, 0.057), ("IL", rw, 100, None, 0.050),
    ]
    return {
        code: dict(region=region, market_size=size, currency_union_year=cu, gdp_growth=growth,
                   press_coverage=PRESS_COVERAGE.get(code, 1.0),
                   venture_depth=VENTURE_DEPTH[code],
                   cross_shareholding=_path(CROSS_SHAREHOLDING.get(code, {0: 0.0})),
                   culture=CULTURE[code])
        for code, region, size, cu, growth in table
    }


#: Hofstede's index scores (power distance, individualism, masculinity, uncertainty avoidance)
#: from his IBM surveys of 1967-73 (Hofstede 2001, Culture's Consequences, 2nd ed., exhibit
#: A5.1); China's are his later estimate (Hofstede and Hofstede 2005). Kogut and Singh (1988)
#: turned them into the cultural distance between two countries that later work on entry
#: modes and alliance partners reads (see ``behaviour.cultural_distance_weight``).
CULTURE = {
    "US": (40, 91, 62, 46), "CA": (39, 80, 52, 48), "MX": (81, 30, 69, 82),
    "DE": (35, 67, 66, 65), "FR": (68, 71, 43, 86), "GB": (35, 89, 66, 35),
    "IT": (50, 76, 70, 75), "NL": (38, 80, 14, 53), "ES": (57, 51, 42, 86),
    "SE": (31, 71, 5, 29), "BE": (65, 75, 54, 94), "JP": (54, 46, 95, 92),
    "KR": (60, 18, 39, 85), "TW": (58, 17, 45, 69), "SG": (74, 20, 48, 8),
    "CN": (80, 20, 66, 30), "MY": (104, 26, 50, 36), "AU": (36, 90, 61, 51),
    "BR": (69, 38, 49, 76), "IN": (77, 48, 56, 40), "IL": (13, 54, 47, 81),
}


#: English-language press coverage of deal announcements by home country (judgement: 1 where
#: English is the business language; continental Europe's deals often reach the English-language
#: wires; Korean, Chinese and Latin American deals mostly do not). Japan's was fitted to the
#: JETRO ratio in round 7 (experiments/calibration/baseline_round7/) and is kept as a judgement:
#: Japanese firms' deals reach the English wires more often than the other Asian countries'
PRESS_COVERAGE = {
    "MX": 0.4, "DE": 0.7, "FR": 0.7, "IT": 0.6, "NL": 0.8, "ES": 0.6, "SE": 0.8, "BE": 0.7,
    "JP": 0.7278, "KR": 0.4, "TW": 0.4, "SG": 0.9, "CN": 0.3, "MY": 0.6, "BR": 0.4, "IN": 0.8,
    "IL": 0.8,
}


#: Venture capital reaching a country's technology start-ups, per unit of GDP, relative to the
#: United States (rounded judgement). In 1997 venture funds invested USD 8.7 billion in the US,
#: 1.5 billion in the UK, 1.4 billion in Canada (the most relative to GDP, much of it in
#: labour-sponsored funds less focused on technology: held at the US level), 4.4 billion in the
#: whole EU (about half the US level per unit of GDP, most of it in the UK, the Netherlands and
#: Scandinavia) and 113 million in Japan (OECD Observer 219, 1999, "Where risk capital
#: ventures"). Over 1999-2001 the Global Entrepreneurship Monitor (Reynolds et al. 2002) ranks
#: Israel, Korea, Canada, the US, Singapore and Sweden highest relative to GDP and Japan,
#: China and most of continental Europe low; Korea's and Taiwan's boom came only in 1999-2000.
#: Brazil, India, Malaysia and Mexico had almost no venture industry in the decade.
VENTURE_DEPTH = {
    "US": 1.0, "CA": 1.0, "MX": 0.05, "DE": 0.3, "FR": 0.3, "GB": 1.0, "IT": 0.15,
    "NL": 0.8, "ES": 0.2, "SE": 0.8, "BE": 0.4, "JP": 0.05, "KR": 0.3, "TW": 0.3, "SG": 0.8,
    "CN": 0.05, "MY": 0.1, "AU": 0.5, "BR": 0.05, "IN": 0.05, "IL": 1.0,
}


#: Cross-shareholdings, share of listed firms' market value (rounded). Japan: the NLI Research
#: Institute's survey of all listed firms (Kuroki 2001, "The present status of unwinding of
#: cross-shareholding"; 2002, "Cross-shareholdings decline for the 11th straight year") puts
#: the cross-shareholding ratio near 18% in fiscal 1990, easing to about 15% by 1996, then
#: falling fast after the 1997 banking crisis to about 10% in 2000 (the broader stable
#: shareholding ratio, banks' and insurers' long-term holdings included, fell from about 45% to
#: about 30%; the narrower mutual ratio is the one that binds partners in trade). Germany:
#: judgement; the capital ties among the largest firms and banks ("Deutschland AG", Hoepner and
#: Krempel 2003, "The politics of the German company network") are taken at about half Japan's
#: level, thinning only slightly before the 2002 tax exemption of gains on selling stakes
#: (after the run). Elsewhere mutual holdings are negligible: 0.
CROSS_SHAREHOLDING = {
    "JP": {1990: 0.18, 1996: 0.15, 1998: 0.13, 2000: 0.10},
    "DE": {1990: 0.09, 2000: 0.08},
}


#: Cost of international communication (index, 1988 = 1): the FCC's average revenue per minute
#: of US-billed international telephone service ("Trends in the International
#: Telecommunications Industry", 2001: USD 1.34 in 1980, 1.00 in 1990, 0.53 in 1999 and 2000),
#: deflated by the US CPI-U (82.4, 118.3, 130.7, 166.6, 172.2 in 1980, 1988, 1990, 1999, 2000);
#: 1988 lies on the real 1980-90 trend (-7.3% a year). The price of a call abroad stands for the
#: whole cost of finding and keeping in touch with a distant partner; between 1990 and 1999 the
#: path is a straight line, as no yearly point was at hand.
ICT_COST = {1988: 1.0, 1990: 0.86, 1999: 0.36, 2000: 0.35}


class Drivers(_Strict):
    """Economy-wide drivers."""

    ict_cost: Positive = Field(
        default_factory=lambda: _path(ICT_COST),
        description="path: cost of ICT for search and coordination; 1 = 1988 level (index)",
        json_schema_extra={"source": "FCC average revenue per minute of US-billed international "
                           "telephone service, CPI-U deflated (rounded)"},
    )
    rnd_cost_growth: float = Field(
        0.1186, ge=-0.5, le=1.0,
        description="yearly growth of every sector's R&D cost on top of its path (share/year)",
    )
    venture_capital: NonNegative = Field(
        default_factory=lambda: _path(VENTURE_CAPITAL),
        description="path: venture capital invested in technology start-ups; 1995 = 1 (index)",
        json_schema_extra={"source": "US venture capital investment: NVCA / PricewaterhouseCoopers "
                           "MoneyTree, before 1995 Venture Economics (rounded)"},
    )


class MatchingService(_Strict):
    """A public or private partner-matching service."""

    coverage: Unit = Field(
        0.05, description="path: share of SMEs registered with the service (share)"
    )
    conversion: float = Field(
        0.02334, ge=0, le=1,
        description="probability that a contact made through the service is pursued to a deal "
        "(probability)",
        json_schema_extra={"source": "fitted to the share of registered SMEs that reach a "
                           "formal link, about 2% in one public network with 26,000 profiles "
                           "(Sakai 2002), a per-firm outcome of several contacts "
                           "(experiments/calibration/baseline/)"},
    )
    proposals: float = Field(
        3.0, ge=0, le=52,
        description="partner proposals the service sends each registered firm a year "
        "(count/year); judgement: a public network (such as the EU's BC-NET) sends a "
        "registered firm the cooperation profiles that match its own, a few a year; most lead "
        "nowhere (conversion)",
    )


class Policy(_Strict):
    """Policy levers; each is a share or an intensity in 0..1 and may be a time path."""

    trade_openness: Unit = Field(
        default_factory=lambda: _path({1988: 0.55, 2000: 0.8}),
        description="path: openness to trade; 0 = closed, 1 = no cross-border barrier (index)",
    )
    fdi_openness: Unit = Field(
        default_factory=lambda: _path({1988: 0.5, 2000: 0.8}),
        description="path: openness to foreign acquirers; 0 = barred, 1 = as domestic (index)",
    )
    matching_service: MatchingService = Field(default_factory=MatchingService)
    sme_capability: Unit = Field(
        0.2, description="path: intensity of SME capability programmes: skills, legal, quality "
        "(index)"
    )
    ipr_protection: Unit = Field(
        default_factory=lambda: _path({1988: 0.5, 1995: 0.7, 2000: 0.75}),
        description="path: strength of intellectual-property protection (index)",
    )
    competition_strictness: Unit = Field(
        0.5, description="path: strictness of merger control: the post-merger HHI a deal may "
        "reach falls with it (acquisitions.hhi_limit). Alliances are not reviewed: the model's "
        "alliances between firms of one market hold at most about 3% of it together, far "
        "inside the competition authorities' safe harbours for cooperation among competitors "
        "(20-25% combined share) (index)",
        json_schema_extra={"source": "safe harbours: US FTC and DOJ, Antitrust Guidelines for "
                           "Collaborations Among Competitors (2000), 20%; EU Regulation "
                           "2659/2000 on R&D agreements, 25%; the 3%: docs/calibration.md"},
    )
    b2b_exclusivity: Unit = Field(
        default_factory=lambda: _path({1988: 0.0, 1998: 0.0, 2000: 0.3}),
        description="path: share of large buyers' purchasing routed through exclusive exchanges "
        "(share)",
    )
    safety_net: Unit = Field(0.5, description="path: generosity of social safety nets at exit "
                                "(index)")
    export_information: Unit = Field(
        0.2, description="path: reach of public foreign-market information and export services "
        "(index)"
    )


def _check_terms(section):
    """A section's longest term must not be shorter than its shortest."""
    if section.term_years_max < section.term_years_min:
        raise ValueError(
            f"term_years_max ({section.term_years_max:g}) must be >= term_years_min "
            f"({section.term_years_min:g})"
        )
    return section


class Behaviour(_Strict):
    """Structural parameters of firm behaviour: the free parameters calibration may fit.

    Defaults of ``search_rate``, ``search_size_elasticity``, ``w_marketing`` and
    ``w_manufacturing`` (with ``drivers.rnd_cost_growth``, ``acquisitions.presence_rate`` and
    ``cross_border_deal_cost``, ``policy.matching_service.conversion``) are fitted on the final
    structure (round 20, ``experiments/calibration/baseline/``); ``matching_contact_rate`` keeps
    round 6's value and ``countries.JP.press_coverage`` round 7's, as judgements. ``sample_size``,
    ``ict_search_elasticity``, ``transaction_cost``, ``w_rnd``, ``pre_standard_bonus``,
    ``venture_search`` and ``alliance_capacity`` keep the values earlier rounds fitted on the old
    structure (``experiments/calibration/baseline_round4/``), now held as judgements;
    ``visibility_elasticity`` is a judgement below Zipf's tail index.

    Deal values are in *value units per year*: one unit is the yearly gain a firm expects from a
    deal whose partner fully supplies an asset it lacks.
    """

    search_rate: float = Field(
        0.8053, ge=0, le=1,
        description="chance per step that a 250-employee firm, or a unit of a large firm, seeks "
        "a partner; smaller firms' chance falls with search_size_elasticity (probability/step)"
    )
    venture_search: float = Field(
        0.1618, ge=0, le=20,
        description="rise in a venture-backed SME's search, and in its visibility to "
        "searchers, per unit of the venture capital index and of its technology score, which "
        "lies in 0..1 (multiplier)",
    )
    search_size_elasticity: float = Field(
        2.015, ge=0, le=3, description="elasticity of search activity to firm size in employees "
        "(elasticity)"
    )
    sample_size: float = Field(
        4.726, gt=0, le=100, description="candidates a searcher examines at 1988 ICT cost (count)"
    )
    ict_search_elasticity: float = Field(
        0.1371, ge=0, le=3,
        description="elasticity of the candidate sample to 1/ict_cost (elasticity)"
    )
    max_sample_size: int = Field(32, ge=1, le=1000, description="cap on candidates (count)")
    cross_sector_share: float = Field(
        0.25, ge=0, le=1, description="share of candidates drawn from any sector (share)"
    )
    draws_exclude_drawer: bool = Field(
        False,
        description="a firm's visibility draws of partners, targets and buyers leave the firm "
        "itself out (drawn from the others' weights); off, a draw that lands on the drawing "
        "firm is lost, which costs the largest firms more of their draws the smaller the "
        "sample (off reproduces the shipped calibration) (switch)",
        json_schema_extra={"source": "structural: a sample of n firms is a sample of one "
                           "economy (docs/census-scale.md)"},
    )
    visibility_elasticity: float = Field(
        0.8, ge=0, le=3,
        description="elasticity of a firm's visibility to searchers to its size; must stay "
        "below population.large_tail_index, so that visibility has a finite mean and no handful "
        "of giants draws every search, whatever the sample size (1)",
    )
    reputation_weight: float = Field(
        0.1, ge=0, le=10,
        description="rise in a firm's visibility per alliance it has formed (cumulative "
        "advantage: a firm known as a partner is sought as one) (1/alliance)",
        json_schema_extra={"source": "Gulati and Gargiulo (1999); Powell et al. (2005): "
                                     "prior alliances make a firm visible; value a judgement"},
    )
    trust_discount: float = Field(
        0.3, ge=0, le=1,
        description="share of a deal's transaction and coordination cost that partners save "
        "when they know each other: they allied before, a common partner introduced them, or "
        "they run the deal together already (share)",
        json_schema_extra={"source": "judgement; prior ties build trust that replaces "
                                     "costly safeguards (Gulati 1995, 'Does familiarity breed "
                                     "trust?'; Dyer and Singh 1998; Uzzi 1997)"},
    )
    referral_share: float = Field(
        1.0, ge=0, le=1,
        description="chance per search that a firm with live partners asks one of them for a "
        "partner of theirs (referral, closing a triangle) (share)",
        json_schema_extra={"source": "judgement: asking a partner costs a searching firm "
                                     "next to nothing, so it always asks; common third parties "
                                     "predict new ties (Gulati and Gargiulo 1999)"},
    )
    foreign_search_cost: float = Field(
        2.0, ge=0, le=50,
        description="search barrier per region step for a foreign candidate at zero openness "
        "(multiplier)",
    )
    w_rnd: float = Field(1.266, ge=0, le=20, description="value weight of R&D cost sharing "
                         "(value units/year)")
    w_licensing: float = Field(
        1.5, ge=0, le=20, description="value weight of licensing, per unit of IPR x IP "
        "reliance x licensable technology (technology x cognitive distance) x reach (value "
        "units/year)",
        json_schema_extra={"source": "judgement: the scale at which licensing is a purpose of "
                           "most pharmaceutical and software alliances and of a minority in "
                           "automotive and telecom, as in the technology alliance data of the "
                           "period (Hagedoorn 1993, 'Understanding the rationale of strategic "
                           "technology partnering', SMJ)"},
    )
    w_marketing: float = Field(2.003, ge=0, le=20, description="value weight of market access "
                               "(value units/year)")
    w_manufacturing: float = Field(2.323, ge=0, le=20, description="value weight of "
                                   "manufacturing (value units/year)")
    transaction_cost: float = Field(
        1.259, ge=0, le=10, description="cost of negotiating and running a deal (value units/year)"
    )
    cross_border_cost: float = Field(
        0.3, ge=0, le=10,
        description="extra cost of a cross-border deal per region step at zero openness "
        "(value units/year)",
    )
    coordination_cost: float = Field(
        0.2, ge=0, le=10,
        description="cost of coordinating partners at 1988 ICT cost (value units/year)"
    )
    matching_contact_rate: float = Field(
        0.01364, ge=0, le=1,
        description="chance per step that a registered firm consults the matching service on "
        "its own and hears of partners, besides the proposals the service sends "
        "(probability/step)",
        json_schema_extra={"source": "judgement: about one firm in twenty a year asks the "
                           "service itself; the service's own proposals "
                           "(policy.matching_service.proposals, three a year) carry most contacts "
                           "(value of calibration round 6, which fitted it without effect; no "
                           "longer fitted)"},
    )
    match_noise: float = Field(
        0.3, ge=0, le=10,
        description="standard deviation of the idiosyncratic fit of a pair, added to each "
        "side's value (value units/year)",
    )
    cultural_distance_weight: float = Field(
        0.0, ge=0, le=1,
        description="share of the distance between two firms' home countries that is cultural: "
        "a pair's region steps are scaled by (1 - weight) + weight x their Kogut-Singh index "
        "over its mean among country pairs, so that the mean distance stays and partners of "
        "distant cultures are harder to find and to work with (share)",
        json_schema_extra={"source": "Kogut and Singh (1988), J. International Business "
                           "Studies 19(3), on Hofstede's scores (countries.*.culture); the "
                           "weight is judgement"},
    )
    currency_union_discount: float = Field(
        0.5, ge=0, le=1,
        description="cut in cross-border cost between currency-union members (share)"
    )
    capability_cost_relief: float = Field(
        0.5, ge=0, le=1,
        description="cut in a firm's transaction cost at full capability, and in a pair's "
        "coordination cost at full capability of the weaker partner (share)",
    )
    capability_uptake: float = Field(
        0.15, ge=0, le=1, description="yearly closing of an SME's capability gap per unit policy "
        "(share/year)"
    )
    pre_standard_bonus: float = Field(
        2.109, ge=0, le=10, description="extra R&D-alliance value before a dominant design "
        "(value units/year)"
    )
    post_standard_factor: float = Field(
        1.0, ge=0, le=1, description="R&D-alliance value multiplier once a standard exists; "
        "before it the multiplier is 1 + pre_standard_bonus (multiplier)",
        json_schema_extra={"source": "judgement: once a dominant design emerges, the ferment's "
                           "extra alliances go and R&D alliances keep their ordinary value "
                           "(Abernathy and Utterback 1978; Sakai 2002: fewer alliances once a "
                           "standard exists). A lower value would also cut the ordinary value "
                           "of sectors standardised in the run below that of sectors that never "
                           "were"},
    )
    regulated_access: float = Field(
        0.05, ge=0, le=1, description="market access to a regulated sector before deregulation "
        "(share)"
    )
    purpose_threshold: float = Field(
        0.25, ge=0, le=1, description="share of a deal's value a purpose needs to be listed (share)"
    )
    jv_propensity: float = Field(
        0.7, ge=0, le=1, description="chance a cross-border market-entry deal is a joint venture "
        "where all sales need local presence, scaled by sectors.<name>.local_presence "
        "(probability)",
        json_schema_extra={"source": "judgement: foreign entry into telecom and banking in the "
                           "1990s went mostly through joint ventures or equity partnerships "
                           "with local firms"},
    )
    equity_propensity: float = Field(
        0.4, ge=0, le=1, description="chance a large firm takes equity in an SME R&D partner "
        "(probability)"
    )
    term_years_min: float = Field(2.0, gt=0, le=50, description="shortest alliance term (years)")
    term_years_max: float = Field(8.0, gt=0, le=50, description="longest alliance term (years)")
    alliance_capacity: float = Field(
        2.586, ge=0, le=50,
        description="alliances a firm's management runs at the reference cost, per decade of "
        "size above one employee (alliances)",
    )
    division_elasticity: float = Field(
        0.35, ge=0, le=1,
        description="elasticity in employees of the number of a large firm's units that seek "
        "and manage partners on their own: (employees / 250) ** division_elasticity units "
        "above 250 employees, each searching as a 250-employee firm does and running a management "
        "span of its own size; 0 = one unit whatever the size (elasticity)",
        json_schema_extra={"source": "the volatility of firms' growth falls as size ** -0.15 "
                           "to -0.2 (Stanley et al. 1996, Nature 379; Amaral et al. 1997, J. "
                           "Phys. I France 7): a firm of independent units has about size ** "
                           "0.3-0.4 of them (Sutton 2002, Physica A 312)"},
    )
    congestion_cost: float = Field(
        0.5, ge=0, le=20,
        description="cost of managing one more alliance when a firm already runs as many as "
        "its management span (1 + alliance_capacity * log10(employees)); it grows with the "
        "square of live alliances over that span (value units/year)",
        json_schema_extra={"source": "judgement: alliance management has rising marginal cost "
                                     "(Gulati 1998); a soft limit, not a cap by size"},
    )
    knowledge_growth: float = Field(
        0.08, ge=0, le=1, description="yearly knowledge growth of a fully funded R&D programme "
        "(share/year)"
    )
    knowledge_depreciation: float = Field(
        0.04, ge=0, le=1, description="yearly obsolescence of knowledge (share/year)"
    )
    alliance_learning: float = Field(
        0.05, ge=0, le=1, description="yearly knowledge a firm absorbs per unit of partner edge "
        "(share/year)"
    )

    @model_validator(mode="after")
    def _terms(self):
        return _check_terms(self)


class Supply(_Strict):
    """Supply contracts between large manufacturers and their (mostly small) suppliers."""

    sourcing_rate: float = Field(
        0.3, ge=0, le=1, description="chance per step that a buyer with a free slot runs a tender "
        "(probability/step)"
    )
    slots_per_decade: float = Field(
        2.5, ge=0, le=50, description="supplier slots of a buyer per decade of its size (count)"
    )
    tender_candidates: int = Field(8, ge=1, le=200, description="suppliers examined per "
                                   "tender (count)")
    quality_floor: float = Field(
        0.35, ge=0, le=1, description="minimum supplier quality at the start year (index)"
    )
    quality_floor_growth: float = Field(
        0.02, ge=0, le=0.2, description="yearly rise of the minimum quality (index/year)"
    )
    quality_upgrading: float = Field(
        0.1, ge=0, le=1, description="yearly closing of a supplier's quality gap at capability 1 "
        "(share/year)"
    )
    w_delivery: float = Field(
        0.5, ge=0, le=10, description="weight of delivery reliability against quality and cost "
        "(weight)"
    )
    local_content: float = Field(
        0.5, ge=0, le=1,
        description="cut in the reach of suppliers outside the buyer's production countries "
        "(share)",
    )
    order_share: float = Field(
        0.004, gt=0, le=1,
        description="a contract's yearly value as a share of buyer revenue (share)"
    )
    capacity_share: float = Field(
        1.0, gt=0, le=10,
        description="most contract value a supplier takes on, as a share of its own revenue "
        "(share)",
    )
    term_years_min: float = Field(3.0, gt=0, le=50, description="shortest contract term (years)")
    term_years_max: float = Field(7.0, gt=0, le=50, description="longest contract term (years)")
    contract_margin: float = Field(
        0.06, ge=0, le=1, description="supplier's margin on contract revenue (share)"
    )
    b2b_join_cost: float = Field(
        0.3, ge=0, le=100, description="yearly cost of joining a B2B exchange (USD million/year)"
    )
    b2b_benefit: float = Field(
        0.08, ge=0, le=10,
        description="expected gain from exchange orders as a share of revenue per unit of "
        "exclusivity (share)",
    )
    consolidation_rate: float = Field(
        0.5, ge=0, le=1,
        description="yearly chance that a medium supplier merges with a peer when price cuts "
        "take a typical margin (demography.margin_mean) off its revenue; less in proportion "
        "below that (probability/year)",
    )
    price_pressure: Unit = Field(
        default_factory=lambda: _path({1988: 0.0, 1992: 0.0, 1993: 0.03, 1999: 0.03,
                                       2000: 0.07}),
        description="path: yearly price cut large buyers of supply-chain sectors demand on live "
        "supply contracts (fraction of contract value per year); source: Sakai (2002) on "
        "specialised suppliers (one carmaker demanded 20% cuts; small suppliers closed, medium "
        "ones merged or went abroad); judgement: 3% a year from the post-1992 cost drives of "
        "car and electronics makers, 7% in 2000 (20% over three years)",
    )

    @model_validator(mode="after")
    def _terms(self):
        return _check_terms(self)


class Acquisitions(_Strict):
    """Acquisitions of firms (mostly SMEs) by larger firms."""

    search_rate: float = Field(
        0.25, ge=0, le=1, description="yearly chance that each unit of a large firm looks for a "
        "target (probability/year)"
    )
    candidates: int = Field(6, ge=1, le=200, description="targets examined per search (count)")
    presence_rate: float = Field(
        0.9357, ge=0, le=1,
        description="yearly chance that each unit of a large firm sets out to enter a foreign "
        "market by buying a firm there (1/year)",
        json_schema_extra={"source": "fitted to cross-border M&As per cross-border alliance "
                           "(round 20, experiments/calibration/baseline/); prior: a unit adds a "
                           "country by acquisition every one to twenty years, as the "
                           "cross-border M&A wave of the 1990s (UNCTAD World Investment Report "
                           "2000) implies"},
    )
    tech_premium: float = Field(
        4.0, ge=0, le=100,
        description="capitalised value of a target's technology to an acquirer (x revenue)",
    )
    market_premium: float = Field(
        6.0, ge=0, le=100,
        description="capitalised value of the markets a target opens, per market share "
        "(x revenue)",
    )
    position_scale: float = Field(
        100.0, gt=0, le=10000,
        description="sales in its home market, relative to the mean firm's there, at which a "
        "target's market position carries half the value of the markets it opens: the "
        "position rises as m / (m + position_scale) (x mean firm's sales)",
        json_schema_extra={"source": "judgement: customers, brands and distribution networks "
                           "are selling costs sunk once for a market, which set its leading "
                           "firms apart from its fringe (Sutton 1991, Sunk Costs and Market "
                           "Structure); market share buys margin (Buzzell, Gale and Sultan "
                           "1975, HBR). In 1995 (100,000 firms) the median medium firm sells "
                           "about 7 times the mean firm's, the median large firm about 70, a "
                           "firm of about 750 employees 100: at 100 a medium firm carries about "
                           "7% of a full position, a median large firm 40%. Of 30, 100, 200 and "
                           "400 tried on round 17's values, 100 made large targets mainly "
                           "market presence with the fewest presence deals lost; not fitted"},
    )
    position_exponent: float = Field(
        1.0, ge=1, le=4,
        description="steepness of a target's market position in its sales: the position is m ** "
        "k / (m ** k + position_scale ** k), so that above 1 the fringe of a market (firms far "
        "below position_scale) carries almost none of it and its leaders nearly all (exponent)",
        json_schema_extra={"source": "judgement: 1 in the shipped baseline; where selling costs "
                           "are sunk once for a market, its structure is dual, a few leaders "
                           "who incurred them and a fringe that did not (Sutton 1991, Sunk "
                           "Costs and Market Structure, ch. 2-3), so a fringe firm brings an "
                           "entrant customers and products but little of a place in the "
                           "market. At 2 large targets are bought mainly for market presence "
                           "and SME targets for technology or on succession, as the paper "
                           "finds, but the refit with it (round 24, "
                           "experiments/calibration/round24_position/) put 9 of 15 fitted "
                           "moments within against round 20's 14; not fitted"},
    )
    unit_sale_min_units: float = Field(
        2.0, ge=1, le=100,
        description="units (behaviour.division_elasticity) a firm must have for a hunting buyer "
        "to be offered one of them rather than the whole firm; 2 units is a firm of about "
        "1,800 employees, 1.75 of about 1,240 (count)",
        json_schema_extra={"source": "judgement: a firm of two units or more has a business "
                           "to sell apart. In the 1990s large US firms sold units about as "
                           "often as whole firms were taken over (Mulherin and Boone 2000, "
                           "'Comparing acquisitions and divestitures', J. Corporate Finance); "
                           "with presence hunts in served markets and a bounded route "
                           "(40,000 firms, seed 1, presence_rate 0.4) the model's large targets "
                           "are units and whole firms in equal numbers at 1.75 (659 and 658 "
                           "in 1988-2000; 2 gives 475 and 700, 1.5 gives 895 and 567); 2 "
                           "until a refit adopts 1.75 (round 22 did not: "
                           "experiments/calibration/round22_route/)"},
    )
    route_capacity: float = Field(
        math.inf, ge=0,
        description="most of the acquiring unit's own sales that a presence target's customers "
        "and distribution carry in a market new to the unit, as a multiple of the target's "
        "sales on offer; inf = no bound (multiple)",
        json_schema_extra={"range": ">= 0, or inf",
                           "source": "judgement: a local firm's customer ties and distribution "
                           "carry about as much again as they already sell, not the whole of a "
                           "large entrant's products (1; Anand and Delios 2002, Strategic "
                           "Management Journal: acquired downstream capabilities). Unbounded "
                           "(the baseline), a unit's own sales routed through a firm of 20 or "
                           "100 employees make presence hunts buy small and medium firms for a "
                           "market (40,000 firms, seed 1: 210 small and 935 medium of 1,606 "
                           "cross-border presence deals in 1988-2000; at 1: 6 and 742); "
                           "unbounded until a refit adopts 1 (round 22 did not: "
                           "experiments/calibration/round22_route/)"},
    )
    route_share: float = Field(
        0.2, ge=0, le=1,
        description="share of what the acquiring unit would sell in the entered market, at the "
        "firm-level demand of that market relative to its home one, that a presence target's "
        "market position carries there: an entrant sells its own products through the "
        "customers and distribution it buys, so a presence target's value adds route_share x "
        "market_premium x position x the unit's revenue x relative demand (share)",
        json_schema_extra={"source": "judgement: entrants buy local firms for their "
                           "distribution and customer ties, through which they then sell "
                           "their own products (Hennart and Park 1993, Management Science; "
                           "Anand and Delios 2002, Strategic Management Journal: acquisitions "
                           "supply downstream capabilities an entrant lacks); affiliates of "
                           "foreign firms in the US bought a tenth or more of what they sold "
                           "from their parent groups in the 1990s (Zeile 1997, Survey of "
                           "Current Business). 0.2 lies between no route at all (round 18: "
                           "cross-border M&As per alliance 0.64) and 0.5, at which presence "
                           "hunts again drain the medium class (small/medium 0.21); not "
                           "fitted"},
    )
    affiliate_exit_rate: float = Field(
        0.0, ge=0, le=1,
        description="chance that a multinational divests each of its affiliates abroad in a "
        "year: the affiliate leaves as a firm of its own with its share of the firm and is "
        "offered for sale to the larger firms of its sector (probability/year)",
        json_schema_extra={"source": "foreign affiliates are divested or closed about as often "
                           "as domestic firms exit (Boddewyn 1983; Benito 1997; Mata and "
                           "Portugal 2000); off in the baseline, which was fitted without it: "
                           "with it a presence hunt's foreign markets do not run out"},
    )
    buyer_becomes_mne: bool = Field(
        False,
        description="a firm that buys a firm based in another country, or a multinational, "
        "becomes a multinational itself: the bought firm's markets abroad are its affiliates' "
        "markets, where they sell; off, the buyer's foreign markets are recorded but it sells "
        "the bought firm's output at home, and the economy's multinationals are only those of "
        "1988 less those bought or closed (switch)",
        json_schema_extra={"source": "UNCTAD's definition of a transnational corporation (a "
                           "parent controlling assets abroad); World Investment Report 1993 "
                           "and 2001: about 37,000 parent TNCs in 1990, 63,000 in 2000; off "
                           "in the baseline, which was fitted without it"},
    )
    presence_in_served: bool = Field(
        False,
        description="presence hunts also buy a place in foreign markets the unit already "
        "sells in (strengthening a position there, without routing its own sales through "
        "it), not only in markets new to it (switch)",
        json_schema_extra={"source": "the paper: large firms acquire mainly to strengthen "
                           "market presence in a product or service segment; off in the "
                           "baseline: refitted with it on (round 21, "
                           "experiments/calibration/round21_served/) the check put 12 of 15 "
                           "fitted moments within against round 20's 14, and with "
                           "route_capacity 1 and unit_sale_min_units 1.75 too (round 22, "
                           "experiments/calibration/round22_route/) 12, at a lower loss and "
                           "with no fitted value near a prior's edge"},
    )
    tech_spread: float = Field(
        0.0, ge=0, le=1,
        description="how far a technology target's value spreads over the buying unit's sales: "
        "the technology part of its value is tech_premium x technology x the buyer's assets x "
        "the unit's revenue ** tech_spread x the target's revenue ** (1 - tech_spread); 0 = "
        "worth the target's own sales alone (exponent)",
        json_schema_extra={"source": "0 in the shipped baseline (round 20, fitted without it); "
                           "acquirers redeploy a target's technology across their own "
                           "businesses (Capron, Dussauge and Mitchell 1998, Strategic "
                           "Management Journal; Ahuja and Katila 2001), so above 0 a technology "
                           "is worth more to a larger buyer and a cheap target returns more per "
                           "dollar; not yet fitted (docs/calibration.md, round 20)"},
    )
    price_to_sales: float = Field(
        1.0, gt=0, le=100, description="price of a target as a multiple of its revenue (x revenue)"
    )
    value_noise: float = Field(
        0.5, ge=0, le=5,
        description="standard deviation of the log of the acquirer's idiosyncratic "
        "valuation (log)"
    )
    cross_border_deal_cost: float = Field(
        6.407, ge=0, le=1000,
        description="fixed cost of buying a foreign firm: due diligence, legal and advisory work, "
        "integration abroad (USD million)",
        json_schema_extra={"source": "fitted to the SME-target share of cross-border M&As "
                           "(round 20, experiments/calibration/baseline/); prior 1-8: advisers' "
                           "minimum fees and the legal and integration work of a small "
                           "cross-border deal come to a few million dollars, several times a "
                           "domestic deal's"},
    )
    retirement_age: float = Field(65.0, ge=30, le=100, description="age at which owners retire "
                                  "(years)")
    successor_share: float = Field(
        0.5, ge=0, le=1, description="share of retiring owners who have a successor (share)"
    )
    distress_sale_rate: float = Field(
        0.1, ge=0, le=1, description="yearly chance that a loss-making firm is put up for sale "
        "(probability/year)"
    )
    max_relative_size: float = Field(
        0.5, gt=0, le=10,
        description="largest price the buying unit can finance and absorb for one target, as a "
        "multiple of its own value (price_to_sales x the firm's revenue / its units, "
        "behaviour.division_elasticity): cash, debt and new shares raise only so much, and a "
        "unit's managers integrate only so much at once (multiple)",
        json_schema_extra={"source": "judgement: targets are mostly far smaller than their "
                           "buyers, about a fifth of their value on average, smaller relative "
                           "to larger buyers, and mergers of near equals are few (Moeller, "
                           "Schlingemann and Stulz 2004, 'Firm size and the gains from "
                           "acquisitions', JFE); managerial limits to growth: Penrose (1959)"},
    )
    hhi_limit: float = Field(
        0.8, ge=0, le=1,
        description="post-merger HHI allowed at zero strictness; the limit falls linearly to 0 "
        "at full policy.competition_strictness (index)",
    )


class Demography(_Strict):
    """Entry, exit, profitability and growth of firms."""

    entry_rate: float = Field(
        0.03, ge=0, le=1,
        description="start-ups per active firm per year at zero policy (count/year)"
    )
    entry_capability_effect: float = Field(
        1.0, ge=0, le=10,
        description="relative rise of start-ups per unit of sme_capability (share)"
    )
    entry_ict_effect: float = Field(
        0.5, ge=0, le=10, description="relative rise of start-ups per unit fall in ICT cost (share)"
    )
    spinoff_rate: float = Field(
        0.04, ge=0, le=1, description="yearly chance that a large firm spins off a small firm "
        "(probability/year)"
    )
    margin_mean: float = Field(0.08, ge=-1, le=1, description="mean operating margin "
                               "(fraction)")
    margin_sd: float = Field(
        0.02, ge=0, le=1,
        description="sd of yearly shocks to a firm's own costs, the AR(1) margin_base; market "
        "outcomes drive the rest of the margin, see market (fraction of revenue)",
        json_schema_extra={"source": "judgement: cost shocks smaller than demand shocks "
                           "(market.shock_sd), so that market shares drive exits"},
    )
    margin_persistence: float = Field(
        0.5, ge=0, le=1, description="share of last year's cost shock carried into this year "
        "(share)"
    )
    deal_revenue: float = Field(
        0.05, ge=0, le=1,
        description="revenue gain per value unit of a live alliance, as a share of the revenue "
        "of the unit that runs it (share of revenue/year)",
    )
    deal_margin: float = Field(
        0.3, ge=0, le=1, description="margin gain per unit of deal-revenue share (share of revenue)"
    )
    insolvency_margin: float = Field(
        0.1, ge=0, le=1,
        description="a firm whose margin falls below minus this exits at once "
        "(share of revenue)",
    )
    exit_loss_years: int = Field(
        3, ge=1, le=20, description="years of losses before exit at zero safety net (years)"
    )
    growth_per_deal_share: float = Field(
        0.2366, ge=0, le=10,
        description="employment growth per unit of deal-revenue share (share/year)",
    )
    loss_shrink: float = Field(
        0.08, ge=0, le=1, description="yearly employment cut of a loss-making firm (share/year)"
    )
    growth_noise: float = Field(
        0.3, ge=0, le=1,
        description="standard deviation of a 10-employee firm's yearly log employment growth "
        "from idiosyncratic shocks; it falls with size as (employees / 10) ** "
        "-growth_noise_elasticity; the shocks are centred in logs, so the median firm keeps its "
        "size and expected employment grows by about half their variance (log)",
        json_schema_extra={"source": "judgement within the dispersion of small firms' yearly "
                           "growth (Evans 1987, 'The relationship between firm growth, size, "
                           "and age', J. Industrial Economics; Haltiwanger, Jarmin and Miranda "
                           "2013)"},
    )
    growth_noise_elasticity: float = Field(
        0.15, ge=0, le=1,
        description="how fast the dispersion of yearly growth falls with firm size "
        "(elasticity)",
        json_schema_extra={"source": "Stanley et al. (1996), 'Scaling behaviour in the growth "
                           "of companies', Nature 379: about 0.15"},
    )
    cluster_spillover: float = Field(
        0.05, ge=0, le=1,
        description="yearly share of the gap to its cluster's mean knowledge a firm absorbs "
        "(share/year)",
    )
    capable_conversion: float = Field(
        0.3, ge=0, le=1,
        description="matching-service conversion of a fully capable SME, against the policy's "
        "conversion (probability)",
    )
    capability_threshold: float = Field(
        0.6, ge=0, le=1, description="capability above which conversion starts to rise (index)"
    )
    distributor_rate: float = Field(
        0.3588, ge=0, le=1,
        description="chance a searching non-exporting SME also asks a distributor "
        "(probability)",
    )


class Exports(_Strict):
    """Exports of firms: heterogeneous-firm trade with sunk market-entry costs.

    Money is in USD million at the firm's scale; trade costs are iceberg factors (tariff
    equivalents, 0.1 = 10% of the good's value). Each field's source is in its
    ``json_schema_extra`` (shown in the documentation's parameter tables).
    """

    elasticity: float = Field(
        5.0, gt=1, le=20,
        description="elasticity of substitution between varieties; variable profit is sales / it "
        "(elasticity)",
        json_schema_extra={"source": "a trade elasticity of 4: Simonovska and Waugh (2014); Head "
                           "and Mayer (2014)"},
    )
    market_size_elasticity: float = Field(
        0.35, ge=0, le=1,
        description="elasticity of a firm's sales in a country to the country's market size "
        "(elasticity)",
        json_schema_extra={"source": "sales per exporter rise with market size with about this "
                           "elasticity: Eaton, Kortum and Kramarz (2011)"},
    )
    border_cost: float = Field(
        1.0, ge=0, le=10,
        description="tariff-equivalent cost of policy barriers at zero trade_openness (fraction)",
        json_schema_extra={"source": "Anderson and van Wincoop (2004): 74% trade costs for rich "
                           "countries; 0.45 in 1988 and 0.2 in 2000 at the baseline's openness"},
    )
    distance_cost: float = Field(
        0.35, ge=0, le=10,
        description="tariff-equivalent cost of transport, language and information per region "
        "step; 1 step = same region, 2 = another region (fraction/step)",
        json_schema_extra={"source": "Anderson and van Wincoop (2004): transport 21%, with "
                           "language and information"},
    )
    currency_cost: float = Field(
        0.14, ge=0, le=10,
        description="tariff-equivalent cost of trading across currencies, gone in a currency "
        "union (fraction)",
        json_schema_extra={"source": "Anderson and van Wincoop (2004): currency 14%"},
    )
    services_cost: float = Field(
        2.0, ge=0, le=10,
        description="extra tariff-equivalent cost of selling services abroad rather than goods "
        "(fraction)",
        json_schema_extra={"source": "services trade costs two to three times those of goods: "
                           "Miroudot, Sauvage and Shepherd (2013)"},
    )
    quality_elasticity: float = Field(
        2.0, ge=0, le=20,
        description="log rise of foreign demand per unit of product quality above 0.5 (log)",
        json_schema_extra={"source": "judgement"},
    )
    demand_noise: float = Field(
        1.5, ge=0, le=5,
        description="standard deviation of the log of a firm's yearly demand shock in a "
        "market (log)",
        json_schema_extra={"source": "large firm-market demand shocks: Eaton, Kortum and Kramarz "
                           "(2011)"},
    )
    market_cost: float = Field(
        0.15, ge=0, le=100,
        description="yearly fixed cost of serving one export market at 1988 ICT cost "
        "(USD million/year)",
        json_schema_extra={"source": "sunk costs of a few hundred thousand dollars: Das, Roberts "
                           "and Tybout (2007); set within that range so that the share of "
                           "manufacturing SMEs with 10-40% cross-border turnover matches the "
                           "paper"},
    )
    entry_cost: float = Field(
        0.75, ge=0, le=1000,
        description="sunk cost of entering one export market at 1988 ICT cost (USD million)",
        json_schema_extra={"source": "Das, Roberts and Tybout (2007), as market_cost"},
    )
    intra_firm_share: float = Field(
        0.2, ge=0, le=1,
        description="share of a manufacturing MNE's affiliates' sales made of goods shipped "
        "from its home country (parts, components, finished goods), which count as its "
        "exports (share)",
        json_schema_extra={"source": "judgement between about a tenth of US majority-owned "
                           "foreign affiliates' sales bought from their US parents (BEA, US "
                           "direct investment abroad, 1999) and a third or more of Japanese "
                           "manufacturing affiliates' purchases bought from Japan (METI, survey "
                           "of overseas business activities); intra-firm trade is about a third "
                           "of world trade (UNCTAD, World Investment Report 1999)"},
    )
    from_affiliates: bool = Field(
        False,
        description="an MNE serves each export market from the nearest of its production "
        "sites, home or an affiliate's country (export-platform affiliates); off, it exports "
        "from home alone and its affiliates sell only where they are (switch)",
        json_schema_extra={"source": "export-platform FDI: Ekholm, Forslid and Markusen (2007); "
                           "foreign affiliates exported about a third of their sales and "
                           "multinationals carried about two thirds of world trade (UNCTAD, "
                           "World Investment Report 2001); off in the baseline, which was "
                           "fitted without it"},
    )
    payback_years: float = Field(
        5.0, gt=0, le=100,
        description="years over which an entrant expects to recover the sunk entry cost (years)",
        json_schema_extra={"source": "a 10% discount rate plus a 10% exit hazard of export "
                           "spells"},
    )
    ict_elasticity: float = Field(
        0.5, ge=0, le=5,
        description="elasticity of export fixed costs to drivers.ict_cost (elasticity)",
        json_schema_extra={"source": "judgement"}
    )
    information_relief: float = Field(
        0.5, ge=0, le=1,
        description="cut in export fixed costs at full policy.export_information (fraction)",
        json_schema_extra={"source": "judgement"},
    )
    capability_relief: float = Field(
        0.3, ge=0, le=1,
        description="cut in a firm's export fixed costs at full capability (fraction)",
        json_schema_extra={"source": "judgement"},
    )


class Market(_Strict):
    """Product markets per (country, sector): CES demand shared by the firms' appeal.

    See :mod:`restructuring_sim.mechanisms.market`. Sources of the defaults: each field's
    ``source``.
    """

    quality_weight: float = Field(
        0.5, ge=0, le=10,
        description="log rise of a firm's appeal (sales per unit of capacity at given prices) "
        "per unit of product quality, a 0..1 index (log points)",
        json_schema_extra={"source": "judgement: a firm of top against bottom quality sells "
                           "about 1.6 times as much per employee; quality-adjusted CES demand "
                           "as in Hallak and Sivadasan (2013)"},
    )
    technology_weight: float = Field(
        0.5, ge=0, le=10,
        description="log rise of appeal per unit of technology score (tech_score, 0..1)",
        json_schema_extra={"source": "judgement, as quality_weight"},
    )
    capability_weight: float = Field(
        0.25, ge=0, le=10,
        description="log rise of appeal per unit of capability (management, delivery, 0..1)",
        json_schema_extra={"source": "judgement: half the weight of quality"},
    )
    price_weight: float = Field(
        0.5, ge=0, le=10,
        description="log rise of appeal per unit of cost efficiency, 0..1: (elasticity - 1) x "
        "the log price cut an efficient firm can offer (log points)",
        json_schema_extra={"source": "judgement: with an elasticity of substitution of 5 "
                           "(Broda and Weinstein 2006, median 3-5), a 12% lower price of the "
                           "most against the least efficient firm"},
    )
    shock_sd: float = Field(
        0.055, ge=0, le=1,
        description="sd of the yearly innovation of a firm's log demand shock (log points)",
        json_schema_extra={"source": "judgement: about 2% of the baseline's firms exit a "
                           "year, as many as with the AR(1) margin process the model had "
                           "before markets (to be recalibrated with the demography)"},
    )
    shock_persistence: float = Field(
        0.5, ge=0, le=1,
        description="share of last year's log demand shock carried into this year (AR(1))",
        json_schema_extra={"source": "judgement, as demography.margin_persistence"},
    )
    crowding: float = Field(
        0.5, ge=0, le=1,
        description="share of a change in the capacity selling in a market that shows in its "
        "firms' sales per unit of capacity, the rest changing the market's demand; 1 = demand "
        "fixed whatever the firms, 0 = demand grows with capacity (fraction)",
        json_schema_extra={"source": "judgement: between the fixed expenditure of a CES market "
                           "(Melitz 2003) and demand created by new varieties (love of variety)"},
    )
    capacity_adjustment: float = Field(
        0.3, ge=0, le=2,
        description="yearly log employment change per log point of change in a firm's sales "
        "per employee against the economy's (1/year)",
        json_schema_extra={"source": "judgement: firms close about a third of a gap between "
                           "staff and sales in a year (partial adjustment of labour demand, "
                           "Hamermesh 1993)"},
    )
    affiliate_distance: float = Field(
        0.0, ge=0, le=1,
        description="share of the cost of distance (exports.distance_cost per region step: "
        "information, language, local knowledge) that an MNE's affiliate bears against a firm "
        "at home; its share of the MNE's capacity falls by (1 + it x distance_cost x steps) ** "
        "(1 - exports.elasticity); 0 = an affiliate sells as a home firm of its market's size "
        "(share)",
        json_schema_extra={"source": "0 by default (the shipped calibration); 1 is the "
                           "proximity-concentration reading (Helpman, Melitz and Yeaple 2004): "
                           "an affiliate saves the border's and the currency's costs, not "
                           "distance's; docs/calibration.md, \"Open: how much an MNE sells "
                           "through its affiliates\""},
    )


class Knowledge(_Strict):
    """Knowledge profiles over technology fields; complementarity and joint innovation.

    See :mod:`restructuring_sim.mechanisms.innovation`.
    """

    optimal_distance: float = Field(
        0.5, gt=0, le=0.5,
        description="cognitive distance (share of profile not held in common, 0..1) at which "
        "a partner's knowledge is most complementary; it is worth nothing at twice that "
        "(share)",
        json_schema_extra={"source": "Nooteboom et al. (2007): an inverted U of innovation in "
                           "cognitive distance; the optimum's place is judgement (at 0.5 only "
                           "wholly disjoint profiles are worth nothing, so that cross-sector "
                           "partners, such as a distributor and a manufacturer, keep some "
                           "value)"},
    )
    complementarity_weight: float = Field(
        0.4, ge=0, le=1,
        description="share of an R&D alliance's value that depends on complementarity; 0 = "
        "value ignores the profiles (fraction)",
        json_schema_extra={"source": "judgement: R&D value falls by at most 40% for partners "
                           "of too close or too distant knowledge"},
    )
    concentration: float = Field(
        1.5, gt=0, le=100,
        description="Dirichlet concentration (sum of parameters) of a 1-employee firm's "
        "profile around its sector's field mix; it grows with (1 + log10 employees) ** 2, so "
        "that a 10-employee firm's is 4 times and a 10,000-employee firm's 25 times this: "
        "larger firms hold broader, more typical profiles (1)",
        json_schema_extra={"source": "judgement: small firms specialise in niches, large firms "
                           "are multi-technology (Granstrand, Patel and Pavitt 1997)"},
    )
    innovation_rate: float = Field(
        0.3, ge=0, le=10,
        description="yearly chance that a live R&D alliance of full complementarity, before "
        "the sector's dominant design, yields a new combination (1/year)",
        json_schema_extra={"source": "judgement: about one new product per R&D alliance over "
                           "its 3-5 year term"},
    )
    innovation_quality: float = Field(
        0.2, ge=0, le=1,
        description="share of the gap to full quality closed by a new combination (share)",
        json_schema_extra={"source": "judgement"},
    )
    innovation_knowledge: float = Field(
        0.1, ge=0, le=2,
        description="relative rise of each partner's knowledge stock from a new combination "
        "(fraction)",
        json_schema_extra={"source": "judgement"},
    )
    recombination: float = Field(
        0.3, ge=0, le=1,
        description="share by which each partner's profile moves toward the pair's mean on a "
        "new combination (fraction)",
        json_schema_extra={"source": "judgement: partners converge, so that repeated joint "
                           "R&D exhausts its novelty (Nooteboom 2000)"},
    )


class PriceCut(_Strict):
    """A buyers' restructuring shock: buyers in ``sector`` demand a price cut from suppliers."""

    year: int = Field(ge=1900, le=2100, description="year the cut is demanded (year)")
    sector: str = Field(description="sector whose buyers demand it",
                        json_schema_extra={"range": "a key of sectors"})
    cut: float = Field(gt=0, le=1, description="price cut demanded (fraction of contract value)")


class Shocks(_Strict):
    """One-off events of a scenario."""

    supplier_price_cut: PriceCut | None = Field(
        None, description="a supplier price-cut shock {year, sector, cut}; none by default"
    )


class Observer(_Strict):
    """The press-based deal database as an observer of the deals firms make.

    A deal enters the database (``reported`` in ``events.parquet``) when the sources it reads
    name and place every participant: each participant independently with chance
    ``<size class>_coverage * countries.<home>.press_coverage`` (an SME's class coverage
    multiplied by ``sme_coverage_scale``, at most 1), the deal with the product of its
    participants' chances. An acquisition is the acquirer's announcement, reported with the
    acquirer's chance alone; its price is disclosed with the target's size-class coverage
    (materiality to the buyer).
    Alliance dissolutions and supply contract endings are never reported (closures are rarely
    announced). See :mod:`restructuring_sim.observer`.
    """

    large_coverage: float = Field(
        0.9, ge=0, le=1,
        description="chance a large firm taking part in a deal is named and placed in the "
        "sources the database reads, at full press coverage (share)",
        json_schema_extra={"source": "judgement: the database over-represents large firms "
                                     "(Sakai 2002); level fitted to the JETRO ratio"},
    )
    medium_coverage: float = Field(
        0.3, ge=0, le=1,
        description="chance a medium firm taking part in a deal is named and placed in those "
        "sources, at full press coverage (share)",
        json_schema_extra={"source": "judgement: small firms' alliances are rarely reported "
                                     "(Sakai 2002)"},
    )
    small_coverage: float = Field(
        0.1, ge=0, le=1,
        description="chance a small firm taking part in a deal is named and placed in those "
        "sources, at full press coverage (share)",
        json_schema_extra={"source": "judgement: small firms' alliances are rarely reported "
                                     "(Sakai 2002)"},
    )
    sme_coverage_scale: float = Field(
        1.0, gt=0, le=10,
        description="multiplies medium_coverage and small_coverage (each product capped at 1): "
        "how much of SMEs' deals the press names, at the ratio of small to medium firms' "
        "coverage the two judgements set; the paper says only that the database "
        "under-reports small firms (ratio)",
        json_schema_extra={"source": "judgement: 1 (the two coverages as they stand)"},
    )
    home_press_coverage: float = Field(
        1.0, ge=0, le=1,
        description="chance that a firm's own country's press names it in an announced deal, "
        "relative to its size class's coverage: how complete a national count read from the "
        "home press is (JETRO's, from four Japanese newspapers: named_at_home); 1 = the home "
        "press names a participant as often as the database's sources would at full press "
        "coverage (share)",
        json_schema_extra={"source": "judgement: 1; the paper gives JETRO's count as more "
                                     "than 10,000 from four newspapers (Sakai 2002), not as "
                                     "every alliance"},
    )


class Scenario(_Strict):
    """A complete, validated scenario. ``Scenario()`` is the embedded baseline."""

    name: str = Field("baseline", description="scenario name, used in reports")
    description: str = Field("", description="free text")
    simulation: Simulation = Field(default_factory=Simulation)
    population: Population = Field(default_factory=Population)
    sectors: dict[str, Sector] = Field(default_factory=_default_sectors)
    countries: dict[str, Country] = Field(default_factory=_default_countries)
    drivers: Drivers = Field(default_factory=Drivers)
    policy: Policy = Field(default_factory=Policy)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    supply: Supply = Field(default_factory=Supply)
    acquisitions: Acquisitions = Field(default_factory=Acquisitions)
    demography: Demography = Field(default_factory=Demography)
    exports: Exports = Field(default_factory=Exports)
    market: Market = Field(default_factory=Market)
    knowledge: Knowledge = Field(default_factory=Knowledge)
    shocks: Shocks = Field(default_factory=Shocks)
    observer: Observer = Field(default_factory=Observer)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        sim = self.simulation
        vis, tail = self.behaviour.visibility_elasticity, self.population.large_tail_index
        if vis >= tail:
            raise ValueError(
                f"behaviour.visibility_elasticity ({vis}) must be below "
                f"population.large_tail_index ({tail}): visibility would have no finite mean and "
                "a sample's largest firms would draw every search"
            )
        if sim.end_year < sim.start_year:
            raise ValueError(
                f"simulation.end_year ({sim.end_year}) must be >= simulation.start_year "
                f"({sim.start_year})"
            )
        for code, country in self.countries.items():
            for name, odds in country.specialisation.items():
                key = f"countries.{code}.specialisation.{name}"
                if name not in self.sectors:
                    raise ValueError(f"{key}: unknown; allowed sectors: "
                                     f"{', '.join(sorted(self.sectors))}")
                if not odds > 0 or not math.isfinite(odds):
                    raise ValueError(f"{key} = {odds}: must be a positive number")
        for key, known, what in (
            ("population.sector_mix", self.sectors, "sectors"),
            ("population.country_mix", self.countries, "countries"),
        ):
            mix = getattr(self.population, key.split(".")[1])
            for name, weight in mix.items():
                if name not in known:
                    raise ValueError(
                        f"{key}.{name}: unknown; allowed {what}: {', '.join(sorted(known))}"
                    )
                if weight < 0:
                    raise ValueError(f"{key}.{name} = {weight}: must be >= 0")
            if mix and sum(mix.values()) <= 0:
                raise ValueError(f"{key}: weights must not all be zero")
        if not self.sectors:
            raise ValueError("sectors: at least one sector is required")
        cut = self.shocks.supplier_price_cut
        if cut is not None and cut.sector not in self.sectors:
            raise ValueError(
                f"shocks.supplier_price_cut.sector = {cut.sector!r}: unknown; allowed sectors: "
                f"{', '.join(sorted(self.sectors))}"
            )
        if len(self.countries) < 2:
            raise ValueError("countries: at least two countries are required")
        if len(self.countries) > 63:
            raise ValueError(f"countries: {len(self.countries)} given, at most 63 allowed")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain JSON-compatible data (time paths as ``{"year": value}``)."""
        return self.model_dump(mode="json")

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON form; equal scenarios have equal hashes."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Loading, merging, overrides


#: tables that an override replaces whole (weights of a mix), besides time paths
WHOLE_TABLES = frozenset({"sector_mix", "country_mix"})


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in; tables merge key by key, other values replace.

    A time path in ``base`` and a mix of weights (:data:`WHOLE_TABLES`) are replaced whole by the
    override, not entry by entry.
    """
    out = copy.deepcopy(base)
    for key, value in override.items():
        current = out.get(key)
        whole = key in WHOLE_TABLES or (isinstance(current, dict) and _is_path(current))
        if isinstance(value, dict) and isinstance(current, dict) and not whole:
            out[key] = deep_merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_path(value: dict[str, Any]) -> bool:
    """Whether a table is a time path: non-empty, every key a year."""
    try:
        years = [float(k) for k in value]
    except ValueError:
        return False
    return bool(years)


def read_scenario_data(path: str | Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Raw data of a scenario file, with ``base = "..."`` inheritance resolved (not validated)."""
    path = Path(path)
    data = read_toml(path, "scenario file")
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise UserError(f"{path}: base = {base!r}: must be a path to a scenario file")
    base_path = (path.parent / base).resolve()
    if base_path in seen:
        raise UserError(f"{path}: base = {base!r}: inheritance cycle")
    return deep_merge(read_scenario_data(base_path, (*seen, path.resolve())), data)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``key.path=value`` (value in TOML syntax; bare words are strings)."""
    if "=" not in text:
        raise UserError(f"--set {text!r}: expected KEY=VALUE, e.g. policy.trade_openness=0.3")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise UserError(f"--set {text!r}: empty key")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def set_dotted(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Return a copy of raw scenario data with ``key`` (dotted, e.g. ``policy.safety_net``)
    set to ``value``; missing tables on the way are created."""
    out = copy.deepcopy(data)
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return out


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set`` style overrides to raw scenario data."""
    out = data
    for text in overrides:
        parts, value = parse_override(text)
        out = set_dotted(out, ".".join(parts), value)
    return copy.deepcopy(out) if out is data else out


def _format_error(err: dict[str, Any], raw: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) or "scenario"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        node: Any = Scenario().to_dict()
        for part in loc[:-1]:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        allowed = sorted(node) if isinstance(node, dict) else []
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{field}: unknown key{hint}; allowed: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{field}: required field missing"
    if len(loc) <= 1 and err["type"] == "value_error":
        return msg  # a cross-field check of the whole scenario: its message names the fields
    value = err.get("input")
    if isinstance(value, dict):
        value = json.dumps(value)
    return f"{field} = {value!r}: {msg}"


def scenario_from_dict(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate raw data merged over the embedded default; raise :class:`UserError` if invalid."""
    merged = deep_merge(Scenario().to_dict(), data)
    try:
        return Scenario.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise UserError(f"{source}: {_format_error(first, merged)}{tail}") from None


def load_scenario(path: str | Path | None = None, overrides: list[str] | None = None,
                  seed: int | None = None) -> Scenario:
    """Load a scenario file (or the embedded default), apply overrides and an optional seed.

    Parameters
    ----------
    path : path to a TOML scenario, or None for the embedded baseline.
    overrides : ``["policy.trade_openness=0.3", ...]``, validated like the file.
    seed : replaces ``simulation.seed`` when given.
    """
    data = read_scenario_data(Path(path)) if path is not None else {}
    data = apply_overrides(data, list(overrides or []))
    if seed is not None:
        data = apply_overrides(data, [f"simulation.seed={int(seed)}"])
    return scenario_from_dict(data, source=str(path) if path is not None else "scenario")
