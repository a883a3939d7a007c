"""Aggregate a question's judgments into its evaluation file (FORMATS.md A rules)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ..formats._evaluation import (
    EvaluationFile,
    EvaluationMeta,
    ModelRef,
    PublishedJudgment,
    RankingEntry,
    Winner,
)
from ..formats._rules import counts_in_rankings, round_half_up

__all__ = [
    "EvaluationInput",
    "PoolModel",
    "ScoredJudgment",
    "aggregate_evaluation",
    "methodology",
    "panel_of",
    "qualifying_judges",
    "rescore_evaluation",
]

JUSTIFICATION_LIMIT = 500
CRITERIA = "correctness, completeness, clarity, depth, usefulness"


class PoolModel(BaseModel):
    """A model of the round's pool."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    provider: str


class ScoredJudgment(BaseModel):
    """A judgment as aggregation needs it; `valid` already applies every validity rule."""

    judge_key: str
    respondent_key: str
    weighted_score: float | None
    brief_justification: str
    valid: bool


class EvaluationInput(BaseModel):
    """Everything one evaluation file is computed from."""

    evaluation_id: str
    question_id: str
    question_text: str
    category: str
    timestamp: str
    pool: list[PoolModel]
    """Every model of the round, answer failed or not (P of the 80% rule)."""
    judgments: list[ScoredJudgment]
    source: str
    license: str
    criteria: str = CRITERIA
    panel: int | None = None
    """Judges assigned to each answer (`judging.panel`); None: the full matrix, P - 1 judges per answer."""


def qualifying_judges(pool_size: int, panel: int | None = None) -> int:
    """Distinct valid judges a model needs to win (the 80% rule): 80% of the judges assigned to each answer,
    P - 1 in the full matrix, k with a panel of k."""
    assigned = pool_size - 1 if panel is None else panel
    return max(1, int(assigned * 0.8))


def methodology(pool_size: int, panel: int | None = None) -> str:
    """`meta.methodology`: FORMATS.md A's text, plus the panel size when answers were judged by a panel (ours)."""
    matrix = f"{pool_size}x{pool_size} blind peer matrix evaluation"
    return matrix if panel is None else f"{matrix}, panel of {panel} judges per answer"


_PANEL = re.compile(r"\bpanel of (\d+)\b")


def panel_of(methodology_text: str) -> int | None:
    """The panel size a `meta.methodology` names (None: the full matrix)."""
    found = _PANEL.search(methodology_text)
    return int(found.group(1)) if found else None


def display_date(timestamp: str) -> str:
    parsed = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S")
    return parsed.strftime("%b %d, %Y")


def aggregate_evaluation(inp: EvaluationInput) -> EvaluationFile:
    """Rankings, winner and averages from the valid judgments, in exact decimal arithmetic."""
    models = {m.id: m for m in inp.pool}
    valid = [(j, j.weighted_score) for j in inp.judgments if j.valid and j.weighted_score is not None]
    order: list[str] = []
    for judgment, _ in valid:
        if judgment.respondent_key not in order:
            order.append(judgment.respondent_key)
    received: dict[str, list[Decimal]] = {key: [] for key in order}
    judges_of: dict[str, set[str]] = {key: set() for key in order}
    for judgment, score in valid:
        received[judgment.respondent_key].append(Decimal(str(score)))
        judges_of[judgment.respondent_key].add(judgment.judge_key)
    means = {key: sum(scores, Decimal(0)) / len(scores) for key, scores in received.items()}
    ranked = sorted(order, key=lambda key: -means[key])  # stable: ties keep first appearance
    rankings = {
        key: RankingEntry(
            display_name=models[key].name,
            provider=models[key].provider,
            average_score=round_half_up(means[key], 2),
            score_count=len(received[key]),
            min_score=float(min(received[key])),
            max_score=float(max(received[key])),
            rank=position,
        )
        for position, key in enumerate(ranked, start=1)
    }
    needed = qualifying_judges(len(inp.pool), inp.panel)
    winner_key = next((key for key in ranked if len(judges_of[key]) >= needed), None)
    winner = (
        Winner(name=models[winner_key].name, provider=models[winner_key].provider, score=rankings[winner_key].average_score)
        if winner_key
        else None
    )
    average = sum((means[k] for k in ranked), Decimal(0)) / len(ranked) if ranked else Decimal(0)
    pool_size = len(inp.pool)
    return EvaluationFile(
        evaluation_id=inp.evaluation_id,
        question_id=inp.question_id,
        question_text=inp.question_text,
        category=inp.category,
        timestamp=inp.timestamp,
        display_date=display_date(inp.timestamp),
        winner=winner,
        avg_score=round_half_up(average, 3),
        matrix_size=len(valid),
        models_used=[ModelRef(id=k, name=models[k].name, provider=models[k].provider) for k in order],
        rankings=rankings,
        judgments=[
            PublishedJudgment(
                judge_key=j.judge_key,
                judge_name=models[j.judge_key].name,
                respondent_key=j.respondent_key,
                respondent_name=models[j.respondent_key].name,
                weighted_score=score,
                brief_justification=j.brief_justification[:JUSTIFICATION_LIMIT],
            )
            for j, score in valid
        ],
        meta=EvaluationMeta(
            source=inp.source,
            methodology=methodology(pool_size, inp.panel),
            criteria=inp.criteria,
            self_judgments="excluded from rankings",
            license=inp.license,
        ),
    )


def _pool_of(file: EvaluationFile) -> list[PoolModel]:
    """The published pool: union of models_used and every judge and respondent key."""
    pool: dict[str, PoolModel] = {m.id: PoolModel(id=m.id, name=m.name, provider=m.provider) for m in file.models_used}
    for judgment in file.judgments:
        for key, name in ((judgment.judge_key, judgment.judge_name), (judgment.respondent_key, judgment.respondent_name)):
            if key not in pool:
                provider = file.rankings[key].provider if key in file.rankings else ""
                pool[key] = PoolModel(id=key, name=name, provider=provider)
    return list(pool.values())


def rescore_evaluation(file: EvaluationFile, judgments: Sequence[PublishedJudgment] | None = None) -> EvaluationFile:
    """Recompute every derived field of an evaluation file from its judgments."""
    published = list(judgments if judgments is not None else file.judgments)
    inp = EvaluationInput(
        evaluation_id=file.evaluation_id,
        question_id=file.question_id,
        question_text=file.question_text,
        category=file.category,
        timestamp=file.timestamp,
        pool=_pool_of(file),
        judgments=[
            ScoredJudgment(
                judge_key=j.judge_key,
                respondent_key=j.respondent_key,
                weighted_score=j.weighted_score,
                brief_justification=j.brief_justification,
                valid=counts_in_rankings(j.judge_key, j.respondent_key, j.weighted_score),
            )
            for j in published
        ],
        source=file.meta.source,
        license=file.meta.license,
        criteria=file.meta.criteria,
        panel=panel_of(file.meta.methodology),
    )
    return aggregate_evaluation(inp)
