"""Market selection: exit rates by change in market share, on a hand-made panel (the
baseline's are tested in test_market)."""

from __future__ import annotations

import pandas as pd
import pytest

from restructuring_sim.selection import exit_rates_by_share_change


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
