"""Shared pieces of the figures: reading a run directory, fixed styling, deterministic saving.

Determinism: figures use the DejaVu fonts shipped with matplotlib, a fixed size and dpi, no
``bbox_inches="tight"`` guesswork beyond matplotlib's own deterministic layout, and PNG/SVG
metadata without software version or date, so the same run gives the same bytes.
"""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from restructuring_sim.errors import UserError
from restructuring_sim.io import write_bytes as io_write_bytes

#: resolution of every saved figure (dots per inch)
DPI = 100

#: colours of the size classes, the network layers and the event kinds (colour-blind safe);
#: the layers take dark tones (Tol's indigo, dark green, wine) found neither among the size
#: classes nor in the sector palette of the network drawings, so a legend never shows one colour
#: twice
SIZE_COLORS = {"small": "#56B4E9", "medium": "#E69F00", "large": "#CC79A7"}
LAYER_COLORS = {"alliance": "#332288", "supply": "#117733", "ownership": "#882255"}
KIND_COLORS = {
    "alliance_formed": "#0072B2", "alliance_dissolved": "#56B4E9",
    "supply_contract_signed": "#009E73", "supply_contract_ended": "#8FD1B9",
    "acquisition": "#D55E00", "firm_entered": "#E69F00", "firm_exited": "#999999",
}

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "svg.hashsalt": "restructuring_sim",
    "svg.fonttype": "path",
    "path.simplify": True,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
}

_PNG_METADATA = {"Software": None}
_SVG_METADATA = {"Date": None, "Creator": None}


@contextmanager
def style():
    """Fixed matplotlib settings for every figure of this package."""
    with matplotlib.rc_context(_RC):
        yield


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    path = Path(path)
    io_write_bytes(data, path)
    return path


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """Render a figure to PNG or SVG bytes with fixed dpi and no time stamps."""
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format=fmt, dpi=DPI,
                    metadata=_PNG_METADATA if fmt == "png" else _SVG_METADATA)
    return buf.getvalue()


def save_figure(fig: Figure, path: Path, svg: bool = False) -> list[Path]:
    """Save a figure as ``path`` (PNG), and beside it as SVG when ``svg``; returns the paths."""
    out = [write_bytes(figure_bytes(fig, "png"), path.with_suffix(".png"))]
    if svg:
        out.append(write_bytes(figure_bytes(fig, "svg"), path.with_suffix(".svg")))
    return out


def new_figure(width: float, height: float, *, left: float = 0.7, right: float = 0.2,
               bottom: float = 0.55, top: float = 0.75, wspace: float = 0.25,
               hspace: float = 0.45) -> Figure:
    """A figure of fixed size (inches) with fixed margins (inches; ``wspace``/``hspace`` as
    fractions of an axes).

    Fixed margins instead of a layout engine: the constrained layout measures text, and those
    measures can differ in the last bit from one call to the next in one process, which moves
    lines by a fraction of a pixel; fixed positions give the same pixels every time.
    """
    with style():
        fig = Figure(figsize=(width, height), dpi=DPI)
        fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                            top=1 - top / height, wspace=wspace, hspace=hspace)
        return fig


# ------------------------------------------------------------------------------ run directory


def read_manifest(run_dir: Path) -> dict:
    """The run's ``manifest.json`` (empty when absent)."""
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{path}: not valid JSON") from None


def prepare_out_file(out: str | Path, suffixes: tuple[str, ...]) -> Path:
    """Check an output file path: allowed suffix, not a directory, parent creatable."""
    out = Path(out)
    if out.suffix.lower() not in suffixes:
        raise UserError(f"--out {out}: the file must end in {' or '.join(suffixes)}")
    if out.is_dir():
        raise UserError(f"--out {out}: is a directory; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot create its folder ({exc.strerror})") from None
    return out
