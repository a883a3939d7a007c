"""Assemble the report view of a run folder and render it to one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import jinja2

from ..formats import write_atomic
from ._builds import build_section
from ._costs import cost_section
from ._format import NO_VALUE, anchor, heat_color, mean_or_none, number
from ._load import RunMaterial, load_run_material
from ._question_facts import model_labeler
from ._questions import SCORE_MAX, question_section
from ._views import (
    Column,
    MatrixCell,
    MatrixRow,
    ModelLabel,
    QuestionSection,
    ReportView,
    ScoreMatrix,
    Table,
    cell,
)

__all__ = ["REPORT_FILE_NAME", "build_report_view", "render_report", "write_report"]

REPORT_FILE_NAME = "report.html"
TEMPLATE_NAME = "report.html.j2"


def _models_table(material: RunMaterial) -> Table:
    config = material.config
    judges = set(config.judge_ids())
    rows = [
        [
            cell(m.name),
            cell(m.id, css="code"),
            cell(m.provider),
            cell(m.litellm_model, css="code"),
            cell("expert judge" if m.expert and m.id in judges else "judge" if m.id in judges else "respondent only"),
        ]
        for m in config.models
    ]
    columns = [Column("model"), Column("id"), Column("provider"), Column("LiteLLM model"), Column("role")]
    return Table(caption="The round's pool, in config order", columns=columns, rows=rows)


def _overview(material: RunMaterial, questions: list[QuestionSection]) -> ScoreMatrix | None:
    """Average score of every model on every question, when there is more than one question."""
    if len(material.questions) < 2:
        return None
    label = model_labeler(material.config)
    models = list(dict.fromkeys([m.id for m in material.config.models] + [k for q in material.questions for k in q.evaluation.rankings]))
    rows = []
    for model_id in models:
        cells, averages = [], []
        for result, section in zip(material.questions, questions):
            entry = result.evaluation.rankings.get(model_id)
            href = f"#{anchor(section.anchor, 'answer', model_id)}"
            if entry is None:
                cells.append(MatrixCell(kind="missing", text=NO_VALUE, title=f"{label(model_id).name}: not ranked on {result.task_id}", href=href))
                continue
            averages.append(entry.average_score)
            title = f"{label(model_id).name} on {result.task_id}: rank {entry.rank}, {number(entry.average_score)} from {entry.score_count} judge(s)"
            cells.append(MatrixCell(kind="score", text=number(entry.average_score), title=title, href=href, color=heat_color(entry.average_score, SCORE_MAX)))
        rows.append(MatrixRow(header=label(model_id), cells=cells, summary=number(mean_or_none(averages))))
    winners = [q.evaluation.winner.name if q.evaluation.winner else NO_VALUE for q in material.questions]
    return ScoreMatrix(
        anchor="overview",
        caption="Average score (0-10) of each model (row) on each question (column). Click a cell for that answer.",
        row_label="model",
        column_label="question",
        columns=[ModelLabel(id=q.task_id, name=q.evaluation.question_id) for q in material.questions],
        rows=rows,
        summary_label="mean over questions",
        footer_label="winner",
        footer=winners,
        scale_max=SCORE_MAX,
        legend=questions[0].matrix.legend,
    )


def build_report_view(material: RunMaterial) -> ReportView:
    config, info = material.config, material.info
    questions = [question_section(q, config) for q in material.questions]
    builds = [build_section(b, config, material.results_dir, material.tasks_dir) for b in material.builds]
    costs = cost_section(config, material.records, material.superseded) if material.records is not None else None
    navigation = [(q.anchor, f"Question {q.title}") for q in questions] + [(b.anchor, f"Build {b.title}") for b in builds]
    overview = _overview(material, questions)
    if overview is not None:
        navigation.insert(0, (overview.anchor, "Overview"))
    if costs is not None:
        navigation.append(("costs", "Cost and tokens"))
    navigation.append(("models", "Models"))
    facts = [
        ("run", material.run_dir.name),
        ("origin", "imported from Multivac" if info.origin == "import-multivac" else "harness run"),
        ("started", info.started_at),
        ("models", str(len(config.models))),
        ("judges", str(len(config.judge_ids()))),
        ("tasks", f"{len(questions)} question, {len(builds)} build"),
        ("self-judgment", config.self_judgment),
        ("identities masked", "yes" if config.mask_identities else "no"),
    ]
    if config.judging.panel is not None:
        facts.insert(5, ("panel", f"{config.judging.panel} judges per answer (reviewers per build task)"))
    return ReportView(
        title=config.name,
        facts=facts,
        models=_models_table(material),
        navigation=navigation,
        overview=overview,
        questions=questions,
        builds=builds,
        costs=costs,
        missing_tasks=material.missing_tasks,
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(run_dir: Path, results_dir: Path | None = None) -> str:
    """The report of a run folder as one HTML document (deterministic for the same inputs)."""
    view = build_report_view(load_run_material(run_dir, results_dir))
    return _environment().get_template(TEMPLATE_NAME).render(report=view)


def write_report(run_dir: Path, out: Path | None = None, results_dir: Path | None = None) -> Path:
    """Render the report and write it to `out` (default RUN_DIR/report.html)."""
    html = render_report(run_dir, results_dir)
    target = Path(out) if out is not None else Path(run_dir) / REPORT_FILE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, html)
    return target
