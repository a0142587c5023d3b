"""The documentation site builds with ``mkdocs build --strict`` (no warnings, offline), its
parameter tables cover every scenario field, the model description has a submodel for every
mechanism module, and the README is a short front door whose links lead into the docs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from restructuring_sim import paramdoc

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    # not --quiet: it silences the warnings that --strict counts, so nothing would fail
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_site_builds_every_page(site):
    for page in ("index", "model", "scenarios", "experiments", "outputs", "calibration",
                 "architecture", "api", "development"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "img" / "annual_deals.png").is_file()


def test_model_page_has_every_parameter(site):
    html = (site / "model.html").read_text(encoding="utf-8")
    assert "<!-- parameters" not in html and "<!-- moments" not in html
    missing = [p.key for p in paramdoc.parameters()
               if f"<code>{escape(p.key)}</code>" not in html]
    assert missing == []


def test_model_page_has_a_submodel_per_mechanism():
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (\w+)", text, re.MULTILINE))
    modules = {p.stem for p in (ROOT / "restructuring_sim" / "mechanisms").glob("*.py")
               if p.stem != "__init__"}
    assert modules | {"lifecycle"} <= headings
    for concept in ("emergence", "adaptation", "objectives", "learning", "prediction",
                    "sensing", "interaction", "stochasticity", "collectives", "observation"):
        assert f"**{concept.capitalize()}.**" in text, concept


def test_api_reference_renders_docstrings(site):
    html = (site / "api.html").read_text(encoding="utf-8")
    assert "RestructuringModel" in html and "choose_searchers" in html


def test_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    assert "make demo" in text and "make test" in text
    links = re.findall(r"\]\(((?:docs/)[^)#]+)", text)
    assert any(link.endswith("model.md") for link in links)
    for link in links:
        assert (ROOT / link).exists(), link
