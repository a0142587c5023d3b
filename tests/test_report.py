"""``restructuring-sim report`` and ``run --report``: one self-contained HTML file whose anchors
resolve and whose images are embedded; one-line errors (exit 2)."""

from __future__ import annotations

import base64
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, slim_copy
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"


class Links(HTMLParser):
    """Collects ids, hrefs and image sources of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.srcs, self.other = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a":
            self.hrefs.append(attrs.get("href", ""))
        if tag == "img":
            self.srcs.append(attrs.get("src", ""))
        if tag in ("link", "script", "iframe"):
            self.other.append(tag)


@pytest.fixture(scope="module")
def reported_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report_run") / "run"
    result = invoke("run", BASELINE, "--seed", 2, "--set", "simulation.n_firms=300",
                    "--out", out, "--report", "--quiet")
    assert result.exit_code == 0, result.output
    return out


def test_run_report_writes_report_html(reported_run):
    page = (reported_run / "report.html").read_text(encoding="utf-8")
    for heading in ("Scenario", "Headline numbers", "Comparison with the paper", "Figures"):
        assert heading in page
    assert "baseline" in page and "trade_openness" in page


def test_report_is_self_contained_and_anchors_resolve(reported_run):
    page = (reported_run / "report.html").read_text(encoding="utf-8")
    parser = Links()
    parser.feed(page)
    assert parser.hrefs, "the report has a table of contents"
    for href in parser.hrefs:
        assert href.startswith("#"), f"external link {href}"
        assert href[1:] in parser.ids, f"anchor {href} does not resolve"
    assert not parser.other
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    assert len(parser.srcs) >= 5
    for src in parser.srcs:
        assert src.startswith("data:image/png;base64,")
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))))
        assert img.std() > 10


def test_report_command_is_deterministic(reported_run, tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    assert invoke("report", reported_run, "--out", a).exit_code == 0
    assert invoke("report", reported_run, "--out", b).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text() == (reported_run / "report.html").read_text()


def test_report_shows_the_paper_comparison(reported_run):
    from restructuring_sim.paper import load_figures

    page = (reported_run / "report.html").read_text(encoding="utf-8")
    for name in load_figures().moment:
        if name in ("matching_conversion",):
            continue
        assert name.replace("_", " ") in page


def test_report_checks_the_papers_statements(reported_run):
    page = (reported_run / "report.html").read_text(encoding="utf-8")
    assert '<section id="statements"><h2>The paper\'s statements</h2>' in page
    for statement in ("services lead manufacturing from about 1995",
                      "large firms are bought mainly for market presence",
                      "SMEs are bought mainly for technology or on succession",
                      "wholesale&#x27;s alliances are for marketing",
                      # the manifest's sectors give the standard and deregulation years
                      "sectors ally less once a standard emerges",
                      "deregulated sectors enter through joint ventures"):
        assert statement in page, statement
    assert re.search(r"\d+ of \d+ statements hold", page)


def test_bad_inputs_exit_2(reported_run, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(reported_run, partial)
    (partial / "manifest.json").unlink()
    for args, named in [
        (("report", tmp_path / "none", "--out", tmp_path / "r.html"), tmp_path / "none"),
        (("report", partial, "--out", tmp_path / "r.html"), partial / "manifest.json"),
        (("report", reported_run, "--out", tmp_path / "r.pdf"), tmp_path / "r.pdf"),
        (("report", reported_run, "--out", tmp_path), tmp_path),
    ]:
        result = invoke(*args)
        assert result.exit_code == 2, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and str(named) in lines[0], result.output


def test_report_reads_only_the_firm_columns_it_uses(reported_run, tmp_path):
    """A census-scale panel holds some 20 million firm-years: the report reads the firm
    columns it uses, and a panel that holds only those gives the same report."""
    from restructuring_sim.viz.report import REPORT_FIRM_COLUMNS

    slim = slim_copy(reported_run, tmp_path / "slim", REPORT_FIRM_COLUMNS)
    full, part = tmp_path / "full.html", tmp_path / "part.html"
    for run_dir, out in ((reported_run, full), (slim, part)):
        result = invoke("report", run_dir, "--out", out)
        assert result.exit_code == 0, result.output
    assert full.read_bytes() == part.read_bytes()
