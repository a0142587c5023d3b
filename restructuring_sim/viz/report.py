"""``restructuring-sim report`` (and ``run --report``): one self-contained HTML file per run.

The report holds the scenario as run, the headline numbers, the comparison with the paper
(:func:`restructuring_sim.paper.compare` on this one run; ``validate`` gives intervals over
replicates), the paper's statements about the decade checked on the run
(:mod:`restructuring_sim.paper.shape`) and every figure of ``plot`` plus the yearly network
snapshots, embedded as base64 PNG. It links to nothing outside itself (only ``#`` anchors to
its own sections), so it can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from restructuring_sim.errors import UserError
from restructuring_sim.io import write_text
from restructuring_sim.paper.moments import FIRM_COLUMNS
from restructuring_sim.rundir import check_run_dir, manifest_section, read_table
from restructuring_sim.viz.common import (
    figure_bytes,
    prepare_out_file,
    read_manifest,
)
from restructuring_sim.viz.plots import (
    PLOT_FILES,
    annual_figure,
    network_figure,
    run_title,
    sectors_figure,
    sizes_figure,
)

#: files ``report`` reads
REPORT_FILES = (*PLOT_FILES, "network_edges.parquet", "manifest.json")

SECTIONS = (("scenario", "Scenario"), ("headline", "Headline numbers"),
            ("paper", "Comparison with the paper"),
            ("statements", "The paper's statements"), ("figures", "Figures"),
            ("network", "The network year by year"))

CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 2em auto; max-width: 1320px;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fdecea; } tr.pass td { background: #eaf7ee; }
figure { margin: 1em 0 2em; } figcaption { font-size: .9em; color: #555; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
nav ul { columns: 2; } .note { color: #555; font-size: .9em; }
"""


#: the firm panel's columns the report reads: the paper's firm moments, sectors and sizes
REPORT_FIRM_COLUMNS = (*FIRM_COLUMNS, "sector", "employees")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _num(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


def _value(value) -> str:
    """A scenario value: a time path as ``year: value`` pairs, numbers compactly."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_num(v) if isinstance(v, float) else v}"
                         for k, v in value.items())
    if isinstance(value, float):
        return _num(value, 4)
    return str(value)


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None,
           numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        cells = "".join(f'<td class="num">{_e(c)}</td>' if j in numeric else f"<td>{_e(c)}</td>"
                        for j, c in enumerate(row))
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def _img(png: bytes, alt: str, caption: str, anchor: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure id="{anchor}"><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def scenario_section(manifest: dict) -> str:
    """The scenario as run: identity of the run, simulation settings, policy levers."""
    sc = manifest.get("scenario", {})
    sim = sc.get("simulation", {})
    rows = [
        ["scenario", sc.get("name", "?")], ["description", sc.get("description", "")],
        ["seed", manifest.get("seed", "?")], ["run id", manifest.get("run_id", "?")],
        ["years", f"{sim.get('start_year', '?')}-{sim.get('end_year', '?')}, "
                  f"{sim.get('steps_per_year', '?')} steps per year"],
        ["firms at the start", _num(sim.get("n_firms"))],
        ["package version", manifest.get("package_version", "?")],
        ["git commit", manifest.get("git_commit") or "n/a"],
        ["config hash", str(manifest.get("config_hash", "?"))[:16]],
        ["wall time (s)", _num(manifest.get("wall_time_s"))],
    ]
    levers = []
    for key, value in sc.get("policy", {}).items():
        if isinstance(value, dict) and not all(k.lstrip("-").isdigit() for k in value):
            levers += [[f"policy.{key}.{k}", _value(v)] for k, v in value.items()]
        else:
            levers.append([f"policy.{key}", _value(value)])
    levers += [[f"drivers.{k}", _value(v)] for k, v in sc.get("drivers", {}).items()]
    return (_table(["setting", "value"], [[str(a), str(b)] for a, b in rows])
            + "<h3>Policy levers and drivers</h3>"
            + '<p class="note">A time path is given as year: value pairs, linear in between.</p>'
            + _table(["lever", "value"], levers))


def headline_section(events: pd.DataFrame, metrics: pd.DataFrame) -> str:
    """Events by kind, alliance shares, and the network at the end of the run."""
    from restructuring_sim.runner import summarise

    s = summarise(events)
    rows = [[f"events: {k.replace('_', ' ')}", _num(v)] for k, v in s["by_kind"].items()]
    rows += [
        ["alliances involving SMEs (share of alliances formed)", _num(s["sme_share"])],
        ["cross-border alliances (share of alliances formed)", _num(s["cross_border_share"])],
        ["cross-border alliances involving SMEs", _num(s["cross_border_sme_alliances"])],
    ]
    from restructuring_sim.network import layer_rows

    every = layer_rows(metrics, "all")
    if len(every):
        last = every.iloc[-1]
        year = int(last["year"])
        rows += [
            [f"active firms, end of {year}", _num(int(last["nodes"]))],
            [f"active firms with a live tie, end of {year}", _num(int(last["tied_nodes"]))],
        ]
        if "subsidiaries" in last:
            rows.append([f"acquired firms held as subsidiaries (ownership ties), end of {year}",
                         _num(int(last["subsidiaries"]))])
        rows += [
            [f"live ties, end of {year}", _num(int(last["edges"]))],
            [f"giant component (share of tied firms, subsidiaries included), {year}",
             _num(float(last["giant_component_share"]))],
        ]
        alliances = layer_rows(metrics, "alliance") if "layer" in metrics else every.iloc[:0]
        if len(alliances):
            a = alliances.iloc[-1]
            rows += [
                [f"alliance network: clustering / same-density random graph, {year}",
                 _num(float(a["clustering_ratio"])) if pd.notna(a["clustering_ratio"])
                 else "n/a"],
                [f"alliance network: mean path length in its largest component, {year}",
                 _num(float(a["mean_path_length"])) if pd.notna(a["mean_path_length"])
                 else "n/a"],
            ]
    return _table(["measure", "value"], rows, numeric={1})


def paper_table(events: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame | None:
    """The comparison of this run with the paper, or None without the comparison module."""
    try:
        from restructuring_sim.paper import compare
    except ImportError:
        return None
    return compare([events], [firms])


def paper_section(table: pd.DataFrame | None) -> str:
    """The moments table: paper, model, tolerance, pass."""
    if table is None:
        return '<p class="note">The comparison module (restructuring_sim.paper) is absent.</p>'
    rows, classes = [], []
    for r in table.to_dict(orient="records"):
        rows.append([r["name"].replace("_", " "), _num(float(r["paper"])),
                     _num(float(r["model_mean"])), str(r["rule"]),
                     "pass" if r["pass"] else "fail"])
        classes.append("pass" if r["pass"] else "fail")
    passed = int(table["pass"].sum())
    note = (f"<p>{passed} of {len(table)} moments within tolerance. One run only: a moment's "
            "interval over replicates comes from <code>restructuring-sim validate</code>. Shares "
            "pass within the tolerance in absolute terms, ratios within a fraction of the "
            "paper's value (+/-); a bound moment (&lt;=) passes at or below its bound.</p>")
    return note + _table(["moment", "paper", "model", "tolerance", "verdict"], rows, classes,
                         numeric={1, 2, 3})


def statements_table(events: pd.DataFrame,
                     sector_profiles: dict | None = None) -> pd.DataFrame | None:
    """The paper's statements about the decade (:func:`restructuring_sim.paper.shape.check`)
    on this run, or None without the comparison module; ``sector_profiles``, the scenario's
    ``sectors`` section, adds the statements on standards and deregulation."""
    try:
        from restructuring_sim.paper import sectors, shape, trends
        from restructuring_sim.paper.figures import load_figures
    except ImportError:
        return None
    decade = load_figures().years("decade")
    shown = trends.reported(events)
    tallies = shape.tallies(shown, decade, shape.milestones(sector_profiles))
    return shape.check([shape.yearly(shown, decade)], [tallies],
                       sectors.sector_table([sectors.sector_counts(events, decade)]))


def statements_section(table: pd.DataFrame | None) -> str:
    """The statements table: statement, model, rule, verdict."""
    if table is None:
        return '<p class="note">The comparison module (restructuring_sim.paper) is absent.</p>'
    rows = [[r["statement"], _num(float(r["model"])), str(r["rule"]),
             "pass" if r["pass"] else "fail"] for r in table.to_dict(orient="records")]
    classes = ["pass" if r["pass"] else "fail" for r in table.to_dict(orient="records")]
    note = (f"<p>{int(table['pass'].sum())} of {len(table)} statements hold. None is fitted: "
            "they test the mechanisms (docs/model.md). One run's few deals decide some of them; "
            "<code>restructuring-sim validate</code> pools replicates.</p>")
    return note + _table(["statement", "model", "holds at", "verdict"], rows, classes,
                         numeric={1})


def build_report(run_dir: str | Path) -> str:
    """The report of a run directory as one HTML string."""
    from restructuring_sim.viz.animate import load_history, snapshots_figure

    run_dir = check_run_dir(run_dir, REPORT_FILES)
    manifest = read_manifest(run_dir)
    events = read_table(run_dir, "events.parquet")
    firms = read_table(run_dir, "firms.parquet", REPORT_FIRM_COLUMNS)
    metrics = read_table(run_dir, "network_metrics.parquet")
    title = run_title(run_dir, manifest)
    figures = [
        ("fig-annual", annual_figure(events, firms, title),
         "Cross-border alliances involving SMEs per year beside the paper's Figure 1 (paper's "
         "points scaled to the run's 1990-2000 total); events per year by kind; deal "
         "participations by size class."),
        ("fig-sectors", sectors_figure(events, firms, title),
         "Deals by sector and kind; alliances by purpose in each half of the run."),
        ("fig-network", network_figure(metrics, title), "Network metrics per year."),
        ("fig-sizes", sizes_figure(firms, title),
         "Firm size (employees) among active firms at the start and the end."),
    ]
    history = load_history(run_dir)
    from restructuring_sim.viz.animate import caption

    body = [f"<h1>Run report: {_e(title)}</h1>",
            f'<p class="note">Run directory: {_e(Path(run_dir).name)}</p>',
            "<nav><h2>Contents</h2><ul>"
            + "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t in SECTIONS)
            + "".join(f'<li><a href="#{a}">Figure: {_e(a[4:])}</a></li>' for a, _, _ in figures)
            + "</ul></nav>",
            f'<section id="scenario"><h2>Scenario</h2>{scenario_section(manifest)}</section>',
            f'<section id="headline"><h2>Headline numbers</h2>'
            f"{headline_section(events, metrics)}</section>",
            f'<section id="paper"><h2>Comparison with the paper</h2>'
            f"{paper_section(paper_table(events, firms))}</section>",
            f'<section id="statements"><h2>The paper\'s statements</h2>'
            f"{statements_section(statements_table(events, manifest_section(manifest, 'sectors')))}"
            "</section>",
            '<section id="figures"><h2>Figures</h2>'
            + "".join(_img(figure_bytes(fig), anchor[4:], cap, anchor)
                      for anchor, fig, cap in figures) + "</section>",
            '<section id="network"><h2>The network year by year</h2>'
            + _img(figure_bytes(snapshots_figure(history)), "network snapshots",
                   caption(history).replace("\n", "; "), "fig-snapshots")
            + "</section>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write_report(run_dir: str | Path, out: str | Path) -> Path:
    """Write the HTML report of ``run_dir`` to ``out`` (atomically); returns the path."""
    out = prepare_out_file(out, (".html", ".htm"))
    text = build_report(run_dir)
    try:
        write_text(text, out)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write ({exc.strerror})") from None
    return out
