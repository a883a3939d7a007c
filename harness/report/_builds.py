"""The view of one build task: spec-score matrix, scoreboard, judge tables and every implementation with its reviews."""

from __future__ import annotations

from pathlib import Path

from ..config import RoundConfig
from ..formats import BuildSampleOutcome, ResultsFolder, ReviewScores
from ._build_facts import BuildFacts, hard_fail_cell
from ._build_tables import (
    agreement_table,
    cost_efficiency_table,
    scoreboard_table,
    self_bias_table,
    strictness_table,
)
from ._format import NO_VALUE, OVER_MAX_TOKENS, anchor, heat_color, mean_or_none, number, over_max_tokens_fact, usd
from ._load import BuildResult
from ._questions import score_legend
from ._views import (
    BuildSection,
    CellKind,
    Column,
    ImplementationEntry,
    MatrixCell,
    MatrixRow,
    ScoreMatrix,
    SourceFile,
    Table,
    TestEntry,
    cell,
    number_cell,
)

__all__ = ["build_section"]

SPEC_MAX = 10.0
QUALITY_MAX = 20.0
FILE_CHARACTERS_SHOWN = 200_000


def _review_title(facts: BuildFacts, judge: str, impl: str, review: ReviewScores) -> str:
    gates = "hard-fail gates passed" if review.hardFail else "hard-fail gates FAILED"
    who = f"{facts.label(judge).name} on {facts.label(impl).name} ({facts.tier(judge, impl)})"
    return f"{who}: spec {number(review.spec)}/10, quality {number(review.quality)}/20, {review.verdict}, {gates}. {review.note}".strip()


def _matrix_cell(facts: BuildFacts, judge: str, impl: str, quality: bool) -> MatrixCell:
    packet = facts.reviews.get(judge)
    href = f"#{facts.review_anchor(judge, impl)}"
    who = f"{facts.label(judge).name} on {facts.label(impl).name}"
    review = facts.review(judge, impl)
    if review is None:
        if packet is not None and packet.error:
            return MatrixCell(kind="failed", text="✕", title=f"{who}: the review failed: {packet.error}", href=href)
        return MatrixCell(kind="missing", text=NO_VALUE, title=f"{who}: no review of this implementation")
    value, maximum = (review.quality, QUALITY_MAX) if quality else (review.spec, SPEC_MAX)
    kind: CellKind = "self" if judge == impl else "score"
    return MatrixCell(kind=kind, text=number(value), title=_review_title(facts, judge, impl, review), href=href, color=heat_color(value, maximum))


def _matrix(facts: BuildFacts, quality: bool) -> ScoreMatrix:
    maximum = QUALITY_MAX if quality else SPEC_MAX
    rows = []
    for judge in facts.judges:
        given = [r.quality if quality else r.spec for r in facts.peer_reviews_by(judge)]
        rows.append(
            MatrixRow(
                header=facts.label(judge),
                cells=[_matrix_cell(facts, judge, impl, quality) for impl in facts.impls],
                summary=number(mean_or_none(given)),
            )
        )
    footer = []
    for impl in facts.impls:
        row = facts.scoreboard.get(impl)
        footer.append(number(None if row is None else row.quality_peer if quality else row.spec_peer))
    what = "quality score (0-20)" if quality else "spec score (0-10)"
    return ScoreMatrix(
        anchor=anchor(facts.section, "quality" if quality else "matrix"),
        caption=f"{what.capitalize()} each judge (row) gave each implementation (column); self-reviews hatched. Click a cell for the code and the review.",
        row_label="judge",
        column_label="implementation",
        columns=[facts.label(i) for i in facts.impls],
        rows=rows,
        summary_label="mean given to others",
        footer_label="peer median",
        footer=footer,
        scale_max=maximum,
        legend=score_legend(maximum),
    )


def _read_files(folder: Path) -> list[SourceFile]:
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        note = ""
        if len(text) > FILE_CHARACTERS_SHOWN:
            note = f"first {FILE_CHARACTERS_SHOWN:,} of {len(text):,} characters"
            text = text[:FILE_CHARACTERS_SHOWN]
        files.append(SourceFile(name=path.relative_to(folder).as_posix(), text=text, note=note))
    return files


def _samples_table(samples: list[BuildSampleOutcome]) -> Table:
    rows = []
    for s in samples:
        tests = s.tests
        passed = f"{sum(ok for _, ok in tests.tests)}/{len(tests.tests)}" if tests else None
        rows.append(
            [
                number_cell(s.sample, 0),
                cell(f"{s.latency_s:.2f} s", css="num"),
                number_cell(s.usage.total_tokens, 0),
                cell(usd(s.cost_usd), css="num"),
                number_cell(s.loc, 0),
                cell(passed, css="num"),
                cell(None if tests is None else "timed out" if tests.timed_out else str(tests.exit_code), css="num"),
                cell(s.error or (OVER_MAX_TOKENS if s.over_max_tokens else ""), css="bad" if s.error or s.over_max_tokens else ""),
            ]
        )
    columns = [
        Column("sample", numeric=True),
        Column("latency", numeric=True),
        Column("tokens", numeric=True),
        Column("cost", numeric=True),
        Column("lines", numeric=True),
        Column("tests", numeric=True),
        Column("exit code", numeric=True),
        Column("error"),
    ]
    return Table(caption="Samples (the last one is reviewed)", columns=columns, rows=rows)


def _reviews_table(facts: BuildFacts, impl: str) -> Table:
    rows, anchors = [], []
    for judge in facts.judges:
        packet = facts.reviews.get(judge)
        if packet is None:
            continue
        label = next((name for name, model in packet.labels.items() if model == impl), None)
        review = packet.reviews.get(impl)
        who = cell(facts.label(judge).name, judge)
        tier = cell(facts.tier(judge, impl), css="self-tag" if judge == impl else "")
        if review is None:
            reason = f"review failed: {packet.error}" if packet.error else "no review of this implementation"
            reason += f" ({OVER_MAX_TOKENS})" if packet.over_max_tokens else ""
            rows.append([who, tier, cell(label), cell(None), cell(None), cell(None), cell(None), cell(reason, css="bad prose")])
        else:
            rows.append(
                [
                    who,
                    tier,
                    cell(label),
                    hard_fail_cell(review.hardFail),
                    number_cell(review.spec, css="strong"),
                    number_cell(review.quality),
                    cell(review.verdict, css=f"verdict-{review.verdict}"),
                    cell(" ".join(filter(None, [review.note, f"({OVER_MAX_TOKENS})" if packet.over_max_tokens else ""])) or None, css="prose"),
                ]
            )
        anchors.append(facts.review_anchor(judge, impl))
    columns = [
        Column("judge"),
        Column("tier"),
        Column("seen as", "the anonymous label this judge saw"),
        Column("hard-fail gates"),
        Column("spec", numeric=True),
        Column("quality", numeric=True),
        Column("verdict"),
        Column("note"),
    ]
    return Table(caption="Reviews", columns=columns, rows=rows, row_anchors=anchors)


def _implementation(facts: BuildFacts, impl: str) -> ImplementationEntry:
    samples = facts.samples_of(impl)
    judged = samples[-1] if samples else None
    detail = next((d for d in facts.round.per_impl_detail if d.impl == impl), None)
    folder = facts.results_dir / detail.run_path if detail is not None else None
    if folder is None and judged is not None:
        folder = ResultsFolder(facts.results_dir).sample_dir(judged.task_id, impl, judged.sample)
    files = _read_files(folder) if folder is not None and folder.is_dir() else []
    files_note = "" if files else (judged.error if judged is not None and judged.error else "no files were produced")
    row = facts.scoreboard.get(impl)
    tests = [TestEntry(name=name, passed=ok) for name, ok in (judged.tests.tests if judged and judged.tests else [])]
    timed_out = judged is not None and judged.tests is not None and judged.tests.timed_out
    summary = (row.tests if row else f"{sum(t.passed for t in tests)}/{len(tests)}") + (" (timed out)" if timed_out else "")
    integrity = judged.tests.integrity if judged is not None and judged.tests is not None else "ok"
    if integrity != "ok":
        summary += f" · integrity: {integrity}"
    headline = f"tests {summary}"
    if row is not None:
        headline += f" · spec {number(row.spec_peer)} · quality {number(row.quality_peer)} · {row.verdict}"
    facts_list: list[tuple[str, str]] = []
    if judged is not None:
        facts_list = [
            ("sample", f"{judged.sample} of {len(samples)}"),
            ("lines", number(judged.loc, 0)),
            ("latency", f"{judged.latency_s:.2f} s"),
            ("tokens", f"{judged.usage.total_tokens:,}"),
            ("cost", usd(judged.cost_usd)),
        ]
        if judged.over_max_tokens:
            headline += f" · {OVER_MAX_TOKENS}"
            facts_list.append(over_max_tokens_fact(judged.usage.completion_tokens, facts.answer_max_tokens))
    return ImplementationEntry(
        anchor=facts.impl_anchor(impl),
        model=facts.label(impl),
        headline=headline,
        facts=facts_list,
        samples=_samples_table(samples),
        tests=tests,
        tests_summary=summary,
        files=files,
        files_note=files_note,
        reviews=_reviews_table(facts, impl),
        integrity=integrity,
        integrity_notes=tuple(judged.tests.integrity_notes) if judged is not None and judged.tests is not None else (),
    )


def _task_text(tasks_dir: Path, task_id: str, name: str) -> str:
    path = tasks_dir / task_id / name
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def build_section(result: BuildResult, config: RoundConfig, results_dir: Path, tasks_dir: Path) -> BuildSection:
    facts = BuildFacts(result, config, results_dir)
    dropouts = [f"{facts.label(r.judge_id).name}: {r.error}" for r in result.outcome.reviews if r.error]
    return BuildSection(
        anchor=facts.section,
        task_id=result.task_id,
        title=result.task_id,
        date=facts.round.date,
        prompt_text=_task_text(tasks_dir, result.task_id, "PROMPT.md"),
        spec_text=_task_text(tasks_dir, result.task_id, "SPEC.md"),
        matrix=_matrix(facts, quality=False),
        quality_matrix=_matrix(facts, quality=True),
        scoreboard=scoreboard_table(facts),
        strictness=strictness_table(facts),
        self_bias=self_bias_table(facts),
        agreement=agreement_table(facts),
        cost_efficiency=cost_efficiency_table(facts),
        dropouts=dropouts,
        implementations=[_implementation(facts, impl) for impl in facts.impls],
    )
