"""Judgments: what the judging stage hands to aggregation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Judgment", "SELF_JUDGMENT_EXCLUDED"]

SELF_JUDGMENT_EXCLUDED = "self_judgment_excluded"


class Judgment(BaseModel):
    """One judge's verdict on one answer (pointwise)."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    judge_id: str
    respondent_id: str
    scores: dict[str, float] | None = None
    """Criterion scores; None when the judge failed."""
    weighted_score: float | None = None
    justification: str = ""
    error: str | None = None
    """Why there is no usable score (provider failure, unusable reply, self-judgment skipped)."""
    masked_terms: list[str] = []
    """Identity terms masked in the answer before this judge read it."""
    repaired: bool = False
    """The first reply was unusable and the repair re-ask gave a usable one."""

    @property
    def is_self(self) -> bool:
        return self.judge_id == self.respondent_id

    @property
    def valid(self) -> bool:
        """Counts in rankings (FORMATS.md A): not self, parsed, 0 < score <= 10."""
        return (
            not self.is_self
            and self.error is None
            and self.weighted_score is not None
            and 0 < self.weighted_score <= 10
        )
