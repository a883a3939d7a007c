"""What the templates render: plain, already formatted values (no logic left for Jinja)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ._format import NO_VALUE, number

__all__ = [
    "AnswerEntry",
    "COMPACT_MATRIX_ABOVE",
    "CellKind",
    "BuildSection",
    "Column",
    "CostSection",
    "ImplementationEntry",
    "MatrixCell",
    "MatrixRow",
    "ModelLabel",
    "QuestionSection",
    "ReportView",
    "ScoreMatrix",
    "SourceFile",
    "Table",
    "TableCell",
    "TestEntry",
    "cell",
    "number_cell",
]

CellKind = Literal["score", "self", "failed", "missing"]

COMPACT_MATRIX_ABOVE = 12
"""A matrix with more columns or rows than this is drawn compact (small cells, scrolling, sticky headers)."""


@dataclass(frozen=True)
class ModelLabel:
    """A model as headers show it: display name, id in the tooltip."""

    id: str
    name: str


@dataclass(frozen=True)
class MatrixCell:
    """One (judge, respondent) cell of a heatmap."""

    kind: CellKind
    text: str
    title: str
    href: str | None = None
    color: str | None = None
    """Background color for a score; None leaves the kind's own style."""


@dataclass(frozen=True)
class MatrixRow:
    header: ModelLabel
    """The judge (or, in the overview, the model) of the row."""
    cells: list[MatrixCell]
    summary: str
    """Right-hand column, e.g. the judge's mean score given."""


@dataclass(frozen=True)
class ScoreMatrix:
    """Judges (rows) x respondents or implementations (columns)."""

    anchor: str
    caption: str
    row_label: str
    column_label: str
    columns: list[ModelLabel]
    rows: list[MatrixRow]
    summary_label: str
    footer_label: str
    footer: list[str]
    scale_max: float
    legend: list[tuple[str, str]]
    """(label, background color) swatches of the color scale."""

    @property
    def compact(self) -> bool:
        """Large matrices (a big pool) render small cells in a scrolling box whose headers stay in view."""
        return max(len(self.columns), len(self.rows)) > COMPACT_MATRIX_ABOVE


@dataclass(frozen=True)
class TableCell:
    text: str
    title: str = ""
    css: str = ""
    href: str | None = None
    sort: str | None = None
    """Sort key for the sortable-table script (numbers sort numerically)."""


@dataclass(frozen=True)
class Column:
    label: str
    title: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[Column]
    rows: list[list[TableCell]]
    note: str = ""
    row_anchors: list[str] = field(default_factory=list)
    """Optional HTML id per row (targets of matrix cell links)."""
    sortable: bool = False


def cell(text: str | None, title: str = "", css: str = "", href: str | None = None) -> TableCell:
    return TableCell(text=NO_VALUE if text is None else text, title=title, css=css, href=href)


def number_cell(value: float | int | None, places: int = 2, css: str = "", title: str = "") -> TableCell:
    sort = "" if value is None else repr(float(value))
    return TableCell(text=number(value, places), title=title, css=f"num {css}".strip(), sort=sort)


@dataclass(frozen=True)
class AnswerEntry:
    anchor: str
    model: ModelLabel
    headline: str
    text: str | None
    error: str | None
    facts: list[tuple[str, str]]
    judgments: Table


@dataclass(frozen=True)
class QuestionSection:
    anchor: str
    task_id: str
    title: str
    evaluation_id: str
    question_text: str
    winner: str
    matrix: ScoreMatrix
    leaderboard: Table
    strictness: Table
    self_bias: Table | None
    self_bias_note: str
    spread: Table
    answers: list[AnswerEntry]


@dataclass(frozen=True)
class SourceFile:
    name: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class TestEntry:
    __test__ = False

    name: str
    passed: bool


@dataclass(frozen=True)
class ImplementationEntry:
    anchor: str
    model: ModelLabel
    headline: str
    facts: list[tuple[str, str]]
    samples: Table
    tests: list[TestEntry]
    tests_summary: str
    files: list[SourceFile]
    files_note: str
    reviews: Table
    integrity: str = "ok"
    integrity_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildSection:
    anchor: str
    task_id: str
    title: str
    date: str
    prompt_text: str
    spec_text: str
    matrix: ScoreMatrix
    quality_matrix: ScoreMatrix
    scoreboard: Table
    strictness: Table
    self_bias: Table
    agreement: Table
    cost_efficiency: Table
    dropouts: list[str]
    implementations: list[ImplementationEntry]


@dataclass(frozen=True)
class CostSection:
    by_model: Table
    by_judge: Table
    totals: list[tuple[str, str]]
    note: str
    history: Table | None = None
    """Calls made again (`--retry-failed`): each superseded record beside the slot's latest; None when none was."""


@dataclass(frozen=True)
class ReportView:
    title: str
    facts: list[tuple[str, str]]
    models: Table
    navigation: list[tuple[str, str]]
    overview: ScoreMatrix | None
    """Models x questions average scores, when the round has more than one question."""
    questions: list[QuestionSection]
    builds: list[BuildSection]
    costs: CostSection | None
    missing_tasks: list[str]

    @property
    def has_compact_matrix(self) -> bool:
        """Whether the page needs the compact matrix style (only then is it included)."""
        matrices = [q.matrix for q in self.questions] + [m for b in self.builds for m in (b.matrix, b.quality_matrix)]
        return any(m.compact for m in matrices) or (self.overview is not None and self.overview.compact)
