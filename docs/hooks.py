"""mkdocs hook: put tables generated from the code into the pages, so they cannot drift.

A page says where a table goes with an HTML comment on a line of its own:

* ``<!-- parameters SECTION -->``: the scenario section's fields (key, meaning, unit, default,
  range, source), from :func:`restructuring_sim.paramdoc.section_table`;
* ``<!-- profiles sectors -->`` / ``<!-- profiles countries -->``: the embedded baseline's
  sector or country profiles;
* ``<!-- moments -->``: the paper's moments with their values and tolerances
  (``restructuring_sim/paper/figures.toml``).

An unknown section or table name fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^<!-- (parameters|profiles|moments)\s*([\w.]*) -->$", re.MULTILINE)


def _moments() -> str:
    from restructuring_sim.paper.figures import load_figures

    lines = ["| moment | paper | tolerance | period | source | what it measures |",
             "|---|---|---|---|---|---|"]
    for m in load_figures().moment.values():
        note = (m.note or "").replace("|", "\\|")
        lines.append(f"| `{m.name}` | {m.value:g} | {m.rule} | {m.period} | {m.source} | {note} |")
    return "\n".join(lines)


def _render(kind: str, arg: str) -> str:
    from restructuring_sim import paramdoc

    if kind == "parameters":
        return paramdoc.section_table(arg, ROOT)
    if kind == "profiles":
        if arg not in ("sectors", "countries"):
            raise KeyError(f"<!-- profiles {arg} -->: give sectors or countries")
        return paramdoc.profiles_table(arg)
    return _moments()


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace every table marker of a page by its generated table."""
    return MARK.sub(lambda m: _render(m.group(1), m.group(2)), markdown)
