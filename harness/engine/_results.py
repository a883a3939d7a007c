"""What the engine hands to aggregation and emission."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..judging import Judgment
from ..llm import Usage

__all__ = ["Answer", "QuestionOutcome"]


class Answer(BaseModel):
    """One model's answer to a question (or its recorded failure)."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    model_id: str
    text: str | None
    error: str | None
    latency_s: float
    usage: Usage
    cost_usd: float | None


class QuestionOutcome(BaseModel):
    """Everything a question task produced, in canonical (config) order."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    answers: list[Answer]
    judgments: list[Judgment]
    """Judge-major, then respondent, both in pool order; includes failures and self-judgments."""
