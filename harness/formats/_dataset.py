"""The "dataset" file of build rounds (FORMATS.md B), field for field and in the published key order.

Python attributes are snake_case; the file's camelCase keys are their aliases, and
dumping uses the aliases by default. Use `load_dataset_file` / `dumps_dataset_file`
to read and write the file itself: they reject snake_case keys in the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from .._errors import FormatError
from .._validation import describe_validation_error
from ._json import dumps_published

__all__ = [
    "NO_VALUE",
    "Tier",
    "Verdict",
    "VerdictCell",
    "DatasetFile",
    "DatasetMeta",
    "DatasetRound",
    "Sample",
    "ScoreboardRow",
    "JudgeRankingRow",
    "SelfBiasRow",
    "AgreementRow",
    "PerImplDetail",
    "ReviewScore",
    "HiddenTest",
    "CostEfficiencyRow",
    "JudgingCostRow",
    "FlatRow",
    "load_dataset_file",
    "dumps_dataset_file",
]

NO_VALUE: Final = "—"
"""What the file shows where a text cell has no value (an em dash)."""

Tier = Literal["self", "expert", "peer"]
"""`self`: the judge wrote the implementation; `expert`: a listed expert judge; else `peer`."""

Verdict = Literal["ship-with-cleanup", "rewrite", "unusable"]
"""The review verdicts of the rubric."""

VerdictCell = Literal["ship-with-cleanup", "rewrite", "unusable", "—"]
"""A verdict as the file shows it: "—" when there is none."""


class _CamelModel(BaseModel):
    """Snake_case attributes, camelCase keys in the file."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_attribute_docstrings=True,
    )


class _SnakeModel(BaseModel):
    """Keys in the file are the attribute names."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Sample(_CamelModel):
    """One generation of one implementation."""

    model: str
    """Implementation (model id) that produced the sample."""
    round: str
    """Date of the round, YYYY-MM-DD."""
    task: str
    """Task name."""
    sample: int = Field(ge=1)
    """1-based index of the sample within the implementation."""
    wall_sec: float | None
    """Wall-clock seconds of the generation."""
    cost_usd: float | None
    """Cost of the generation in US dollars; null if unknown."""
    tokens_total: int | None
    """All tokens of the generation, cache reads included."""
    input_tokens: int | None
    """Uncached input tokens."""
    output_tokens: int | None
    """Output tokens."""
    cache_read_tokens: int | None
    """Input tokens read from the provider's cache."""
    loc: int | None
    """Non-blank, non-comment lines of the entrypoint; null if not measured."""
    test_exit_code: int | None
    """Exit code of the hidden-test run; null if the tests did not run."""
    model_slug: str
    """Provider slug of the model, e.g. "opencode-go/glm-5.1"."""


class ScoreboardRow(_CamelModel):
    """Medians of the review scores of one implementation."""

    impl: str
    """Implementation (model id)."""
    hard_fail: bool
    """True iff every review that gave a verdict passed the hard-fail gates (true = passed)."""
    spec_all: float | None
    """Median spec score over all non-self reviews."""
    spec_expert: float | None
    """Median spec score over expert reviews; null if none."""
    spec_peer: float | None
    """Median spec score over peer reviews."""
    quality_all: float | None
    """Median quality score over all non-self reviews."""
    quality_expert: float | None
    """Median quality score over expert reviews; null if none."""
    quality_peer: float | None
    """Median quality score over peer reviews."""
    tests: str
    """Hidden tests as "passed/total"."""
    verdict: VerdictCell
    """Most common verdict over all reviews (self included), ties to the earliest judge."""


class JudgeRankingRow(_CamelModel):
    """The three implementations one judge scored highest on spec."""

    judge: str
    """Judge (model id)."""
    first: str
    """"impl (spec)" of the highest spec score, or "—"."""
    second: str
    """"impl (spec)" of the second highest spec score, or "—"."""
    third: str
    """"impl (spec)" of the third highest spec score, or "—"."""


class SelfBiasRow(_CamelModel):
    """How an implementation's own model scored it against its peers."""

    impl: str
    """Implementation (model id)."""
    self_spec: float | None
    """Spec score the implementation's own model gave it."""
    peer_med_spec: float | None
    """Median spec score over peer reviews."""
    delta_spec: float | None
    """self_spec - peer_med_spec."""
    self_qual: float | None
    """Quality score the implementation's own model gave it."""
    peer_med_qual: float | None
    """Median quality score over peer reviews."""
    delta_qual: float | None
    """self_qual - peer_med_qual."""


class AgreementRow(_CamelModel):
    """Spread of the spec scores of one implementation over all judges (self included)."""

    impl: str
    """Implementation (model id)."""
    min_spec: float | None
    """Lowest spec score."""
    max_spec: float | None
    """Highest spec score."""
    spec_range: float | None = Field(validation_alias="range", serialization_alias="range")
    """max_spec - min_spec (key "range")."""
    stdev: float | None
    """Sample standard deviation of the spec scores, 2 decimals."""
    judges: str
    """Judges that gave a spec score, comma-separated in judge order."""


class ReviewScore(_CamelModel):
    """One judge's review of one implementation, as published."""

    judge: str
    """Judge (model id)."""
    tier: Tier
    """Tier of the review."""
    hard_fail: bool
    """True = the implementation passed the hard-fail gates; false also for a judge that produced nothing."""
    spec: float | None
    """Spec score 0-10."""
    quality: float | None
    """Quality score 0-20."""
    verdict: VerdictCell
    """Verdict, or "—" when the judge gave none."""
    note: str
    """The judge's note, cut to 77 characters + "..." when longer than 80; "—" when none."""


class HiddenTest(_CamelModel):
    """Outcome of one hidden test on the judged sample."""

    name: str
    """Test name."""
    passed: bool
    """Whether the test passed."""


class PerImplDetail(_CamelModel):
    """Every review of one implementation and its hidden-test results."""

    impl: str
    """Implementation (model id)."""
    run_path: str
    """Path of the judged run, e.g. "builds/glm/rounds/sandbox-2026-05-05-r3"."""
    scores: list[ReviewScore]
    """One review per judge, in judge order."""
    hidden_tests: list[HiddenTest]
    """Hidden tests of the judged sample, sorted by name."""
    notes: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)
    """Ours, present only when there is something to say: the sandbox's integrity verdict when it is
    not "ok" (`integrity: tampered`, ...) and its evidence, files of the reply that were ignored."""


class CostEfficiencyRow(_CamelModel):
    """Cost figures of the judged (last) sample of one implementation."""

    impl: str
    """Implementation (model id)."""
    model_slug: str
    """Provider slug in backticks, e.g. "`opencode-go/glm-5.1`"; "—" if unknown."""
    loc: int | None
    """Lines of code of the entrypoint."""
    wall_clock: str
    """Wall-clock time as "XmYYs" (whole seconds, rounded down); "—" if unknown."""
    tokens: int | None
    """All tokens of the sample."""
    cost_usd: float | None
    """Cost in US dollars, rounded to 2 decimals."""
    tests_passed: str
    """Number of hidden tests passed."""
    cost_per_test: str
    """Unrounded cost / tests passed as "$0.0091"; "—" when no test passed or the cost is unknown."""


class JudgingCostRow(_CamelModel):
    """What judging cost for one judge; "—" where not known."""

    judge: str
    """Judge (model id)."""
    tier: Tier
    """"expert" for a listed expert judge, else "peer"."""
    harness: str | None
    """Agent harness the judge ran in, or "—"."""
    model: str | None
    """Model slug of the judge, or "—"."""
    wall_clock: str | None
    """Wall-clock time of the judging as "XmYYs", or "—"."""
    tokens: int | str | None
    """All tokens spent judging, or "—"."""
    cost_usd: float | str | None
    """Cost of the judging in US dollars (4 decimals), or "—"."""


class DatasetRound(_CamelModel):
    """One build round: one task on one date."""

    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    """Date of the round, YYYY-MM-DD."""
    task: str
    """Task name."""
    samples: list[Sample]
    """Every generation, by implementation then sample index."""
    scoreboard: list[ScoreboardRow]
    """One row per implementation."""
    judge_ranking: list[JudgeRankingRow]
    """One row per judge."""
    self_bias: list[SelfBiasRow]
    """One row per implementation."""
    agreement: list[AgreementRow]
    """One row per implementation."""
    per_impl_detail: list[PerImplDetail]
    """One entry per implementation."""
    cost_efficiency: list[CostEfficiencyRow]
    """One row per implementation."""
    judging_cost: list[JudgingCostRow]
    """One row per judge."""
    cross_model_observations: str
    """Free text for a human reviewer, or a placeholder."""
    recommendation: str
    """Free text for a human reviewer, or a placeholder."""
    spec_changes: str
    """Free text for a human reviewer, or a placeholder."""


class FlatRow(_SnakeModel):
    """One row per (round, implementation) for spreadsheets."""

    round: str
    """Date of the round, YYYY-MM-DD."""
    impl: str
    """Implementation (model id)."""
    model_slug: str | None
    """Provider slug of the model."""
    spec_peer: float | None
    """Median spec score over peer reviews."""
    quality_peer: float | None
    """Median quality score over peer reviews."""
    composite: float | None
    """spec_peer + quality_peer; null if either is null."""
    passed_hard_fail: bool
    """The scoreboard's hardFail."""
    tests: str
    """Hidden tests as "passed/total"."""
    verdict: VerdictCell
    """The scoreboard's verdict."""
    samples: int
    """Number of samples."""
    total_cost_usd: float | None
    """Sum of the samples' costs; null if none is known."""
    total_tokens: int | None
    """Sum of the samples' tokens; null if none is known."""
    median_wall_seconds: float | None
    """Median wall-clock seconds over the samples."""
    median_loc: float | None
    """Median lines of code over the samples."""


class DatasetMeta(_SnakeModel):
    """Provenance and size of the file."""

    generated_at: str
    """When the file was written, ISO 8601 with milliseconds and Z."""
    schema_version: Literal[1]
    """Always 1."""
    license: str
    """License of the data, e.g. "MIT"."""
    source: str
    """Where the data comes from (URL or name)."""
    rounds: int
    """Number of rounds."""
    rows: int
    """Number of flat rows."""


class DatasetFile(_SnakeModel):
    """The whole dataset file."""

    meta: DatasetMeta
    """Provenance and size."""
    rounds: list[DatasetRound]
    """One entry per (date, task)."""
    flat: list[FlatRow]
    """One row per (round, implementation)."""


def load_dataset_file(path: Path) -> DatasetFile:
    """Read and validate a dataset file; keys must be spelled exactly as published."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not a readable JSON file ({exc})") from exc
    try:
        return DatasetFile.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise FormatError(describe_validation_error(path, exc)) from exc


def dumps_dataset_file(dataset: DatasetFile) -> str:
    """The file's text exactly as the source publishes it."""
    return dumps_published(dataset.model_dump(mode="json", by_alias=True))
