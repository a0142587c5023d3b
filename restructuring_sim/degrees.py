"""Alliance degrees over a window of years, as alliance-network studies measure them.

``network_degrees.parquet`` holds each year's degrees of *live* ties. Deal databases record when
an alliance is announced but rarely when it ends, so studies of alliance networks build the
network from the alliances formed in a window of recent years (five in Gulati and Gargiulo 1999,
"Where do interorganizational networks come from?", AJS; three in Schilling and Phelps 2007,
"Interfirm collaboration networks", Management Science), and their degree distributions are
the skewed ones the literature reports. A live snapshot is thinner: a tie ends when its term is
up or its partner is bought or closes, so a firm's live degree is its recent formations less
this churn. This module counts, for every firm, its distinct alliance partners over a window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def window_degrees(events: pd.DataFrame, last_year: int, years: int = 5,
                   reported_only: bool = False) -> np.ndarray:
    """Distinct alliance partners of every firm with at least one, over the alliances formed
    in the ``years`` years up to ``last_year`` (inclusive); with ``reported_only``, only those
    the deal database reports (``reported``). A pair allied twice counts once; a deal of more
    than two firms ties every pair of them."""
    formed = events.loc[(events["kind"] == "alliance_formed")
                        & events["year"].between(last_year - years + 1, last_year)]
    if reported_only:
        formed = formed.loc[formed["reported"].astype(bool)]
    pairs = {(min(a, b), max(a, b))
             for ids in formed["firm_ids"]
             for k, a in enumerate(ids) for b in ids[k + 1:]}
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    _, counts = np.unique(np.array(sorted(pairs)).ravel(), return_counts=True)
    return counts


def degree_summary(degrees: np.ndarray) -> dict[str, float]:
    """``firms``, ``mean``, ``cv`` (standard deviation over mean; a Poisson degree of mean m has
    1/sqrt(m)), ``skewness`` and ``max_to_mean`` of a degree sequence (NaN when empty)."""
    degrees = np.asarray(degrees, dtype=float)
    if not len(degrees):
        return dict(firms=0, mean=np.nan, cv=np.nan, skewness=np.nan, max_to_mean=np.nan)
    mean, sd = degrees.mean(), degrees.std()
    skew = ((degrees - mean) ** 3).mean() / sd ** 3 if sd > 0 else 0.0
    return dict(firms=len(degrees), mean=mean, cv=sd / mean, skewness=skew,
                max_to_mean=degrees.max() / mean)
