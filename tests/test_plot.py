"""``restructuring-sim plot``: figures written, not blank, of the expected size, reproducible,
and one-line errors (exit 2) for bad paths and incomplete run directories."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, slim_copy
from PIL import Image

from restructuring_sim.runner import run_scenario
from restructuring_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
STEMS = ("annual_deals", "sectors_purposes", "network_metrics", "firm_sizes")


def small_run(out: Path, seed: int = 3) -> Path:
    """A 300-firm baseline run written to ``out``."""
    run_scenario(load_scenario(BASELINE, ["simulation.n_firms=300"], seed=seed), out)
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return small_run(tmp_path_factory.mktemp("plot_run"))


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_plot_writes_every_figure(run_dir, tmp_path):
    result = invoke("plot", run_dir, "--out", tmp_path / "figs")
    assert result.exit_code == 0, result.output
    for stem in STEMS:
        png = tmp_path / "figs" / f"{stem}.png"
        assert png.is_file()
        assert not (tmp_path / "figs" / f"{stem}.svg").exists()
        img = pixels(png)
        assert img.shape[0] >= 400 and img.shape[1] >= 1000  # 100 dpi, 12-13 inch wide
        assert img.std() > 20, f"{stem} looks blank"
        assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50


def test_svg_on_request(run_dir, tmp_path):
    result = invoke("plot", run_dir, "--out", tmp_path, "--svg")
    assert result.exit_code == 0, result.output
    for stem in STEMS:
        text = (tmp_path / f"{stem}.svg").read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text  # no time stamp: same run, same bytes


def test_same_run_same_bytes(run_dir, tmp_path):
    for name in ("a", "b"):
        assert invoke("plot", run_dir, "--out", tmp_path / name, "--svg").exit_code == 0
    for stem in STEMS:
        for ext in ("png", "svg"):
            a = (tmp_path / "a" / f"{stem}.{ext}").read_bytes()
            assert a == (tmp_path / "b" / f"{stem}.{ext}").read_bytes(), f"{stem}.{ext}"


def test_same_seed_same_pixels_across_runs(run_dir, tmp_path):
    again = small_run(tmp_path / "again")
    invoke("plot", run_dir, "--out", tmp_path / "a")
    invoke("plot", again, "--out", tmp_path / "b")
    for stem in STEMS:
        assert np.array_equal(pixels(tmp_path / "a" / f"{stem}.png"),
                              pixels(tmp_path / "b" / f"{stem}.png"))


def test_paper_points_drawn(run_dir):
    from restructuring_sim.viz.plots import paper_points

    points = paper_points()
    assert points is not None
    assert points["final"][0] == 2000
    assert 0 < points["final"][1] < 1


def test_missing_run_directory_exits_2(tmp_path):
    missing = tmp_path / "nowhere"
    result = invoke("plot", missing, "--out", tmp_path / "figs")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0]


def test_run_directory_missing_a_file_exits_2(run_dir, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(run_dir, partial)
    (partial / "network_metrics.parquet").unlink()
    result = invoke("plot", partial, "--out", tmp_path / "figs")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(partial / "network_metrics.parquet") in lines[0]


def test_file_as_run_directory_or_out_exits_2(run_dir, tmp_path):
    result = invoke("plot", run_dir / "events.parquet", "--out", tmp_path / "figs")
    assert result.exit_code == 2 and str(run_dir / "events.parquet") in result.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke("plot", run_dir, "--out", blocker)
    assert result.exit_code == 2 and str(blocker) in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_plot_reads_only_the_firm_columns_it_uses(run_dir, tmp_path):
    """A census-scale panel holds some 20 million firm-years: ``plot`` reads the firm columns
    its figures use, and a panel that holds only those gives the same figures."""
    from restructuring_sim.viz.plots import PLOT_FIRM_COLUMNS

    slim = slim_copy(run_dir, tmp_path / "slim", PLOT_FIRM_COLUMNS)
    for source, out in ((run_dir, tmp_path / "full"), (slim, tmp_path / "part")):
        assert invoke("plot", source, "--out", out).exit_code == 0
    for stem in STEMS:
        full = (tmp_path / "full" / f"{stem}.png").read_bytes()
        assert full == (tmp_path / "part" / f"{stem}.png").read_bytes(), stem
