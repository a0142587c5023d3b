"""The benchmark scripts of ``make bench`` run end to end on a small case and name what they
measured (they report, they do not gate; a script that fails stops ``make bench`` before the
scale table)."""

from __future__ import annotations

import sys
from pathlib import Path

from restructuring_sim import load_scenario

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_sweep_benchmark_names_the_baseline_size_it_ran(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_sweep

    rows = bench_sweep.bench(runs=2, workers=1)
    assert [r["executor"] for r in rows] == ["local", "dask"]
    baseline = load_scenario(bench_sweep.BASELINE).simulation.n_firms
    assert all(r["n_firms"] == baseline and r["runs"] == 2 and not r["failed"] for r in rows)
    bench_sweep.render(rows)
    assert f"{baseline:,} firms" in capsys.readouterr().out
    sys.modules.pop("bench_sweep", None)
