"""The paper's deal database as an observer of the deals firms make.

The paper's alliance and M&A figures come from a press-based database: one record per announced
deal, sources mostly in English, small firms' deals rarely reported, closures rarely announced
(Sakai 2002; JETRO counted more than 10,000 international alliances involving Japanese firms in
1995-99 where the database holds 5,000). The model's firms make every deal; this module decides
which of them the database would hold, so that the paper's figures are compared with *reported*
deals while users still see the true activity.

A deal enters the database when the sources it reads name and place every participant: the
database codes each deal by its participants, their nations and the deal's sector, so a deal
whose partner is "a small US biotech firm" or whose Japanese partner appears only in Japanese
papers is not a record. Participant ``k`` is identified independently with chance
``coverage[size class of k] * press_coverage[home country of k]`` (``observer.*_coverage``, an
SME's multiplied by ``observer.sme_coverage_scale`` up to 1, and
``countries.<code>.press_coverage``), and the deal is reported with the product of its
participants' chances. A deal of two large firms is then nearly always reported, one with a small
partner rarely: the database over-represents large firms, as the paper says. Alliance
formations, supply contracts signed and acquisitions can be reported; dissolutions, contract
endings, entries and exits never are.

An acquisition is announced by its acquirer, who names the target, in the acquirer's press: it
is reported with the acquirer's chance alone. Deal databases built from filings and the
financial press cover completed M&As far more fully than alliances, which firms announce only
when they choose to (Anand and Khanna 2000, "The structure of licensing contracts", J. Industrial
Economics; Schilling 2009, "Understanding the alliance data", Strategic Management Journal).
Its *price* is disclosed (``value_disclosed``) only when the deal is material to the buyer, with
the target's size-class coverage: the price of a small private target is rarely published, which
is why the paper can say only that *at least* 340 cross-border M&As had an SME target of known
capitalisation.

A national count read from a country's own press, such as JETRO's count of international
alliances involving Japanese firms from four Japanese newspapers, sees a deal when that press
names its participant from the country: ``named_at_home`` says, per participant of an announced
deal, whether its own country's press names it, with its size class's coverage at full press
coverage (a home paper reads its own language) times ``observer.home_press_coverage`` (how
complete the national count is; 1 by default); the foreign partner need not be named. JETRO's
count is then the alliances involving a Japanese firm named at home, and the database's share of
it is the paper's JETRO ratio.

The draws come from their own generator (a child of ``model.rng`` spawned at start), two
uniforms per logged event in log order for ``reported`` and ``value_disclosed`` and, from a
second stream of the same seed, one per participant for ``named_at_home``, so reporting leaves
every other draw of a run as it was and the same run gives the same columns however often its
log is read.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim.world import SIZE_CLASSES

#: kinds of events the database can hold (announced deals)
REPORTABLE = ("alliance_formed", "supply_contract_signed", "acquisition")


def reportable(kinds, kind_names) -> np.ndarray:
    """Which events are announced deals (kinds in :data:`REPORTABLE`), bool per event;
    ``kinds`` are codes into ``kind_names``."""
    return np.isin(kinds, [kind_names.index(k) for k in REPORTABLE])


class PressObserver:
    """Decides which logged events the deal database reports.

    Parameters
    ----------
    size_coverage : chance a participant of each size class (small, medium, large) is named
        and placed in the sources the database reads, at full press coverage (share).
    country_coverage : {country name: press coverage} (share); countries not named count 1.
    seed : seed of the observer's own generator (an integer drawn from a child of the run's).
    home_coverage : chance that a participant's own country's press names it, relative to its
        size class's coverage (share; see :meth:`named_at_home`).
    """

    def __init__(self, size_coverage, country_coverage: dict[str, float], seed: int,
                 home_coverage: float = 1.0):
        self.size_coverage = np.asarray(size_coverage, dtype=float)
        if self.size_coverage.shape != (len(SIZE_CLASSES),):
            raise ValueError(f"size_coverage: one value per size class {SIZE_CLASSES}")
        self.country_coverage = dict(country_coverage)
        self.seed = int(seed)
        self.home_coverage = float(home_coverage)

    @classmethod
    def from_scenario(cls, scenario, rng: np.random.Generator) -> PressObserver:
        """The observer of a scenario, seeded from a child of ``rng`` (the run's generator)."""
        obs = scenario.observer
        child = rng.spawn(1)[0]
        sme = obs.sme_coverage_scale
        return cls((min(1.0, sme * obs.small_coverage), min(1.0, sme * obs.medium_coverage),
                    obs.large_coverage),
                   {code: c.press_coverage for code, c in scenario.countries.items()},
                   int(child.integers(2 ** 62)), obs.home_press_coverage)

    def chance(self, size_a, country_a, size_b, country_b) -> np.ndarray:
        """Chance that each deal is reported: ``prod_k size_k * country_k`` over its
        participants.

        Sizes are size-class codes; countries are press-coverage values per participant (the
        second participant's codes are -1 where a deal has one)."""
        p_a = self.size_coverage[np.asarray(size_a)] * np.asarray(country_a)
        has_b = np.asarray(size_b) >= 0
        p_b = np.where(has_b, self.size_coverage[np.maximum(size_b, 0)] * np.asarray(country_b),
                       1.0)
        return p_a * p_b

    def observe(self, kinds: np.ndarray, kind_names, size_a, country_a, size_b,
                country_b, country_names) -> tuple[np.ndarray, np.ndarray]:
        """Which events the database reports, and of which reported acquisitions it gives the
        price: ``(reported, value_disclosed)``, bool per event in log order.

        ``kinds`` are codes into ``kind_names``; ``country_a``/``country_b`` codes into
        ``country_names`` (-1 = no second participant)."""
        n = len(kinds)
        draws = np.random.default_rng(self.seed).random((n, 2))
        coverage = np.array([self.country_coverage.get(c, 1.0) for c in country_names]
                            + [0.0])  # code -1: no participant
        # an acquisition is the acquirer's announcement: the target's chance does not enter
        announced = np.asarray(kinds) == kind_names.index("acquisition")
        size_b = np.asarray(size_b)
        p = self.chance(size_a, coverage[country_a], np.where(announced, -1, size_b),
                        coverage[country_b])
        reported = reportable(kinds, kind_names) & (draws[:, 0] < p)
        material = self.size_coverage[np.maximum(size_b, 0)]
        disclosed = reported & announced & (draws[:, 1] < material)
        return reported, disclosed

    def named_at_home(self, kinds: np.ndarray, kind_names, size_a, size_b) -> np.ndarray:
        """Whether each participant's own country's press names it in the deal: ``(n, 2)`` bool
        (participants ``a`` and ``b``; false where there is no ``b`` and for events that are not
        announced deals), each with its size class's coverage at full press coverage times
        ``home_coverage``."""
        n = len(kinds)
        draws = np.random.default_rng([self.seed, 1]).random((n, 2))
        sizes = np.stack([np.asarray(size_a), np.asarray(size_b)], axis=1)
        named = draws < self.size_coverage[np.maximum(sizes, 0)] * self.home_coverage
        return named & (sizes >= 0) & reportable(kinds, kind_names)[:, None]
