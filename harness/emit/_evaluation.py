"""Emit one evaluation file per question (FORMATS.md A), and a details file with everything else."""

from __future__ import annotations

from pathlib import Path

from ..aggregate._evaluation import (
    EvaluationInput,
    PoolModel,
    ScoredJudgment,
    aggregate_evaluation,
)
from ..formats import (
    Judgment,
    QuestionOutcome,
    ResultsFolder,
    dumps_details,
    dumps_published,
    write_atomic,
)
from ._base import RoundResult, register_emitter

__all__ = ["EvaluationEmitter", "QuestionDetailsEmitter", "evaluation_input"]


def _scored(judgment: Judgment) -> ScoredJudgment:
    return ScoredJudgment(
        judge_key=judgment.judge_id,
        respondent_key=judgment.respondent_id,
        weighted_score=judgment.weighted_score,
        brief_justification=judgment.justification,
        valid=judgment.valid,
    )


def evaluation_input(result: RoundResult, outcome: QuestionOutcome) -> EvaluationInput:
    config = result.plan.config
    task = next(t for t in result.plan.question_tasks if t.task_id == outcome.task_id)
    slot = result.info.evaluations[outcome.task_id]
    rubric = result.plan.rubric
    return EvaluationInput(
        evaluation_id=slot.evaluation_id,
        question_id=task.question_id,
        question_text=task.prompt,
        category=task.category,
        timestamp=slot.timestamp,
        pool=[PoolModel(id=m.id, name=m.name, provider=m.provider) for m in config.models],
        judgments=[_scored(j) for j in outcome.judgments],
        source=config.source,
        license=config.license,
        criteria=", ".join(c.name for c in rubric.criteria) if rubric else "",
        panel=config.judging.panel,
    )


class EvaluationEmitter:
    name = "evaluation"

    def emit(self, result: RoundResult, out_dir: Path) -> list[Path]:
        written = []
        for outcome in result.questions:
            file = aggregate_evaluation(evaluation_input(result, outcome))
            path = ResultsFolder(out_dir).evaluation_path(file.evaluation_id)
            write_atomic(path, dumps_published(file.model_dump(mode="json")))
            written.append(path)
        return written


class QuestionDetailsEmitter:
    """Answers and every judgment, failures and self-judgments included (not a published format)."""

    name = "question-details"

    def emit(self, result: RoundResult, out_dir: Path) -> list[Path]:
        written = []
        for outcome in result.questions:
            path = ResultsFolder(out_dir).details_path(outcome.task_id)
            write_atomic(path, dumps_details(outcome))
            written.append(path)
        return written


register_emitter(EvaluationEmitter())
register_emitter(QuestionDetailsEmitter())
