"""Command-line entries of the figures: ``plot``, ``animate``, ``report`` and ``dashboard``.

Each exits with status 2 and one line naming the path on a bad run directory, a missing file
in it, or an output path it cannot write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``plot``, ``animate``, ``report`` and ``dashboard`` to the command-line app."""

    @app.command()
    def plot(
        run_dir: Annotated[Path, typer.Argument(help="Run directory (from `run --out`).")],
        out: Annotated[Path, typer.Option("--out", help="Directory for the figures.")],
        svg: Annotated[bool, typer.Option("--svg", help="Also write SVG beside each "
                                          "PNG.")] = False,
    ) -> None:
        """Figures of a run: annual deals beside the paper's Figure 1, sectors and purposes,
        network metrics, firm sizes (PNG, SVG on request)."""
        from restructuring_sim.viz.plots import write_plots

        written = write_plots(run_dir, out, svg=svg)
        for path in written:
            typer.echo(str(path))

    @app.command()
    def animate(
        run_dir: Annotated[Path, typer.Argument(help="Run directory (from `run --out`).")],
        out: Annotated[Path, typer.Option("--out", help="network.gif, network.mp4 (needs "
                                          "ffmpeg) or network.png (the snapshot grid).")],
        color: Annotated[str, typer.Option("--color", help="Colour nodes by size or "
                                           "sector.")] = "size",
        snapshots: Annotated[bool, typer.Option("--snapshots", help="Also write a grid of "
                                                "yearly panels, <stem>_snapshots.png.")] = False,
        limit: Annotated[int, typer.Option("--limit", help="Most tied firms drawn; beyond it "
                                           "the best-connected are kept.")] = 600,
    ) -> None:
        """The network year by year: one frame per year, fixed positions, edges by layer."""
        from restructuring_sim.viz.animate import write_animation

        written = write_animation(run_dir, out, color_by=color, snapshots=snapshots,
                                  limit=limit, notify=lambda line: typer.echo(line, err=True))
        for path in written:
            typer.echo(str(path))

    @app.command()
    def report(
        run_dir: Annotated[Path, typer.Argument(help="Run directory (from `run --out`).")],
        out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    ) -> None:
        """A self-contained HTML report: scenario, headline numbers, paper, figures."""
        from restructuring_sim.viz.report import write_report

        typer.echo(str(write_report(run_dir, out)))

    @app.command()
    def dashboard(
        scenario: Annotated[Path | None, typer.Argument(help="Scenario TOML file (default: "
                                                        "the embedded baseline).")] = None,
        port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8765,
    ) -> None:
        """Interactive Mesa SolaraViz dashboard on 127.0.0.1: policy sliders, play/step/reset,
        the live network and series."""
        from restructuring_sim.viz.dashboard_server import serve

        raise typer.Exit(serve(scenario, port))
