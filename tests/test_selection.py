"""Market selection: exit rates by change in market share, on a hand-made panel (the
baseline's are tested in test_market); the size classes' yearly flows."""

from __future__ import annotations

import pandas as pd
import pytest

from restructuring_sim.selection import DESTINATIONS, exit_rates_by_share_change, size_class_flows


def test_exit_rates_follow_the_panel():
    """A hand-made panel: the firm losing share exits, the others stay."""
    rows = []
    for firm, shares in {0: (1.0, 0.5), 1: (1.0, 1.0), 2: (1.0, 2.0), 3: (1.0, 1.5)}.items():
        rows += [(firm, 1990, "active", shares[0]), (firm, 1991, "active", shares[1]),
                 (firm, 1992, "exited" if firm == 0 else "active", shares[1])]
    firms = pd.DataFrame(rows, columns=["firm_id", "year", "status", "market_share"])
    table = exit_rates_by_share_change(firms, groups=2)
    assert table["exit_rate"].tolist() == [0.5, 0.0]
    assert table["exits"].tolist() == [1, 0]
    with pytest.raises(ValueError, match="groups"):
        exit_rates_by_share_change(firms, groups=1)


def test_size_class_flows_follow_the_panel():
    """A hand-made panel of two runs: firm ids repeat across runs and count apart; firms
    no longer active count once, in the year they leave; the last year has no next."""
    rows = [
        # run 1: a small firm grows into the medium class, a medium firm is acquired
        (1, 0, 1990, "small", "active"), (1, 0, 1991, "medium", "active"),
        (1, 1, 1990, "medium", "active"), (1, 1, 1991, "medium", "acquired"),
        # run 2, same ids: the small firm stays small, the medium firm exits, then a large one
        (2, 0, 1990, "small", "active"), (2, 0, 1991, "small", "active"),
        (2, 1, 1990, "medium", "active"), (2, 1, 1991, "medium", "exited"),
        (2, 2, 1990, "large", "active"), (2, 2, 1991, "large", "active"),
        (2, 2, 1992, "large", "exited"),
    ]
    firms = pd.DataFrame(rows, columns=["run_id", "firm_id", "year", "size_class", "status"])
    table = size_class_flows(firms)
    assert table.index.tolist() == ["small", "medium", "large"]
    assert table.columns.tolist() == ["firm_years", *DESTINATIONS]
    assert table["firm_years"].tolist() == [2, 2, 2]
    assert table.loc["small", ["small", "medium"]].tolist() == [0.5, 0.5]
    assert table.loc["medium", ["acquired", "exited"]].tolist() == [0.5, 0.5]
    assert table.loc["large", ["large", "exited"]].tolist() == [0.5, 0.5]
    assert table[list(DESTINATIONS)].sum(axis=1).tolist() == [1.0, 1.0, 1.0]
