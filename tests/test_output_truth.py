"""What the outputs say must be true: file modes, the run's firm counts everywhere, early
errors for a bad --out."""

from __future__ import annotations

import html
import os
import stat

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BASELINE, assert_one_line_error, invoke

from restructuring_sim.io import write_text
from restructuring_sim.network import layer_rows


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_text("x\n", tmp_path / "a.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == mode


def test_run_files_are_readable_by_others_under_umask_022(run_dir):
    # the run directory fixture is written under the test process's umask
    mask = os.umask(0o022)
    os.umask(mask)
    for path in run_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path.name


def test_out_pointing_at_a_file_fails_before_the_run(tmp_path):
    target = tmp_path / "afile"
    target.write_text("")
    result = invoke("run", BASELINE, "--out", target, "--set", "simulation.n_firms=100")
    assert_one_line_error(result, "--out", str(target), "not a directory")


def test_report_counts_the_active_firms_of_firms_parquet(run_dir):
    from restructuring_sim.viz.report import headline_section

    events = pq.read_table(run_dir / "events.parquet").to_pandas()
    metrics = pq.read_table(run_dir / "network_metrics.parquet").to_pandas()
    firms = pq.read_table(run_dir / "firms.parquet", columns=["year", "status"]).to_pandas()
    last = int(firms["year"].max())
    active = int((firms[firms["year"] == last]["status"] == "active").sum())
    html = headline_section(events, metrics)
    table = pd.read_html(html)[0] if _has_html_parser() else None
    label = f"active firms, end of {last}"
    if table is not None:
        values = dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
        assert int(str(values[label]).replace(",", "")) == active
    else:
        assert f"<td>{label}</td>" in html
        assert f"{active:,}" in html.split(label, 1)[1].split("</tr>", 1)[0]
    # the network's plotted and tabled counts are the same numbers
    every = layer_rows(metrics, "all")
    assert int(every["nodes"].iloc[-1]) == active


def _has_html_parser() -> bool:
    try:
        import lxml  # noqa: F401
    except ImportError:
        return False
    return True


def test_every_moment_states_its_bound_and_the_outputs_agree(run_dir):
    import tomllib

    from restructuring_sim.paper import compare
    from restructuring_sim.paper.figures import FIGURES_PATH, load_figures
    from restructuring_sim.paper.validate import moments_payload
    from restructuring_sim.viz.report import paper_section

    raw = tomllib.loads(FIGURES_PATH.read_text(encoding="utf-8"))
    assert all(m.get("bound") in ("point", "upper") for m in raw["moment"].values())
    events = pq.read_table(run_dir / "events.parquet").to_pandas()
    firms = pq.read_table(run_dir / "firms.parquet").to_pandas()
    table = compare([events], [firms])
    payload = moments_payload(table)["moments"]
    report = paper_section(table)
    moments = load_figures().moment
    assert {row["bound"] for row in payload} == {"point", "upper"}
    for row in payload:
        m = moments[row["name"]]
        assert row["bound"] == m.bound and row["rule"] == m.rule
        if m.bound == "upper":
            # the bound itself, not a tolerance of 0 or 0.05
            assert row["rule"] == f"<= {m.value + m.tol:.3g}"
        else:
            assert row["rule"].startswith(("+/-", "x/ "))
        assert f'<td class="num">{html.escape(row["rule"])}</td>' in report


def test_layer_colours_are_not_node_colours():
    from restructuring_sim.viz.animate import SECTOR_PALETTE
    from restructuring_sim.viz.common import LAYER_COLORS, SIZE_COLORS

    layers = {c.lower() for c in LAYER_COLORS.values()}
    assert len(layers) == 3
    assert not layers & {c.lower() for c in (*SECTOR_PALETTE, *SIZE_COLORS.values())}


def test_animate_names_its_sampling_on_the_console(run_dir, tmp_path):
    result = invoke("animate", run_dir, "--out", tmp_path / "net.png", "--limit", "20")
    assert result.exit_code == 0, result.stderr
    assert "drawing the 20 best-connected of" in result.stderr and "--limit" in result.stderr
    whole = invoke("animate", run_dir, "--out", tmp_path / "all.png", "--limit", "100000")
    assert whole.exit_code == 0 and "best-connected" not in whole.stderr


def test_absent_event_fields_are_nulls(run_dir):
    import pyarrow.compute as pc

    table = pq.read_table(run_dir / "events.parquet")
    kind = table.column("kind")
    acquisition = pc.equal(kind, "acquisition")
    motivated = pc.or_(acquisition, pc.equal(kind, "alliance_formed"))
    motive = table.column("motive")
    # a motive exactly on acquisitions and alliances, null elsewhere (never an empty string)
    assert pc.all(pc.equal(pc.is_valid(motive), motivated)).as_py()
    assert not pc.any(pc.equal(motive, "")).as_py()
    channel = table.column("channel")
    entered = pc.is_in(kind, pa.array(["firm_entered", "firm_exited"]))
    assert pc.all(pc.equal(pc.is_null(channel), entered)).as_py()
    value = table.column("value")
    assert value.null_count > 0 and not pc.any(pc.is_nan(value)).as_py()
