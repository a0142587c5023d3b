"""``restructuring-sim animate``: one GIF frame per year, fixed positions, snapshot grid,
sampling beyond the node limit, reproducible pixels, one-line errors (exit 2)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import invoke
from PIL import Image, ImageSequence

from restructuring_sim.runner import run_scenario
from restructuring_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("animate_run")
    run_scenario(load_scenario(BASELINE, ["simulation.n_firms=300"], seed=4), out)
    return out


def n_years(run_dir: Path) -> int:
    return pd.read_parquet(run_dir / "firms.parquet")["year"].nunique()


def gif_frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


def test_gif_has_one_frame_per_year(run_dir, tmp_path):
    out = tmp_path / "network.gif"
    result = invoke("animate", run_dir, "--out", out)
    assert result.exit_code == 0, result.output
    frames = gif_frames(out)
    assert len(frames) == n_years(run_dir) == 13
    for f in frames:
        assert f.shape == (860, 800, 3)
        assert f.std() > 10
    assert not np.array_equal(frames[0], frames[-1])


def test_same_run_same_pixels(run_dir, tmp_path):
    for name in ("a.gif", "b.gif"):
        assert invoke("animate", run_dir, "--out", tmp_path / name).exit_code == 0
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()


def test_snapshots_and_sector_colours(run_dir, tmp_path):
    out = tmp_path / "net.gif"
    result = invoke("animate", run_dir, "--out", out, "--snapshots", "--color", "sector")
    assert result.exit_code == 0, result.output
    grid = np.asarray(Image.open(tmp_path / "net_snapshots.png").convert("RGB"))
    assert grid.shape[1] == 1200 and grid.shape[0] > 1000  # 4 panels of 3 inch at 100 dpi
    assert grid.std() > 10
    only = tmp_path / "grid.png"
    assert invoke("animate", run_dir, "--out", only).exit_code == 0
    assert only.is_file() and not (tmp_path / "grid.gif").exists()


def test_positions_fixed_and_seeded(run_dir):
    from restructuring_sim.viz.animate import load_history

    a, b = load_history(run_dir), load_history(run_dir)
    assert a.pos == b.pos
    assert set(a.pos) == set(a.nodes.tolist())


def test_limit_keeps_best_connected_and_says_so(run_dir, tmp_path):
    from restructuring_sim.viz.animate import caption, load_history

    full = load_history(run_dir)
    small = load_history(run_dir, limit=20)
    assert len(small.nodes) == 20 < full.tied_total == small.tied_total
    assert small.sampled and "20 best-connected" in caption(small)
    assert set(small.edges["source"]) | set(small.edges["target"]) <= set(small.nodes.tolist())
    result = invoke("animate", run_dir, "--out", tmp_path / "s.gif", "--limit", "20")
    assert result.exit_code == 0
    assert len(gif_frames(tmp_path / "s.gif")) == 13


def test_bad_inputs_exit_2(run_dir, tmp_path):
    cases = [
        (("animate", tmp_path / "none", "--out", tmp_path / "n.gif"), tmp_path / "none"),
        (("animate", run_dir, "--out", tmp_path / "n.txt"), tmp_path / "n.txt"),
        (("animate", run_dir, "--out", tmp_path / "n.gif", "--color", "hue"), "--color"),
    ]
    partial = tmp_path / "partial"
    shutil.copytree(run_dir, partial)
    (partial / "network_edges.parquet").unlink()
    cases.append((("animate", partial, "--out", tmp_path / "n.gif"),
                  partial / "network_edges.parquet"))
    for args, named in cases:
        result = invoke(*args)
        assert result.exit_code == 2, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and str(named) in lines[0], result.output


def test_mp4_needs_ffmpeg(run_dir, tmp_path):
    out = tmp_path / "network.mp4"
    result = invoke("animate", run_dir, "--out", out)
    if shutil.which("ffmpeg") is None:
        assert result.exit_code == 2 and "ffmpeg" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
        if shutil.which("ffprobe"):
            probe = subprocess.run(
                ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                 "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(out)],
                capture_output=True, text=True, check=True)
            assert int(probe.stdout.strip()) == n_years(run_dir)
