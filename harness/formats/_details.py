"""The details files of a run folder (`results/details/<task>.json`): everything a round produced, failures included.

Not a published format: the report, `export` and a resumed run read them back. Question tasks hold
answers and every judgment (self-judgments and failures included); build tasks hold every sample's
hidden-test results and every packet review. The engine builds these models; `emit` writes them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..llm._types import Usage
from ._json import dumps_published
from ._rules import counts_in_rankings

__all__ = [
    "SELF_JUDGMENT_EXCLUDED",
    "Answer",
    "BuildOutcome",
    "BuildSampleOutcome",
    "Judgment",
    "PacketReview",
    "QuestionOutcome",
    "ReviewScores",
    "TestOutcome",
    "Verdict",
    "dumps_details",
]

SELF_JUDGMENT_EXCLUDED = "self_judgment_excluded"
"""The `error` of a self-judgment that was not asked (`self_judgment: skip`)."""

Verdict = Literal["ship-with-cleanup", "rewrite", "unusable"]


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
    over_max_tokens: bool = Field(default=False, exclude_if=lambda value: not value)
    """A reply of the judge (ask or repair) used more completion tokens than the request's `max_tokens` (absent: it did not)."""
    latency_s: float = Field(default=0.0, exclude=True)
    """Wall time of the judge's calls (ask and repair). Not written: the cassette holds each call's."""
    usage: Usage = Field(default_factory=Usage, exclude=True)
    """Tokens of the judge's calls, summed. Not written, like `latency_s`."""
    cost_usd: float | None = Field(default=None, exclude=True)
    """Cost of the judge's calls; None when a call has no price. Not written, like `latency_s`."""

    @property
    def is_self(self) -> bool:
        return self.judge_id == self.respondent_id

    @property
    def valid(self) -> bool:
        """Counts in rankings (FORMATS.md A): parsed, and by the format's rule."""
        return self.error is None and counts_in_rankings(self.judge_id, self.respondent_id, self.weighted_score)


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
    over_max_tokens: bool = Field(default=False, exclude_if=lambda value: not value)
    """The reply used more completion tokens than the request's `max_tokens` (absent: it did not)."""


class QuestionOutcome(BaseModel):
    """Everything a question task produced, in canonical (config) order."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    answers: list[Answer]
    judgments: list[Judgment]
    """Judge-major, then respondent, both in pool order; includes failures and self-judgments."""


class TestOutcome(BaseModel):
    """Hidden-test results of one sample, as the dataset needs them."""

    __test__ = False
    model_config = ConfigDict(frozen=True)

    tests: list[tuple[str, bool]]
    """(test name, passed), sorted by name."""
    exit_code: int | None
    timed_out: bool
    integrity: str = Field(default="ok", exclude_if=lambda value: value == "ok")
    """The sandbox's integrity verdict: ok, suspicious, tampered or error (README, "Integrity")."""
    integrity_notes: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)
    """Evidence and reasons behind `integrity`, ignored files, tests that did not pass and why."""
    skipped: int = Field(default=0, exclude_if=lambda value: value == 0)
    """Hidden tests skipped (absent from the file: none)."""
    errors: int = Field(default=0, exclude_if=lambda value: value == 0)
    """Hidden tests that errored in setup or teardown, or were expected and never reported (absent: none)."""
    outcomes: dict[str, str] = Field(default_factory=dict, exclude_if=lambda value: not value)
    """Test name -> outcome, for tests neither passed nor failed: skipped, error, missing (absent: none)."""


class BuildSampleOutcome(BaseModel):
    """One generation, its files and its hidden-test results."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    model_id: str
    sample: int
    """1-based."""
    files: dict[str, str] | None = None
    """None when the reply held no usable implementation. Not in the details file: the files are under `builds/`."""
    error: str | None
    """Why there is no implementation (call failed, no entrypoint)."""
    latency_s: float
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    loc: int | None = None
    tests: TestOutcome | None = None
    over_max_tokens: bool = Field(default=False, exclude_if=lambda value: not value)
    """The generation's reply used more completion tokens than the request's `max_tokens` (absent: it did not)."""


class ReviewScores(BaseModel):
    """One judge's review of one implementation (FORMATS.md B rubric)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    hardFail: bool
    spec: float = Field(ge=0, le=10)
    quality: float = Field(ge=0, le=20)
    verdict: Verdict
    note: str = ""


class PacketReview(BaseModel):
    """What one judge's review call produced for one task."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    judge_id: str
    labels: dict[str, str]
    """Anonymous label -> model id (the recorded mapping)."""
    reviews: dict[str, ReviewScores] = {}
    """Model id -> review; empty when the judge dropped out."""
    error: str | None = None
    """Why the judge is a dropout."""
    repaired: bool = False
    latency_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    over_max_tokens: bool = Field(default=False, exclude_if=lambda value: not value)
    """A reply of the review call (ask or repair) used more completion tokens than the request's `max_tokens` (absent: it did not)."""


class BuildOutcome(BaseModel):
    """Everything a build task produced."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    samples: list[BuildSampleOutcome]
    """Model order, then sample order."""
    reviews: list[PacketReview]
    """Judge order."""


def dumps_details(outcome: QuestionOutcome | BuildOutcome) -> str:
    """The text of a details file (build samples without their files)."""
    if isinstance(outcome, BuildOutcome):
        data = outcome.model_dump(mode="json", exclude={"samples": {"__all__": {"files"}}})
    else:
        data = outcome.model_dump(mode="json")
    return dumps_published(data) + "\n"

