"""``restructuring-sim animate``: the network of a run year by year (GIF, MP4, or a PNG grid).

One frame per simulated year, drawn from ``network_edges.parquet`` (the temporal edge list) and
``firms.parquet`` (size class, sector and status of every firm each year):

* node positions are fixed across frames: one spring layout of the union graph (every tie that
  ever existed), seeded with the run's seed, so a firm stays where it is;
* nodes are coloured by size class (or sector, ``color="sector"``) as at the end of that year and
  sized by their number of live ties; active firms without a live tie are drawn small and faint;
  firms not (or no longer) active are not drawn;
* edges are coloured by layer (alliance, supply, ownership); ties that ended during the year are
  drawn faint and dashed, those that ended the year before fainter still, so they fade out;
* each frame carries the year, the counts of live ties by layer, and a legend.

Above ``limit`` tied firms (default 600) the drawing keeps the ``limit`` firms with the most ties
over the run (ties broken by a permutation seeded with the run's seed) and the ties among them,
and the caption says so: a hairball of thousands of nodes shows nothing.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from restructuring_sim.errors import UserError
from restructuring_sim.rundir import check_run_dir, read_table
from restructuring_sim.viz.common import (
    DPI,
    LAYER_COLORS,
    SIZE_COLORS,
    read_manifest,
    style,
    write_bytes,
)

#: files ``animate`` reads (``manifest.json`` is used when present: seed, calendar)
ANIMATE_FILES = ("network_edges.parquet", "firms.parquet")
#: most tied firms drawn before the drawing keeps only the best-connected ones
DEFAULT_LIMIT = 600
#: seconds each yearly frame is shown
FRAME_SECONDS = 1.0
#: frame size in inches (at :data:`~restructuring_sim.viz.common.DPI`)
FRAME_SIZE = (8.0, 8.6)
SECTOR_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
                  "#F0E442", "#999999", "#000000", "#8C564B", "#7F7F7F", "#BCBD22")


@dataclass
class NetworkHistory:
    """What the frames need: ties, firm states per year, calendar, seed and the fixed layout."""

    edges: pd.DataFrame  # edge_id, layer, source, target, start_step, end_step (-1 = live)
    firms: pd.DataFrame  # firm_id, year, size_class, sector, status
    years: list[int]
    start_year: int
    steps_per_year: int
    seed: int
    nodes: np.ndarray  # firm ids drawn (sorted)
    pos: dict[int, tuple[float, float]]
    tied_total: int  # firms with a tie at some point in the run
    color_by: str
    categories: list[str]

    def last_step(self, year: int) -> int:
        """The last step of ``year``."""
        return (year - self.start_year + 1) * self.steps_per_year - 1

    @property
    def sampled(self) -> bool:
        """Whether only part of the tied firms is drawn."""
        return len(self.nodes) < self.tied_total


def load_history(run_dir: str | Path, color_by: str = "size",
                 limit: int = DEFAULT_LIMIT) -> NetworkHistory:
    """Read a run directory and lay out its network once (positions shared by every frame)."""
    if color_by not in ("size", "sector"):
        raise UserError(f"--color {color_by}: allowed: size, sector")
    if limit < 2:
        raise UserError(f"--limit {limit}: must be >= 2")
    run_dir = check_run_dir(run_dir, ANIMATE_FILES)
    manifest = read_manifest(run_dir)
    sim = manifest.get("scenario", {}).get("simulation", {})
    edges = read_table(run_dir, "network_edges.parquet")
    firms = read_table(run_dir, "firms.parquet", ("firm_id", "year", "size_class", "sector",
                                                   "status"))
    missing = {"source", "target", "layer", "start_step", "end_step"} - set(edges.columns)
    if missing:
        raise UserError(f"{Path(run_dir) / 'network_edges.parquet'}: lacks columns "
                        f"{', '.join(sorted(missing))}")
    if firms.empty or "year" not in firms:
        raise UserError(f"{Path(run_dir) / 'firms.parquet'}: no firm-years to draw")
    edges = edges.copy()
    edges["end_step"] = edges["end_step"].fillna(-1).astype(np.int64)
    edges["start_step"] = edges["start_step"].astype(np.int64)
    years = sorted(int(y) for y in firms["year"].unique())
    start_year = int(sim.get("start_year", years[0]))
    steps_per_year = int(sim.get("steps_per_year", 4))
    seed = int(manifest.get("seed", sim.get("seed", 0)))

    union = nx.Graph()
    union.add_edges_from(zip(edges["source"].astype(int), edges["target"].astype(int),
                             strict=True))
    degree = pd.Series(np.ones(len(edges) * 2, dtype=np.int64),
                       index=np.r_[edges["source"].to_numpy(), edges["target"].to_numpy()])
    degree = degree.groupby(level=0).sum()
    tied_total = len(degree)
    if tied_total > limit:
        order = np.random.default_rng(seed).permutation(tied_total)
        ranked = pd.DataFrame({"degree": degree.to_numpy(), "tie": order}, index=degree.index)
        ranked = ranked.sort_values(["degree", "tie"], ascending=[False, True])
        nodes = np.sort(ranked.index.to_numpy()[:limit])
    else:
        nodes = np.sort(degree.index.to_numpy())
    keep = set(nodes.tolist())
    sub = nx.Graph()
    sub.add_nodes_from(sorted(keep))
    sub.add_edges_from((u, v) for u, v in union.edges() if u in keep and v in keep)
    k = 1.6 / math.sqrt(max(len(keep), 1))
    pos = nx.spring_layout(sub, seed=seed, k=k, iterations=60) if len(keep) else {}
    pos = _squash({int(n): (float(p[0]), float(p[1])) for n, p in pos.items()})
    edges = edges.loc[edges["source"].isin(keep) & edges["target"].isin(keep)]
    column = "size_class" if color_by == "size" else "sector"
    cols = ["firm_id", "year", column] + (["status"] if "status" in firms else [])
    categories = (["small", "medium", "large"] if color_by == "size"
                  else sorted(firms["sector"].unique()))
    firms = firms.loc[firms["firm_id"].isin(keep), cols]
    return NetworkHistory(edges=edges.reset_index(drop=True), firms=firms, years=years,
                          start_year=start_year, steps_per_year=steps_per_year, seed=seed,
                          nodes=nodes, pos=pos, tied_total=tied_total, color_by=color_by,
                          categories=list(categories))


def _squash(pos: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """Pull outlying nodes in: a spring layout pushes small components far out, which would
    shrink the main component to a speck. Radii beyond the 95th percentile are compressed into a
    thin rim (order kept)."""
    if len(pos) < 3:
        return pos
    ids = list(pos)
    xy = np.array([pos[i] for i in ids])
    center = np.median(xy, axis=0)
    d = xy - center
    r = np.hypot(d[:, 0], d[:, 1])
    r95 = float(np.percentile(r, 95)) or 1.0
    rn = r / r95
    squashed = np.where(rn <= 1.0, rn, 1.0 + 0.12 * (1.0 - np.exp(-(rn - 1.0))))
    scale = np.divide(squashed, rn, out=np.ones_like(rn), where=rn > 0)
    xy = d * scale[:, None]
    return {i: (float(x), float(y)) for i, (x, y) in zip(ids, xy, strict=True)}


def _colors(history: NetworkHistory) -> dict[str, str]:
    if history.color_by == "size":
        return dict(SIZE_COLORS)
    return {c: SECTOR_PALETTE[i % len(SECTOR_PALETTE)] for i, c in enumerate(history.categories)}


def _segments(history: NetworkHistory, frame: pd.DataFrame) -> np.ndarray:
    pos = history.pos
    return np.array([[pos[int(s)], pos[int(t)]]
                     for s, t in zip(frame["source"], frame["target"], strict=True)])


def draw_year(ax, history: NetworkHistory, year: int, scale: float = 1.0) -> dict[str, int]:
    """Draw the network at the end of ``year`` on ``ax``; returns live ties per layer."""
    e = history.edges
    last = history.last_step(year)
    first = last - history.steps_per_year + 1
    live = e.loc[(e["start_step"] <= last) & ((e["end_step"] < 0) | (e["end_step"] > last))]
    ended = e.loc[(e["end_step"] >= first) & (e["end_step"] <= last)]
    faded = e.loc[(e["end_step"] >= first - history.steps_per_year) & (e["end_step"] < first)]
    width = 0.9 * scale if len(history.nodes) <= 200 else 0.55 * scale
    for frame, alpha, style_ in ((faded, 0.10, "--"), (ended, 0.30, "--"), (live, 0.75, "-")):
        for layer, color in LAYER_COLORS.items():
            part = frame.loc[frame["layer"] == layer]
            if len(part):
                ax.add_collection(LineCollection(_segments(history, part), colors=color,
                                                 linewidths=width, alpha=alpha,
                                                 linestyles=style_, zorder=1))
    column = "size_class" if history.color_by == "size" else "sector"
    state = history.firms.loc[history.firms["year"] == year].set_index("firm_id")
    if "status" in state:
        state = state.loc[state["status"] == "active"]
    shown = set(state.index.astype(int)) | set(live["source"].astype(int)) | set(
        live["target"].astype(int))
    known = history.firms.drop_duplicates("firm_id", keep="last").set_index("firm_id")[column]
    nodes = [n for n in history.nodes.tolist() if n in shown]
    degree = pd.Series(np.r_[live["source"].to_numpy(), live["target"].to_numpy()])
    degree = degree.value_counts().reindex(nodes, fill_value=0).to_numpy()
    colors = _colors(history)
    cats = [state[column].get(n, known.get(n, "")) if column in state else known.get(n, "")
            for n in nodes]
    xy = np.array([history.pos[n] for n in nodes]).reshape(-1, 2)
    tied = degree > 0
    fill = [colors.get(c, "#777777") for c in cats]
    size = (4.0 + 9.0 * np.power(degree, 0.85)) * scale
    if (~tied).any():
        ax.scatter(xy[~tied, 0], xy[~tied, 1], s=2.5 * scale,
                   c=[f for f, t in zip(fill, tied, strict=True) if not t], alpha=0.35,
                   linewidths=0, zorder=2)
    if tied.any():
        ax.scatter(xy[tied, 0], xy[tied, 1], s=size[tied],
                   c=[f for f, t in zip(fill, tied, strict=True) if t],
                   edgecolors="white", linewidths=0.3 * scale, zorder=3)
    xs = np.array([p[0] for p in history.pos.values()] or [0.0])
    ys = np.array([p[1] for p in history.pos.values()] or [0.0])
    pad = 0.05 * max(float(np.ptp(xs)), float(np.ptp(ys)), 1e-3)
    ax.set_xlim(xs.min() - pad, xs.max() + pad)
    ax.set_ylim(ys.min() - pad, ys.max() + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return {layer: int((live["layer"] == layer).sum()) for layer in LAYER_COLORS}


def _legend_handles(history: NetworkHistory) -> list:
    colors = _colors(history)
    handles = [Line2D([], [], color=c, lw=2, label=f"{layer} tie")
               for layer, c in LAYER_COLORS.items()]
    handles.append(Line2D([], [], color="#555555", lw=1.2, ls="--", alpha=0.5,
                          label="tie ended (fading)"))
    for cat in history.categories:
        handles.append(Line2D([], [], marker="o", ls="", color=colors[cat], ms=7,
                              label=cat.replace("_", " ")))
    return handles


def caption(history: NetworkHistory) -> str:
    """The note under every frame: what is drawn and, if so, that it is a subset."""
    by = "size class" if history.color_by == "size" else "sector"
    text = f"nodes: firms coloured by {by}, sized by live ties; faint dots: active firms untied"
    if history.sampled:
        text += (f"\nshowing the {len(history.nodes):,} best-connected of "
                 f"{history.tied_total:,} tied firms, and the ties among them")
    else:
        text += f"\nall {history.tied_total:,} firms that had a tie during the run"
    return text


def frame_figure(history: NetworkHistory, year: int) -> Figure:
    """One animation frame: the network at the end of ``year`` with caption and legend."""
    with style():
        fig = Figure(figsize=FRAME_SIZE, dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.02, 0.17, 0.96, 0.74))
        counts = draw_year(ax, history, year)
        fig.text(0.03, 0.965, str(year), fontsize=22, fontweight="bold", va="top")
        shown = "live ties shown: " if history.sampled else "live ties: "
        fig.text(0.97, 0.955, shown + ", ".join(f"{k} {v}" for k, v in counts.items()),
                 fontsize=9, ha="right", va="top")
        fig.legend(handles=_legend_handles(history), loc="lower center", ncol=4, fontsize=8,
                   frameon=False, bbox_to_anchor=(0.5, 0.045))
        fig.text(0.5, 0.008, caption(history), fontsize=7.5, ha="center", va="bottom",
                 color="#333333")
    return fig


def render(fig: Figure) -> np.ndarray:
    """Rasterise a figure to an RGB array (Agg)."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    with style():
        canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def frames(history: NetworkHistory) -> list[np.ndarray]:
    """Every yearly frame as an RGB array."""
    return [render(frame_figure(history, year)) for year in history.years]


def gif_bytes(images: list[np.ndarray], seconds: float = FRAME_SECONDS) -> bytes:
    """Encode frames as a looping GIF (one palette per frame, median cut: deterministic)."""
    from PIL import Image

    pics = [Image.fromarray(a).quantize(colors=255, method=Image.Quantize.MEDIANCUT,
                                        dither=Image.Dither.NONE) for a in images]
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:],
                 duration=int(seconds * 1000), loop=0, optimize=False, disposal=1)
    return buf.getvalue()


def mp4_bytes(images: list[np.ndarray], seconds: float = FRAME_SECONDS) -> bytes:
    """Encode frames as H.264 MP4 with the ffmpeg program (one frame per ``seconds``)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise UserError("--out *.mp4: ffmpeg not found on PATH; install it or write a .gif")
    h, w = images[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mp4"
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
               "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{1 / seconds:g}", "-i", "-",
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
               "-map_metadata", "-1", str(out)]
        proc = subprocess.run(cmd, input=b"".join(a.tobytes() for a in images),
                              capture_output=True, check=False)
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise UserError(f"--out *.mp4: ffmpeg failed ({detail[0]})")
        return out.read_bytes()


def snapshots_figure(history: NetworkHistory, ncols: int = 4) -> Figure:
    """A grid of yearly panels (one per year), one shared legend and caption."""
    n = len(history.years)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    panel = 3.0
    with style():
        fig = Figure(figsize=(panel * ncols, panel * nrows + 1.2), dpi=DPI)
        FigureCanvasAgg(fig)
        bottom = 1.2 / (panel * nrows + 1.2)
        top = 1 - 0.3 / (panel * nrows + 1.2)
        grid = fig.add_gridspec(nrows, ncols, left=0.01, right=0.99, top=top, bottom=bottom,
                                wspace=0.04, hspace=0.12)
        for i, year in enumerate(history.years):
            ax = fig.add_subplot(grid[i // ncols, i % ncols])
            counts = draw_year(ax, history, year, scale=0.45)
            what = "live ties shown" if history.sampled else "live ties"
            ax.set_title(f"{year}: {sum(counts.values())} {what}", fontsize=9, pad=2)
        fig.legend(handles=_legend_handles(history), loc="lower center", ncol=5, fontsize=8,
                   frameon=False, bbox_to_anchor=(0.5, 0.35 * bottom))
        fig.text(0.5, 0.02 * bottom, caption(history), fontsize=7.5, ha="center",
                 va="bottom", color="#333333")
    return fig


def sampling_note(history: NetworkHistory) -> str | None:
    """A line saying which firms the drawing keeps, when it keeps only some."""
    if not history.sampled:
        return None
    return (f"drawing the {len(history.nodes):,} best-connected of {history.tied_total:,} firms "
            "with ties (--limit sets how many)")


def write_animation(run_dir: str | Path, out: str | Path, color_by: str = "size",
                    snapshots: bool = False, limit: int = DEFAULT_LIMIT,
                    notify=None) -> list[Path]:
    """Write the animation (``.gif`` or ``.mp4``) or, for a ``.png`` ``out``, the snapshot grid;
    with ``snapshots`` also ``<stem>_snapshots.png`` beside the animation. Returns the files.
    ``notify(line)``, when given, is told when only the best-connected firms are drawn."""
    from restructuring_sim.viz.common import figure_bytes, prepare_out_file

    out = prepare_out_file(out, (".gif", ".mp4", ".png"))
    suffix = out.suffix.lower()
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise UserError(f"--out {out}: ffmpeg not found on PATH; install it or write a .gif")
    history = load_history(run_dir, color_by, limit)
    note = sampling_note(history)
    if notify is not None and note:
        notify(note)
    written = []
    if suffix == ".png":
        return [write_bytes(figure_bytes(snapshots_figure(history)), out)]
    images = frames(history)
    data = gif_bytes(images) if suffix == ".gif" else mp4_bytes(images)
    written.append(write_bytes(data, out))
    if snapshots:
        grid = out.with_name(f"{out.stem}_snapshots.png")
        written.append(write_bytes(figure_bytes(snapshots_figure(history)), grid))
    return written
