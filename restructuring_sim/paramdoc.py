"""Parameter tables of the documentation, generated from the scenario schema.

Every field of :class:`~restructuring_sim.scenario.Scenario` documents itself in its pydantic
``Field``, by one convention::

    Field(default, ge=..., le=..., description="meaning (unit)",
          json_schema_extra={"source": "citation, or 'judgement: why'"})

* **meaning**: the description up to its last parenthesis (a leading ``path:`` says the value may
  be a time path; the type says so too);
* **unit**: the text in parentheses at the very end of the description; dimensionless numbers say
  what they are: ``(share)``, ``(index)``, ``(count)``, ``(1)``. Flags, choices and text need
  none;
* **range**: ``ge``/``gt``/``le``/``lt``, or the bounds of a :func:`~restructuring_sim.timepath.
  bounded_path` type; a choice's range is its allowed values. A range checked by a validator
  instead may be stated as ``json_schema_extra={"range": "..."}``;
* **source** (optional): ``json_schema_extra={"source": ...}``. A field fitted by a calibration
  spec in ``experiments/calibration/`` is marked as calibrated there; otherwise the table says
  that no source is recorded.

:func:`parameters` lists every field, :func:`problems` the ones that break the convention (the
test suite fails on any), and :func:`section_table` renders a section as a Markdown table; the
documentation's build hook (``docs/hooks.py``) puts those tables into the pages wherever they
say ``{{ parameters SECTION }}``.
"""

from __future__ import annotations

import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from restructuring_sim.scenario import Scenario
from restructuring_sim.timepath import PathBounds, TimePath

#: a unit in parentheses at the very end of a description
_UNIT = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$")
#: sections of a scenario, in the order of the documentation
#: longest unit text: a longer last parenthesis is a remark, not a unit
MAX_UNIT = 30
SECTIONS = ("scenario", "simulation", "population", "sectors", "countries", "drivers", "policy",
            "behaviour", "supply", "acquisitions", "demography", "exports", "shocks", "observer",
            "market", "knowledge")


@dataclass(frozen=True)
class Param:
    """One documented scenario field."""

    key: str  #: dotted scenario key (``<name>`` for a sector's or a country's own key)
    section: str  #: first part of the key
    kind: str  #: number, integer, path (a number or a time path), flag, choice, list, text, table
    meaning: str
    unit: str  #: "" where none applies (flags, choices, text)
    default: str  #: formatted; "required" if the field has none
    range: str  #: formatted; "" if the field states none
    source: str  #: "" if none recorded

    @property
    def needs_unit(self) -> bool:
        """Numbers need a unit; flags, choices and text do not."""
        return self.kind in ("number", "integer", "path", "table")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return f"{value:,.6g}" if abs(value) >= 1e4 else f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1e4 else str(value)
    if value is None:
        return "none"
    if isinstance(value, TimePath):
        return _fmt_path(value)
    if isinstance(value, dict):
        if value and all(_is_year(k) for k in value):
            return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}" if value else "{}"
    if isinstance(value, list | tuple):
        return ", ".join(v if isinstance(v, str) else _fmt(v) for v in value)
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _is_year(key: Any) -> bool:
    try:
        float(key)
    except (TypeError, ValueError):
        return False
    return True


def _fmt_path(path: TimePath) -> str:
    data = path.to_dict() if hasattr(path, "to_dict") else None
    if data is None:
        from restructuring_sim.timepath import _dump_path

        data = _dump_path(path)
    if isinstance(data, dict):
        if len(data) == 1:
            return _fmt(next(iter(data.values())))
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in data.items()) + "}"
    return _fmt(data)


def _bounds(metadata: list[Any]) -> str:
    low = high = None
    for m in metadata:
        if isinstance(m, at.Ge):
            low = f">= {_fmt(m.ge)}"
        elif isinstance(m, at.Gt):
            low = f"> {_fmt(m.gt)}"
        elif isinstance(m, at.Le):
            high = f"<= {_fmt(m.le)}"
        elif isinstance(m, at.Lt):
            high = f"< {_fmt(m.lt)}"
        elif isinstance(m, PathBounds):
            if m.low is not None:
                low = "> 0" if 0 < m.low < 1e-6 else f">= {_fmt(m.low)}"
            if m.high is not None:
                high = f"<= {_fmt(m.high)}"
    if low and high:
        lo = low.split(" ", 1)[1]
        hi = high.split(" ", 1)[1]
        if low.startswith(">=") and high.startswith("<="):
            return f"{lo} to {hi}"
        return f"{low}, {high}"
    return low or high or ""


def _kind_and_choices(annotation: Any) -> tuple[str, str, bool]:
    """(kind, choices as a range text or "", optional) of a field's annotation."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
        origin = typing.get_origin(annotation)
    if annotation is TimePath:
        return "path", "", optional
    if annotation is bool:
        return "flag", "true, false", optional
    if origin is Literal:
        return "choice", ", ".join(str(a) for a in typing.get_args(annotation)), optional
    if origin is list:
        (item,) = typing.get_args(annotation)
        if typing.get_origin(item) is Literal:
            return "list", "any of " + ", ".join(str(a) for a in typing.get_args(item)), optional
        return "list", "", optional
    if origin is dict:
        return "table", "", optional
    if annotation is int:
        return "integer", "", optional
    if annotation is float:
        return "number", "", optional
    if annotation is str:
        return "text", "any text", optional
    return "other", "", optional


def _split(description: str | None) -> tuple[str, str]:
    """(meaning, unit) of a description written as ``meaning (unit)``."""
    text = (description or "").strip()
    if text.startswith("path:"):
        text = text[len("path:"):].strip()
    match = _UNIT.search(text)
    if not match:
        return text, ""
    meaning = text[:match.start()].strip().rstrip(",;:")
    return meaning, match.group(1).strip()


def _calibrated(root: Path | None) -> dict[str, str]:
    """Scenario keys fitted by the calibration specs under ``root/experiments/calibration``."""
    if root is None:
        return {}
    found: dict[str, str] = {}
    for spec in sorted((root / "experiments" / "calibration").glob("*.toml")):
        data = tomllib.loads(spec.read_text(encoding="utf-8"))
        for key, prior in (data.get("parameters") or {}).items():
            where = f"experiments/calibration/{data.get('name', spec.stem)}/"
            found[key] = (f"calibrated: {where} (uniform prior {_fmt(prior.get('low'))} to "
                          f"{_fmt(prior.get('high'))})")
    return found


def _walk(model: type[BaseModel], prefix: str, defaults: Any, calibrated: dict[str, str],
          out: list[Param]) -> None:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = args[0] if len(args) == 1 else annotation
        value = getattr(defaults, name, None) if defaults is not None else None
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            _walk(inner, f"{key}.", value if value is not None else None, calibrated, out)
            continue
        if typing.get_origin(inner) is dict:
            item = typing.get_args(inner)[1]
            if isinstance(item, type) and issubclass(item, BaseModel):
                _walk(item, f"{key}.<name>.", None, calibrated, out)
                continue
        kind, choices, optional = _kind_and_choices(annotation)
        meaning, unit = _split(field.description)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        bounds = _bounds(field.metadata) or choices or str(extra.get("range", ""))
        if bounds and optional:
            bounds += ", or none"
        if defaults is not None:
            default = _fmt(value)
        elif field.default is not PydanticUndefined:
            default = _fmt(field.default)
        elif field.default_factory is not None:
            default = _fmt(field.default_factory())
        else:
            default = "per entry"
        source = str(extra.get("source", "")) or calibrated.get(key, "")
        out.append(Param(key=key, section=key.split(".")[0] if "." in key else "scenario",
                         kind=kind, meaning=meaning, unit=unit, default=default, range=bounds,
                         source=source))


def parameters(root: str | Path | None = None,
               model: type[BaseModel] = Scenario) -> list[Param]:
    """Every leaf field of the scenario (or of another ``model``), with the embedded baseline's
    values as defaults.

    ``root`` is the repository (to mark calibrated fields from ``experiments/calibration``);
    without it no field is marked calibrated.
    """
    try:
        defaults = model()
    except ValidationError:
        defaults = None
    out: list[Param] = []
    _walk(model, "", defaults, _calibrated(Path(root) if root else None), out)
    return out


def problems(params: list[Param] | None = None) -> list[str]:
    """Fields that break the convention: no meaning, no unit (numbers), or no range."""
    found = []
    for p in parameters() if params is None else params:
        if not p.meaning:
            found.append(f"{p.key}: no meaning (Field description)")
        if p.needs_unit and not p.unit:
            found.append(f"{p.key}: no unit (end the description with '(unit)')")
        elif len(p.unit) > MAX_UNIT:
            found.append(f"{p.key}: unit {p.unit!r} is longer than {MAX_UNIT} characters: "
                         "is the last parenthesis of the description its unit?")
        if not p.range and p.kind != "text":
            found.append(f"{p.key}: no range (ge/gt/le/lt, a bounded_path type, or "
                         "json_schema_extra={'range': ...})")
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") if text else "-"


def section_table(section: str, root: str | Path | None = None) -> str:
    """A Markdown table of a section's fields: key, meaning, unit, default, range, source."""
    rows = [p for p in parameters(root) if p.section == section]
    if not rows:
        raise KeyError(f"no scenario section {section!r}; sections: {', '.join(SECTIONS)}")
    lines = ["| key | meaning | unit | default | range | source |",
             "|---|---|---|---|---|---|"]
    for p in rows:
        source = p.source or "not recorded (judgement)"
        lines.append("| " + " | ".join(_cell(c) for c in (
            f"`{p.key}`", p.meaning, p.unit, f"`{p.default}`", p.range, source)) + " |")
    return "\n".join(lines)


def profiles_table(section: Literal["sectors", "countries"]) -> str:
    """A Markdown table of the embedded baseline's sector or country profiles."""
    entries = getattr(Scenario(), section)
    fields = list(next(iter(entries.values())).__class__.model_fields)
    lines = ["| name | " + " | ".join(fields) + " |", "|---" * (len(fields) + 1) + "|"]
    for name, entry in entries.items():
        cells = [_cell(_fmt(getattr(entry, f)).strip('"')) for f in fields]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
