"""The evaluation file of a question round (FORMATS.md A), field order as published."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "EvaluationFile",
    "EvaluationMeta",
    "ModelRef",
    "PublishedJudgment",
    "RankingEntry",
    "Winner",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Winner(_Strict):
    """Highest-ranked model that meets the 80% judge rule."""

    name: str
    """Display name."""
    provider: str
    """Provider label."""
    score: float
    """Its `average_score`."""


class ModelRef(_Strict):
    """A model that received at least one valid judgment."""

    id: str
    """Model key."""
    name: str
    """Display name."""
    provider: str
    """Provider label."""


class RankingEntry(_Strict):
    """A ranked model's figures over the valid judgments it received."""

    display_name: str
    """Display name."""
    provider: str
    """Provider label."""
    average_score: float
    """Mean of valid scores, exact decimal, half-up to 2 places."""
    score_count: int
    """Number of valid judgments received."""
    min_score: float
    """Lowest valid score received."""
    max_score: float
    """Highest valid score received."""
    rank: int
    """1..n by unrounded mean, descending; ties keep first-appearance order."""


class PublishedJudgment(_Strict):
    """A valid judgment (self-judgments and failures are never published)."""

    judge_key: str
    """Judge's model key."""
    judge_name: str
    """Judge's display name."""
    respondent_key: str
    """Judged model's key."""
    respondent_name: str
    """Judged model's display name."""
    weighted_score: float
    """Weighted rubric score, 0 < score <= 10."""
    brief_justification: str
    """Judge's justification, cut to 500 characters."""


class EvaluationMeta(_Strict):
    """About the round and its method."""

    source: str
    """The round's source (configurable)."""
    methodology: str
    """`"<P>x<P> blind peer matrix evaluation"`, P the pool size."""
    criteria: str
    """Criteria names, comma-separated."""
    self_judgments: str
    """Always "excluded from rankings"."""
    license: str
    """The round's license (configurable)."""


class EvaluationFile(_Strict):
    """One question's results."""

    evaluation_id: str
    """`EVAL-YYYYMMDD-HHMMSS` of the round start (UTC)."""
    question_id: str
    """Question identifier."""
    question_text: str
    """The question as asked."""
    category: str
    """Question category."""
    timestamp: str
    """ISO 8601 with milliseconds and Z."""
    display_date: str
    """`%b %d, %Y` of the timestamp."""
    winner: Winner | None
    """Winner by the 80% rule, or null."""
    avg_score: float
    """Mean of ranked models' unrounded means, to 3 decimals."""
    matrix_size: int
    """Number of valid judgments."""
    models_used: list[ModelRef]
    """Models with a valid judgment, by first appearance as respondent in `judgments`."""
    rankings: dict[str, RankingEntry]
    """Keyed by model id, in rank order."""
    judgments: list[PublishedJudgment]
    """Valid judgments only."""
    meta: EvaluationMeta
    """Source, method and license."""
