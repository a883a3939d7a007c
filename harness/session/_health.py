"""After a run: which models' calls failed for reasons outside the model, and how many judge replies were unusable."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from ..emit import RoundResult
from ..llm import CallRecord, is_auth_error_text

__all__ = ["INFRA_FAILURE_SHARE", "ModelTrouble", "troubled_models", "unusable_replies"]

INFRA_FAILURE_SHARE = 0.25
"""A run whose model had more than this share of its calls fail for infrastructure reasons is not a success."""


class ModelTrouble(BaseModel):
    """A model whose calls failed for reasons outside the model: the run's outputs are incomplete."""

    model_config = ConfigDict(extra="forbid")

    model_id: str
    calls: int
    """The model's calls in the cassette (latest record of each)."""
    infra_failed: int
    """Of them, failed for infrastructure reasons (auth, connection, timeout, 429/5xx after the retries)."""
    auth_failed: int
    """Of them, failed with an authentication or permission error (401/403)."""
    example: str
    """One of the errors, as recorded."""

    def describe(self) -> str:
        why = f"{self.auth_failed} auth error(s)" if self.auth_failed else f"more than {INFRA_FAILURE_SHARE:.0%} failed"
        return f"{self.model_id}: {self.infra_failed} of {self.calls} calls failed outside the model ({why}); e.g. {self.example}"


def troubled_models(records: Iterable[CallRecord], model_ids: list[str]) -> list[ModelTrouble]:
    """Models with any auth failure, or infrastructure failures above `INFRA_FAILURE_SHARE` of their calls."""
    calls = dict.fromkeys(model_ids, 0)
    infra: dict[str, list[CallRecord]] = {model_id: [] for model_id in model_ids}
    for record in records:
        model_id = record.meta.model_id
        calls[model_id] = calls.get(model_id, 0) + 1
        if record.failure_class == "infra":
            infra.setdefault(model_id, []).append(record)
    troubled = []
    for model_id, count in calls.items():
        failed = infra.get(model_id, [])
        auth = [r for r in failed if is_auth_error_text(r.error or "")]
        if auth or len(failed) > INFRA_FAILURE_SHARE * count:
            example = (auth or failed)[0].error or ""
            troubled.append(ModelTrouble(model_id=model_id, calls=count, infra_failed=len(failed), auth_failed=len(auth), example=example))
    return troubled


def unusable_replies(result: RoundResult) -> dict[str, int]:
    """Per judge: judgments and reviews without a usable reply because of the reply itself (after the repair re-ask)."""
    counts: dict[str, int] = {}
    verdicts = [(j.judge_id, j.error) for q in result.questions for j in q.judgments]
    verdicts += [(r.judge_id, r.error) for b in result.builds for r in b.reviews]
    for judge_id, error in verdicts:
        if error is not None and error.startswith("unusable "):
            counts[judge_id] = counts.get(judge_id, 0) + 1
    return counts
