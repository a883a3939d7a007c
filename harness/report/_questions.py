"""The view of one question task: score matrix, leaderboard, judge tables and every answer with its judgments."""

from __future__ import annotations

from ..aggregate import qualifying_judges
from ..config import RoundConfig
from ..formats import SELF_JUDGMENT_EXCLUDED, Judgment
from ._format import (
    NO_VALUE,
    OVER_MAX_TOKENS,
    anchor,
    heat_color,
    mean_or_none,
    number,
    over_max_tokens_fact,
    signed,
    stdev_or_none,
    usd,
)
from ._load import QuestionResult
from ._question_facts import QuestionFacts
from ._views import (
    AnswerEntry,
    Column,
    MatrixCell,
    MatrixRow,
    QuestionSection,
    ScoreMatrix,
    Table,
    TableCell,
    cell,
    number_cell,
)

__all__ = ["question_section", "score_legend"]

SCORE_MAX = 10.0


def score_legend(maximum: float) -> list[tuple[str, str]]:
    steps = [maximum * k / 5 for k in range(6)]
    return [(number(value, 1), heat_color(value, maximum)) for value in steps]


def _self_score(judgment: Judgment) -> float | None:
    return judgment.weighted_score if judgment.is_self and judgment.error is None else None


def _matrix_cell(facts: QuestionFacts, judge: str, respondent: str) -> MatrixCell:
    judgment = facts.judgments.get((judge, respondent))
    href = f"#{facts.judgment_anchor(judge, respondent)}"
    who = f"{facts.label(judge).name} on {facts.label(respondent).name}"
    if judgment is None and facts.panel is not None and (answer := facts.answers.get(respondent)) is not None and answer.text is not None:
        return MatrixCell(kind="missing", text="", title=f"{who}: not on this answer's panel (panel of {facts.panel})")
    if judgment is None:
        return MatrixCell(kind="missing", text=NO_VALUE, title=f"{who}: no judgment recorded")
    if judgment.is_self:
        score = _self_score(judgment)
        if score is None:
            reason = "not asked" if judgment.error == SELF_JUDGMENT_EXCLUDED else f"failed: {judgment.error}"
            return MatrixCell(kind="self", text="self", title=f"{who}: self-judgment {reason}", href=href)
        title = f"{who}: self-judgment {number(score)} (recorded, excluded from rankings)"
        return MatrixCell(kind="self", text=number(score), title=title, href=href, color=heat_color(score, SCORE_MAX))
    if judgment.valid and judgment.weighted_score is not None:
        criteria = ", ".join(f"{name} {number(value)}" for name, value in (judgment.scores or {}).items())
        title = f"{who}: {number(judgment.weighted_score)} ({criteria})"
        return MatrixCell(kind="score", text=number(judgment.weighted_score), title=title, href=href, color=heat_color(judgment.weighted_score, SCORE_MAX))
    reason = judgment.error or f"score {number(judgment.weighted_score)} is outside 0-10 and not counted"
    return MatrixCell(kind="failed", text="✕", title=f"{who}: failed: {reason}", href=href)


def _matrix(facts: QuestionFacts) -> ScoreMatrix:
    rankings = facts.result.evaluation.rankings
    rows = [
        MatrixRow(
            header=facts.label(judge),
            cells=[_matrix_cell(facts, judge, respondent) for respondent in facts.respondents],
            summary=number(mean_or_none(facts.valid_scores_given(judge))),
        )
        for judge in facts.judges
    ]
    footer = [number(rankings[r].average_score) if r in rankings else NO_VALUE for r in facts.respondents]
    return ScoreMatrix(
        anchor=anchor(facts.section, "matrix"),
        caption="Weighted score each judge (row) gave each answer (column), 0-10. Click a cell for the answer and the justification.",
        row_label="judge",
        column_label="respondent",
        columns=[facts.label(r) for r in facts.respondents],
        rows=rows,
        summary_label="mean given",
        footer_label="average received",
        footer=footer,
        scale_max=SCORE_MAX,
        legend=score_legend(SCORE_MAX),
    )


def _answer_failure(facts: QuestionFacts, respondent: str) -> str:
    answer = facts.answers.get(respondent)
    if answer is None:
        return "no answer recorded"
    if answer.error:
        return f"answer failed: {answer.error}"
    return "no valid judgment"


def _leaderboard(facts: QuestionFacts) -> Table:
    rankings = facts.result.evaluation.rankings
    winner = facts.winner_id()
    rows: list[list[TableCell]] = []
    for respondent in facts.respondents:
        link = f"#{facts.answer_anchor(respondent)}"
        name = facts.label(respondent).name
        entry = rankings.get(respondent)
        if entry is None:
            rows.append([cell(None), cell(name, respondent, href=link), cell(None), cell(None), cell(None), cell(None), cell(_answer_failure(facts, respondent), css="muted")])
            continue
        note = cell("winner", "highest-ranked model scored by enough judges (80% rule)", css="badge") if respondent == winner else cell("")
        rows.append(
            [
                number_cell(entry.rank, 0),
                cell(name, respondent, href=link),
                number_cell(entry.average_score, css="strong"),
                number_cell(entry.score_count, 0),
                number_cell(entry.min_score),
                number_cell(entry.max_score),
                note,
            ]
        )
    columns = [
        Column("rank", numeric=True),
        Column("model"),
        Column("average score", "mean of valid judgments received, as published", numeric=True),
        Column("scores", "number of valid judgments received", numeric=True),
        Column("min", numeric=True),
        Column("max", numeric=True),
        Column(""),
    ]
    return Table(caption="Leaderboard", columns=columns, rows=rows, sortable=True)


def _strictness(facts: QuestionFacts) -> Table:
    rows = []
    for judge in facts.judges:
        given = facts.valid_scores_given(judge)
        differences = []
        for respondent in facts.respondents:
            score = facts.valid_score(judge, respondent)
            others = [s for other in facts.judges if other != judge and (s := facts.valid_score(other, respondent)) is not None]
            if score is not None and others:
                differences.append(score - sum(others) / len(others))
        failed = sum(
            1
            for r in facts.respondents
            if (j := facts.judgments.get((judge, r))) is not None and not j.is_self and not j.valid
        )
        mean_difference = mean_or_none(differences)
        rows.append(
            [
                cell(facts.label(judge).name, judge),
                number_cell(len(given), 0),
                number_cell(failed, 0, css="bad" if failed else ""),
                number_cell(mean_or_none(given), css="strong"),
                number_cell(min(given) if given else None),
                number_cell(max(given) if given else None),
                TableCell(text=signed(mean_difference), css="num", sort="" if mean_difference is None else repr(mean_difference)),
            ]
        )
    columns = [
        Column("judge"),
        Column("scores given", "valid judgments of other models' answers", numeric=True),
        Column("failed", "judge calls without a usable score", numeric=True),
        Column("mean given", numeric=True),
        Column("min", numeric=True),
        Column("max", numeric=True),
        Column("vs. other judges", "mean of (this judge's score - other judges' mean) over the answers it scored; negative = stricter", numeric=True),
    ]
    return Table(caption="Judge strictness", columns=columns, rows=rows, sortable=True)


def _self_bias(facts: QuestionFacts) -> Table | None:
    rows = []
    for respondent in facts.respondents:
        judgment = facts.judgments.get((respondent, respondent))
        own = _self_score(judgment) if judgment is not None else None
        if own is None:
            continue
        peers = mean_or_none(facts.valid_scores_received(respondent))
        rows.append(
            [
                cell(facts.label(respondent).name, respondent),
                number_cell(own),
                number_cell(peers),
                TableCell(text=signed(None if peers is None else own - peers), css="num"),
            ]
        )
    if not rows:
        return None
    columns = [Column("model"), Column("self score", numeric=True), Column("peer mean", numeric=True), Column("self - peers", numeric=True)]
    return Table(caption="Self-bias (self-judgments recorded, never counted)", columns=columns, rows=rows, sortable=True)


def _spread(facts: QuestionFacts) -> Table:
    rows = []
    for respondent in facts.respondents:
        scores = facts.valid_scores_received(respondent)
        judges = [facts.label(j).name for j in facts.judges if facts.valid_score(j, respondent) is not None]
        rows.append(
            [
                cell(facts.label(respondent).name, respondent),
                number_cell(len(scores), 0),
                number_cell(min(scores) if scores else None),
                number_cell(max(scores) if scores else None),
                number_cell(max(scores) - min(scores) if scores else None, css="strong"),
                number_cell(stdev_or_none(scores)),
                cell(", ".join(judges) or None, css="small"),
            ]
        )
    columns = [
        Column("respondent"),
        Column("scores", numeric=True),
        Column("min", numeric=True),
        Column("max", numeric=True),
        Column("range", numeric=True),
        Column("stdev", "sample standard deviation", numeric=True),
        Column("judges"),
    ]
    return Table(caption="Judge agreement: score spread per answer", columns=columns, rows=rows, sortable=True)


def _judgment_row(facts: QuestionFacts, judgment: Judgment) -> list[TableCell]:
    if judgment.is_self:
        asked = judgment.error != SELF_JUDGMENT_EXCLUDED
        status = cell("self: not counted" if asked else "self: not asked", judgment.error or "", css="self-tag")
    elif judgment.valid:
        status = cell("counted")
    else:
        status = cell("failed", css="bad")
    notes = []
    if judgment.repaired:
        notes.append("usable after a repair re-ask")
    if judgment.over_max_tokens:
        notes.append(OVER_MAX_TOKENS)
    if judgment.masked_terms:
        notes.append("masked before judging: " + ", ".join(judgment.masked_terms))
    text = judgment.justification or ""
    if judgment.error and judgment.error != SELF_JUDGMENT_EXCLUDED:
        text = f"error: {judgment.error}" + (f"\n{text}" if text else "")
    score = judgment.weighted_score
    score_cell = number_cell(score, css="strong")
    criteria = [number_cell((judgment.scores or {}).get(name)) for name in facts.criteria]
    return [cell(facts.label(judgment.judge_id).name, judgment.judge_id), score_cell, *criteria, cell(text or None, css="prose"), status, cell("; ".join(notes) or "", css="small")]


def _answers(facts: QuestionFacts) -> list[AnswerEntry]:
    rankings = facts.result.evaluation.rankings
    entries = []
    for respondent in facts.respondents:
        answer = facts.answers.get(respondent)
        entry = rankings.get(respondent)
        headline = (
            f"rank {entry.rank} · {number(entry.average_score)} from {entry.score_count} judge{'' if entry.score_count == 1 else 's'}"
            if entry is not None
            else _answer_failure(facts, respondent)
        )
        judgments = [j for judge in facts.judges if (j := facts.judgments.get((judge, respondent))) is not None]
        columns = [Column("judge"), Column("score", numeric=True), *(Column(c, numeric=True) for c in facts.criteria)]
        columns += [Column("justification"), Column("status"), Column("notes")]
        table = Table(
            caption="Judgments",
            columns=columns,
            rows=[_judgment_row(facts, j) for j in judgments],
            row_anchors=[facts.judgment_anchor(j.judge_id, respondent) for j in judgments],
        )
        facts_list: list[tuple[str, str]] = []
        if answer is not None:
            usage = answer.usage
            facts_list = [
                ("latency", f"{answer.latency_s:.2f} s"),
                ("tokens", f"{usage.total_tokens:,} ({usage.prompt_tokens:,} in, {usage.completion_tokens:,} out)"),
                ("cost", usd(answer.cost_usd)),
            ]
            if answer.over_max_tokens:
                headline += f" · {OVER_MAX_TOKENS}"
                facts_list.append(over_max_tokens_fact(usage.completion_tokens, facts.answer_max_tokens))
        entries.append(
            AnswerEntry(
                anchor=facts.answer_anchor(respondent),
                model=facts.label(respondent),
                headline=headline,
                text=answer.text if answer is not None else None,
                error=answer.error if answer is not None else "no answer recorded",
                facts=facts_list,
                judgments=table,
            )
        )
    return entries


def _winner_line(facts: QuestionFacts) -> str:
    """The winner, and for every model ranked above it, why it did not qualify (the 80% rule, with its numbers)."""
    evaluation = facts.result.evaluation
    pool = len(evaluation.models_used)
    needed = qualifying_judges(pool, facts.panel)
    assigned = pool - 1 if facts.panel is None else facts.panel
    winner_id = facts.winner_id()
    winner_rank = evaluation.rankings[winner_id].rank if winner_id in evaluation.rankings else None
    above = sorted(
        (entry for key, entry in evaluation.rankings.items() if key != winner_id and (winner_rank is None or entry.rank < winner_rank)),
        key=lambda entry: entry.rank,
    )
    passed_over = "; ".join(
        f"{entry.display_name} (rank {entry.rank}) has {entry.score_count} valid judges of the {needed} it needs "
        f"(80% of the {assigned} assigned to each answer)"
        for entry in above
    )
    if evaluation.winner is not None:
        line = f"Winner: {evaluation.winner.name} ({number(evaluation.winner.score)})"
        return f"{line}. Ranked above it but not qualified: {passed_over}" if above else line
    line = "No winner: no model was scored by enough judges (80% rule)"
    return f"{line}: {passed_over}" if above else line


def question_section(result: QuestionResult, config: RoundConfig) -> QuestionSection:
    facts = QuestionFacts(result, config)
    evaluation = result.evaluation
    winner = _winner_line(facts)
    recorded = config.self_judgment == "record"
    self_bias = _self_bias(facts)
    note = (
        "Self-judgments were recorded but none produced a score."
        if recorded and self_bias is None
        else "Self-judgments were not asked (self_judgment: skip); set self_judgment: record to measure self-bias."
    )
    if facts.panel is not None:
        note = f"Panel judging (panel of {facts.panel} judges per answer): a panel never assigns an answer's author, so no self-judgment is asked."
    return QuestionSection(
        anchor=facts.section,
        task_id=result.task_id,
        title=f"{evaluation.question_id} · {evaluation.category}",
        evaluation_id=evaluation.evaluation_id,
        question_text=evaluation.question_text,
        winner=winner,
        matrix=_matrix(facts),
        leaderboard=_leaderboard(facts),
        strictness=_strictness(facts),
        self_bias=self_bias,
        self_bias_note="" if self_bias is not None else note,
        spread=_spread(facts),
        answers=_answers(facts),
    )
