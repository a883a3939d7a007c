"""The page `analysis.html`: every table of an analysis on one self-contained HTML page.

Inline CSS and inline SVG only, no script and nothing fetched (a Content-Security-Policy of `default-src
'none'` says so to the browser). Charts: Bradley-Terry strengths as bars with their CI whiskers (one chart per
connected component), judge leniency and paired same-family bias as dots with whiskers around 0. Every text
is escaped (jinja2 autoescape). The layout is computed here; the template only draws it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["render_analysis_html"]

TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "analysis.html.j2"
NO_VALUE = "—"
LABEL_CHARACTERS = 30
"""Longer chart labels are cut (the full name is in the row's tooltip)."""

CHART_WIDTH, PLOT_LEFT, PLOT_RIGHT = 900, 230, 700
ROW_HEIGHT, PLOT_TOP, AXIS_HEIGHT = 24, 8, 24


@dataclass(frozen=True)
class Table:
    """A plain table: one text per cell, numeric columns right-aligned."""

    caption: str
    columns: list[str]
    numeric: list[bool]
    rows: list[list[str]]


@dataclass(frozen=True)
class IntervalRow:
    """One row of an interval chart, in pixels."""

    label: str
    title: str
    text: str
    y: float
    value_x: float
    bar_x: float
    bar_width: float
    low_x: float | None
    high_x: float | None
    negative: bool


@dataclass(frozen=True)
class IntervalChart:
    """Values with optional [low, high] intervals on one horizontal axis that includes 0, one row each."""

    caption: str
    bars: bool
    """Bars from 0 to the value (else a dot at the value)."""
    rows: list[IntervalRow]
    ticks: list[tuple[float, str]]
    zero_x: float
    height: int
    width: int = CHART_WIDTH
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP

    @property
    def plot_bottom(self) -> int:
        """Pixel row of the axis, below the last row."""
        return self.height - AXIS_HEIGHT


@dataclass
class Section:
    """One titled part of the page."""

    anchor: str
    title: str
    intro: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    charts: list[IntervalChart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    title: str
    facts: list[tuple[str, str]]
    sections: list[Section]


def _number(value: object) -> float | None:
    """`value` as a float when it is a finite int or float (not a bool), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _is_number(value: object) -> bool:
    """True for a finite int or float (not a bool)."""
    return _number(value) is not None


def _text(value: object) -> str:
    """A cell's text: "—" for none, yes/no, floats with at most 3 decimals, containers as compact JSON."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NO_VALUE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    return str(value)


def _rows_of(value: object) -> list[Mapping[str, Any]]:
    """`value` as a list of rows when it is a list of objects, else empty."""
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return value
    return []


def _table(rows: Sequence[Mapping[str, Any]], caption: str, first_columns: Sequence[str] = ()) -> Table:
    """A table of `rows`: the `first_columns` that occur, then every other key in first-seen order."""
    seen = dict.fromkeys(key for row in rows for key in row)
    columns = [c for c in first_columns if c in seen] + [c for c in seen if c not in first_columns]
    numeric = [
        any(_is_number(row.get(c)) for row in rows) and all(row.get(c) is None or _is_number(row.get(c)) for row in rows) for c in columns
    ]
    return Table(caption=caption, columns=columns, numeric=numeric, rows=[[_text(row.get(c)) for c in columns] for row in rows])


def _facts(mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Name/value pairs of the scalar entries of `mapping` (lists of scalars joined, empty lists "none")."""
    facts = []
    for name, value in mapping.items():
        if isinstance(value, list):
            if not value:
                facts.append((str(name), "none"))
            elif not _rows_of(value):
                facts.append((str(name), "; ".join(_text(item) for item in value)))
        elif not isinstance(value, Mapping):
            facts.append((str(name), _text(value)))
    return facts


def _generic(value: object, caption: str) -> tuple[list[tuple[str, str]], list[Table]]:
    """Facts and tables showing any JSON value: rows as a table, an object's scalars as facts and its parts as tables."""
    if rows := _rows_of(value):
        return [], [_table(rows, caption)]
    if not isinstance(value, Mapping):
        return ([(caption, _text(value))] if value not in (None, [], "") else []), []
    tables = []
    for name, part in value.items():
        if rows := _rows_of(part):
            tables.append(_table(rows, f"{caption}: {name}"))
        elif isinstance(part, Mapping) and part:
            nested = [{"key": k, **v} if isinstance(v, Mapping) else {"key": k, "value": v} for k, v in part.items()]
            tables.append(_table(nested, f"{caption}: {name}", ["key"]))
    return _facts(value), tables


def _nice_step(span: float) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about five ticks over `span`."""
    raw = span / 5
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def interval_chart(points: Sequence[tuple[str, float, float | None, float | None]], caption: str, *, bars: bool) -> IntervalChart:
    """A chart of (label, value, low, high) rows in the given order, on an axis from the smallest to the largest
    of the values, the interval ends and 0 (padded by 5%; -1..1 when they are all 0)."""
    ends = [x for _, value, low, high in points for x in (value, low, high) if x is not None] + [0.0]
    low_end, high_end = min(ends), max(ends)
    if high_end == low_end:  # every value 0: show -1..1
        low_end, high_end = -1.0, 1.0
    span = high_end - low_end
    low_end, high_end = low_end - span * 0.05, high_end + span * 0.05

    def to_x(v: float) -> float:
        return round(PLOT_LEFT + (v - low_end) / (high_end - low_end) * (PLOT_RIGHT - PLOT_LEFT), 1)

    step = _nice_step(high_end - low_end)
    ticks = [(to_x(k * step), _text(round(k * step, 6))) for k in range(math.ceil(low_end / step), math.floor(high_end / step) + 1)]
    zero_x = to_x(0.0)
    rows = []
    for index, (label, value, low, high) in enumerate(points):
        interval = f" [{_text(low)}, {_text(high)}]" if low is not None and high is not None else ""
        short = label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
        value_x = to_x(value)
        rows.append(
            IntervalRow(
                label=short,
                title=f"{label}: {_text(value)}{interval}",
                text=f"{_text(value)}{interval}",
                y=PLOT_TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2,
                value_x=value_x,
                bar_x=min(zero_x, value_x),
                bar_width=round(abs(value_x - zero_x), 1),
                low_x=None if low is None or high is None else to_x(low),
                high_x=None if low is None or high is None else to_x(high),
                negative=value < 0,
            )
        )
    height = PLOT_TOP + ROW_HEIGHT * len(points) + AXIS_HEIGHT
    return IntervalChart(caption=caption, bars=bars, rows=rows, ticks=ticks, zero_x=zero_x, height=height)


def _points(
    rows: Sequence[Mapping[str, Any]], label: str, value: str, low: str, high: str
) -> list[tuple[str, float, float | None, float | None]]:
    """(label, value, low, high) of the rows with a numeric `value`."""
    points = []
    for row in rows:
        number = _number(row.get(value))
        if number is not None:
            points.append((_text(row.get(label)), number, _number(row.get(low)), _number(row.get(high))))
    return points


def _leaderboard(analysis: Mapping[str, Any]) -> Section | None:
    """Table 5.1, then the Bradley-Terry strengths: one bar chart with CI whiskers and one table per component."""
    leaderboard, bt = _rows_of(analysis.get("leaderboard")), _rows_of(analysis.get("bradley_terry"))
    if not leaderboard and not bt:
        return None
    section = Section(
        "leaderboard",
        "Leaderboard",
        "Per-round average scores as stored in the inputs (ANALYSIS.md, Table 5.1), "
        "and Bradley-Terry strengths (natural log, geometric mean 1 = 0) fitted on the pairwise comparisons.",
    )
    summary = analysis.get("bradley_terry_summary")
    if isinstance(summary, Mapping):
        section.facts = [(f"Bradley-Terry {name}", text) for name, text in _facts(summary)]
    if leaderboard:
        section.tables.append(
            _table(
                leaderboard,
                "Leaderboard: per-round averages, sorted by average score",
                ["model_key", "display_name", "avg_score", "median_score", "std_score", "evaluations"],
            )
        )
    components = sorted({row.get("component") for row in bt}, key=lambda c: (not _is_number(c), _number(c) or 0.0, str(c)))
    for component in components:
        rows = [row for row in bt if row.get("component") == component]
        rows.sort(
            key=lambda row: (_number(row.get("bt_rank")) is None, _number(row.get("bt_rank")) or 0.0, -(_number(row.get("bt")) or 0.0))
        )
        points = _points(rows, "name", "bt", "bt_ci_low", "bt_ci_high")
        name = f"component {_text(component)}"
        if points:
            section.charts.append(
                interval_chart(
                    points,
                    f"Bradley-Terry strength (log), {name}, with its bootstrap CI; only ranks within one component are comparable.",
                    bars=True,
                )
            )
        section.tables.append(_table(rows, f"Bradley-Terry, {name}", ["name", "component", "bt_rank", "bt", "bt_ci_low", "bt_ci_high"]))
    return section


def _judges(analysis: Mapping[str, Any]) -> Section | None:
    """Judge strictness (Table 5.3) and the leniency chart: one dot with its CI whisker per judge, around 0."""
    judges = _rows_of(analysis.get("judges"))
    if not judges:
        return None
    section = Section(
        "judges",
        "Judges",
        "Scores given by each judge (ANALYSIS.md, Table 5.3), and its leniency: "
        "how far its scores sit from the other judges' on the same answers (above 0: more lenient).",
    )
    ordered = sorted(judges, key=lambda row: -(_number(row.get("leniency")) or 0.0))
    labelled = [{**row, "label": row.get("judge_name") or row.get("judge_key")} for row in ordered]
    points = _points(labelled, "label", "leniency", "leniency_ci_low", "leniency_ci_high")
    if points:
        section.charts.append(
            interval_chart(
                points,
                "Judge leniency (its score minus the other judges' mean on the same answer) with its bootstrap CI; 0 = no offset.",
                bars=False,
            )
        )
    section.tables.append(_table(judges, "Judges, strictest first", ["judge_key", "judge_name", "avg_score_given", "leniency"]))
    return section


def _family_bias(analysis: Mapping[str, Any]) -> Section | None:
    """The same-family bias table (Table 5.5 with the paired estimate beside it), and the paired estimates as a chart."""
    bias = _rows_of(analysis.get("family_bias"))
    if not bias:
        return None
    section = Section(
        "family-bias",
        "Same-family bias",
        "Naive: mean score a judge gives its own family minus the mean it gives "
        "others (ANALYSIS.md, Table 5.5). Paired: the same difference on the same questions, with its CI.",
    )
    labelled = [{**row, "label": f"{_text(row.get('judge'))} ({_text(row.get('family'))})"} for row in bias]
    points = _points(labelled, "label", "paired_bias", "paired_ci_low", "paired_ci_high")
    if points:
        section.charts.append(interval_chart(points, "Paired same-family bias with its confidence interval; 0 = no bias.", bars=False))
    section.tables.append(
        _table(
            bias,
            "Same-family bias, highest naive bias first",
            ["judge", "family", "same_family_bias", "paired_bias", "paired_ci_low", "paired_ci_high"],
        )
    )
    return section


def _builds(analysis: Mapping[str, Any]) -> Section | None:
    """Build rounds: each judge's agreement with the hidden tests, and the test-calibrated leaderboard."""
    judges, leaderboard = _rows_of(analysis.get("build_judges")), _rows_of(analysis.get("build_leaderboard"))
    if not judges and not leaderboard:
        return None
    section = Section(
        "builds",
        "Build rounds: judges against the hidden tests",
        "AUC: how well a judge's score separates implementations that passed all hidden tests from the others "
        "(0.5 = chance). Calibrated scores weight each judge by max(0, 2 AUC - 1).",
    )
    if judges:
        section.tables.append(_table(judges, "Judges against the hidden tests", ["judge", "reviews", "auc_spec", "auc_quality"]))
    if leaderboard:
        section.tables.append(
            _table(
                leaderboard,
                "Plain and test-calibrated scores, by round then calibrated rank",
                ["date", "task", "impl", "calibrated_rank", "plain_rank", "tests"],
            )
        )
    return section


KNOWN = {"inputs", "leaderboard", "bradley_terry", "bradley_terry_summary", "judges", "family_bias", "build_judges", "build_leaderboard"}
GENERIC_TITLES = {"self_bias": "Self bias", "agreement": "Agreement between judges", "fragility": "Fragility of the rankings"}


def _generic_section(name: str, value: object) -> Section | None:
    """A section for any other entry of the analysis, shown as facts and plain tables."""
    title = GENERIC_TITLES.get(name, name.replace("_", " ").capitalize())
    facts, tables = _generic(value, title)
    if not facts and not tables:
        return None
    return Section(name.replace("_", "-"), title, facts=facts, tables=tables)


def analysis_page(analysis: Mapping[str, Any]) -> Page:
    """The page's layout: the input counts, then one section per table present in `analysis` (known ones first)."""
    sections = [s for s in (_leaderboard(analysis), _judges(analysis), _family_bias(analysis)) if s is not None]
    for name in [*GENERIC_TITLES, *(k for k in analysis if k not in KNOWN and k not in GENERIC_TITLES)]:
        if name in analysis and (section := _generic_section(str(name), analysis[name])) is not None:
            sections.append(section)
    if (builds := _builds(analysis)) is not None:
        sections.append(builds)
    inputs = analysis.get("inputs")
    facts = _facts(inputs) if isinstance(inputs, Mapping) else []
    return Page(title="Cross-round analysis", facts=facts, sections=sections)


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(TEMPLATE_NAME)


def render_analysis_html(analysis: Mapping[str, Any]) -> str:
    """The whole page for an analysis dictionary (`analyze`'s result); entries missing or empty are left out."""
    return _template().render(page=analysis_page(analysis))
