"""Lookups over one question's answers and judgments, shared by the question views."""

from __future__ import annotations

from collections.abc import Callable

from ..config import RoundConfig
from ..formats import Answer
from ._format import anchor
from ._load import QuestionResult
from ._views import ModelLabel

__all__ = ["QuestionFacts", "model_labeler"]


def model_labeler(config: RoundConfig) -> Callable[[str], ModelLabel]:
    names = {m.id: m.name for m in config.models}
    return lambda model_id: ModelLabel(id=model_id, name=names.get(model_id, model_id))



class QuestionFacts:
    """Lookups over one question's answers and judgments."""

    def __init__(self, result: QuestionResult, config: RoundConfig) -> None:
        self.result = result
        self.label = model_labeler(config)
        self.answer_max_tokens = config.sampling.answer.max_tokens
        self.panel = config.judging.panel
        self.section = anchor("q", result.task_id)
        outcome = result.outcome
        self.judgments = {(j.judge_id, j.respondent_id): j for j in outcome.judgments}
        self.answers: dict[str, Answer] = {a.model_id: a for a in outcome.answers}
        ranked = list(result.evaluation.rankings)
        pool = [m.id for m in config.models] + [a.model_id for a in outcome.answers] + [j.respondent_id for j in outcome.judgments]
        self.respondents = ranked + [m for m in dict.fromkeys(pool) if m not in ranked]
        judge_ids = list(dict.fromkeys(config.judge_ids() + [j.judge_id for j in outcome.judgments]))
        position = {m: i for i, m in enumerate(self.respondents)}
        self.judges = sorted(judge_ids, key=lambda j: position.get(j, len(position)))
        self.criteria = list(dict.fromkeys(name for j in outcome.judgments for name in (j.scores or {})))

    def valid_scores_received(self, respondent: str) -> list[float]:
        return [s for j in self.judges if (s := self.valid_score(j, respondent)) is not None]

    def valid_scores_given(self, judge: str) -> list[float]:
        return [s for r in self.respondents if (s := self.valid_score(judge, r)) is not None]

    def valid_score(self, judge: str, respondent: str) -> float | None:
        judgment = self.judgments.get((judge, respondent))
        return judgment.weighted_score if judgment is not None and judgment.valid else None

    def answer_anchor(self, respondent: str) -> str:
        return anchor(self.section, "answer", respondent)

    def judgment_anchor(self, judge: str, respondent: str) -> str:
        return anchor(self.section, "answer", respondent, "by", judge)

    def winner_id(self) -> str | None:
        winner = self.result.evaluation.winner
        if winner is None:
            return None
        return next((key for key, entry in self.result.evaluation.rankings.items() if entry.display_name == winner.name), None)
