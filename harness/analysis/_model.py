"""What the analysis reads: question rounds and build rounds, normalised from every input kind."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AnalysisInput", "BuildImpl", "BuildReview", "BuildRound", "JudgmentRow", "QuestionRound", "RankingRow"]


@dataclass(frozen=True)
class RankingRow:
    """One model's entry in a round's `rankings`, as stored in the input file."""

    key: str
    display_name: str
    average_score: float | None
    rank: int | None


@dataclass(frozen=True)
class JudgmentRow:
    """One judgment of a question round. Raw rounds hold failures and self-judgments; evaluation files do not."""

    judge_key: str
    judge_name: str
    respondent_key: str
    respondent_name: str
    score: float | None
    """The weighted score; None when absent."""
    error: str | None = None

    @property
    def usable(self) -> bool:
        """ANALYSIS.md: judge and respondent differ, no error, a score present and > 0."""
        return self.judge_key != self.respondent_key and self.error is None and self.score is not None and self.score > 0

    @property
    def is_self(self) -> bool:
        return self.judge_key == self.respondent_key

    @property
    def failed(self) -> bool:
        """A judge call that produced no usable score (not a self-judgment that was skipped)."""
        return not self.is_self and (self.error is not None or self.score is None)


@dataclass(frozen=True)
class QuestionRound:
    """One evaluation (one question)."""

    evaluation_id: str
    category: str
    source: str
    """The file it was read from."""
    rankings: list[RankingRow]
    """In the file's order."""
    judgments: list[JudgmentRow]
    self_scores: dict[str, float] = field(default_factory=dict)
    """Model key -> the score it gave itself, where self-judgments were recorded (`self_judgment: record`)."""
    providers: dict[str, str] = field(default_factory=dict)
    """Model key -> LiteLLM model string or provider label, where the input says (family defaults)."""


@dataclass(frozen=True)
class BuildReview:
    judge: str
    tier: str
    hard_fail: bool | None
    """True = the judge says the implementation passed the hard-fail gates (FORMATS.md B); None: no verdict."""
    spec: float | None
    quality: float | None


@dataclass(frozen=True)
class BuildImpl:
    impl: str
    model_slug: str | None
    tests_passed: int
    tests_total: int
    reviews: list[BuildReview]

    @property
    def all_tests_passed(self) -> bool:
        return self.tests_total > 0 and self.tests_passed == self.tests_total


@dataclass(frozen=True)
class BuildRound:
    """One (date, task) round of a dataset file."""

    date: str
    task: str
    source: str
    impls: list[BuildImpl]


@dataclass
class AnalysisInput:
    """Everything read from the inputs, question rounds in `evaluation_id` order."""

    questions: list[QuestionRound] = field(default_factory=list)
    builds: list[BuildRound] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Inputs left out with `--skip-bad`, each with its reason."""
