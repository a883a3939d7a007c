"""What a build round hands to the dataset aggregation: builds, reviews and judging costs."""

from __future__ import annotations

from collections import Counter
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..formats._dataset import HiddenTest, Verdict

__all__ = ["Review", "BuildSample", "ImplBuild", "JudgeCost", "BuildRoundInput"]


class _InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Review(_InputModel):
    """One judge's review of one implementation. All of hard_fail..note None = the judge produced nothing."""

    judge: str
    """Judge (model id)."""
    impl: str
    """Implementation reviewed (model id)."""
    hard_fail: bool | None = None
    """True = the implementation passed the hard-fail gates."""
    spec: float | None = Field(default=None, ge=0, le=10)
    """Spec score 0-10."""
    quality: float | None = Field(default=None, ge=0, le=20)
    """Quality score 0-20."""
    verdict: Verdict | None = None
    """Verdict of the rubric."""
    note: str | None = None
    """The judge's note, uncut."""


class BuildSample(_InputModel):
    """Measurements of one generation of an implementation."""

    sample: int = Field(ge=1)
    """1-based sample index."""
    wall_sec: float | None = None
    """Wall-clock seconds of the generation."""
    cost_usd: float | None = None
    """Cost in US dollars; None if unknown."""
    tokens_total: int | None = None
    """All tokens, cache reads included."""
    input_tokens: int | None = None
    """Uncached input tokens."""
    output_tokens: int | None = None
    """Output tokens."""
    cache_read_tokens: int | None = None
    """Input tokens read from cache."""
    loc: int | None = None
    """Non-blank, non-comment lines of the entrypoint; None if not measured."""
    test_exit_code: int | None = None
    """Exit code of the hidden-test run; None if it did not run."""


class ImplBuild(_InputModel):
    """Every sample one model built, and the hidden-test results of the judged (last) one."""

    impl: str
    """Implementation name = model id."""
    model_slug: str
    """Provider slug of the model, e.g. "opencode-go/glm-5.1"."""
    run_path: str
    """Path of the judged run."""
    samples: list[BuildSample]
    """Every sample, any order; the highest index is the judged one."""
    hidden_tests: list[HiddenTest]
    """Hidden-test outcomes of the judged sample, any order."""
    notes: list[str] = Field(default_factory=list)
    """The sandbox's integrity notes for the judged sample (published in perImplDetail when any)."""

    @model_validator(mode="after")
    def _unique_sample_indices(self) -> Self:
        repeated = [i for i, n in Counter(s.sample for s in self.samples).items() if n > 1]
        if repeated:
            raise ValueError(f"{self.impl}: sample index repeated: {repeated}")
        return self


class JudgeCost(_InputModel):
    """What judging cost for one judge; None where unknown."""

    judge: str
    """Judge (model id)."""
    harness: str | None = None
    """Agent harness the judge ran in."""
    model: str | None = None
    """Model slug of the judge."""
    wall_seconds: float | None = None
    """Wall-clock seconds spent judging."""
    tokens: int | None = None
    """All tokens spent judging."""
    cost_usd: float | None = None
    """Cost of the judging in US dollars."""


class BuildRoundInput(_InputModel):
    """Everything one build round produced, ready to aggregate."""

    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    """Date of the round, YYYY-MM-DD."""
    task: str
    """Task name."""
    impls: list[ImplBuild]
    """Implementations in impl order."""
    judges: list[str]
    """Judges (model ids) in judge order."""
    expert_judges: frozenset[str] = frozenset()
    """Judges whose reviews are of the expert tier (unless self)."""
    reviews: list[Review]
    """At most one per (judge, impl); a missing one is shown as a dropout."""
    judging_costs: list[JudgeCost] = []
    """At most one per judge; a judge without one is shown with "—"."""
    entrypoint: str | None = None
    """Entrypoint file of the task; named in the recommendation placeholder."""
    cross_model_observations: str | None = None
    """Free text; None = the placeholder."""
    recommendation: str | None = None
    """Free text; None = the placeholder."""
    spec_changes: str | None = None
    """Free text; None = the placeholder."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        impl_names = [b.impl for b in self.impls]
        problems: list[str] = []
        for label, names in (("impl", impl_names), ("judge", self.judges)):
            repeated = sorted(n for n, count in Counter(names).items() if count > 1)
            if repeated:
                problems.append(f"{label} listed twice: {', '.join(repeated)}")
        unknown_experts = sorted(self.expert_judges - set(self.judges))
        if unknown_experts:
            problems.append(f"expert judge not among the judges: {', '.join(unknown_experts)}")
        known_impls, known_judges = set(impl_names), set(self.judges)
        seen_pairs: set[tuple[str, str]] = set()
        for review in self.reviews:
            pair = (review.judge, review.impl)
            if review.judge not in known_judges:
                problems.append(f"review by unknown judge {review.judge!r}")
            if review.impl not in known_impls:
                problems.append(f"review of unknown impl {review.impl!r}")
            if pair in seen_pairs:
                problems.append(f"two reviews of {review.impl!r} by {review.judge!r}")
            seen_pairs.add(pair)
        cost_judges = [c.judge for c in self.judging_costs]
        for judge in cost_judges:
            if judge not in known_judges:
                problems.append(f"judging cost of unknown judge {judge!r}")
        if len(set(cost_judges)) != len(cost_judges):
            problems.append("a judge has two judging costs")
        if problems:
            raise ValueError("; ".join(problems))
        return self
