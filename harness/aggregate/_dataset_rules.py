"""The rules of FORMATS.md B, one function per derived table row, on the published models."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from ..formats._dataset import (
    NO_VALUE,
    AgreementRow,
    CostEfficiencyRow,
    FlatRow,
    HiddenTest,
    JudgeRankingRow,
    PerImplDetail,
    ReviewScore,
    Sample,
    ScoreboardRow,
    SelfBiasRow,
    Tier,
    VerdictCell,
)
from ..formats._rules import quantize_half_up, round_half_up

__all__ = [
    "NOTE_MAX_CHARS",
    "review_tier",
    "cut_note",
    "round_half_up",
    "format_score",
    "format_wall_clock",
    "format_cost_per_test",
    "median_or_none",
    "last_sample",
    "scoreboard_row",
    "judge_ranking_rows",
    "self_bias_row",
    "agreement_row",
    "cost_efficiency_row",
    "flat_row",
]

NOTE_MAX_CHARS = 80
"""Notes longer than this are cut to NOTE_MAX_CHARS - 3 characters + "..."."""

RANKING_DEPTH = 3


def review_tier(judge: str, impl: str, expert_judges: Collection[str]) -> Tier:
    """`self` beats `expert`: an expert judge reviewing its own implementation is `self`."""
    if judge == impl:
        return "self"
    if judge in expert_judges:
        return "expert"
    return "peer"


def cut_note(note: str | None) -> str:
    """The published note: "—" when empty, else cut to 77 characters + "..." when longer than 80."""
    if note is None or not note.strip():
        return NO_VALUE
    if len(note) > NOTE_MAX_CHARS:
        return note[: NOTE_MAX_CHARS - 3] + "..."
    return note


def format_score(value: float) -> str:
    """A score as JavaScript prints a number: 10 not 10.0, 9.5 as is."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def format_wall_clock(seconds: float | None) -> str:
    """"XmYYs" in whole seconds rounded down (378.9 -> "6m18s"); minutes are not capped at 59."""
    if seconds is None:
        return NO_VALUE
    whole = math.floor(seconds)
    return f"{whole // 60}m{whole % 60:02d}s"


def format_cost_per_test(cost_usd: float | None, tests_passed: int) -> str:
    """Unrounded cost / tests passed, 4 decimals, as "$0.0091"; "—" when nothing passed or cost unknown."""
    if cost_usd is None or tests_passed == 0:
        return NO_VALUE
    return f"${quantize_half_up(cost_usd / tests_passed, 4):.4f}"


def median_or_none(values: Iterable[float | int | None]) -> float | None:
    """statistics.median over the known values; None when there are none."""
    known = [v for v in values if v is not None]
    return float(statistics.median(known)) if known else None


def _difference(a: float | None, b: float | None) -> float | None:
    # Rounded to 2 decimals only to keep float noise (9.3 - 7.1) out of the file.
    return None if a is None or b is None else round_half_up(a - b, 2)


def last_sample(samples: Sequence[Sample]) -> Sample | None:
    """The judged sample: the highest index (the latest listed among equal indices)."""
    best: Sample | None = None
    for sample in samples:
        if best is None or sample.sample >= best.sample:
            best = sample
    return best


def _gave_verdict(score: ReviewScore) -> bool:
    return score.verdict != NO_VALUE


def _tests_cell(hidden_tests: Sequence[HiddenTest]) -> str:
    return f"{sum(t.passed for t in hidden_tests)}/{len(hidden_tests)}"


def _most_common_verdict(scores: Sequence[ReviewScore]) -> VerdictCell:
    """Most common verdict; a tie goes to the verdict the earliest judge gave (scores are in judge order)."""
    counts = Counter(s.verdict for s in scores if _gave_verdict(s))
    if not counts:
        return NO_VALUE
    top = max(counts.values())
    return next(s.verdict for s in scores if _gave_verdict(s) and counts[s.verdict] == top)


def scoreboard_row(detail: PerImplDetail) -> ScoreboardRow:
    """Medians by tier; hardFail over the reviews that gave a verdict (vacuously true when none did)."""
    peer = [s for s in detail.scores if s.tier == "peer"]
    expert = [s for s in detail.scores if s.tier == "expert"]
    not_self = [s for s in detail.scores if s.tier != "self"]
    return ScoreboardRow(
        impl=detail.impl,
        hard_fail=all(s.hard_fail for s in detail.scores if _gave_verdict(s)),
        spec_all=median_or_none(s.spec for s in not_self),
        spec_expert=median_or_none(s.spec for s in expert),
        spec_peer=median_or_none(s.spec for s in peer),
        quality_all=median_or_none(s.quality for s in not_self),
        quality_expert=median_or_none(s.quality for s in expert),
        quality_peer=median_or_none(s.quality for s in peer),
        tests=_tests_cell(detail.hidden_tests),
        verdict=_most_common_verdict(detail.scores),
    )


def judge_ranking_rows(judges: Sequence[str], details: Sequence[PerImplDetail]) -> list[JudgeRankingRow]:
    """Each judge's three highest spec scores (self included), ties in impl name order, "—" past the last."""
    rows = []
    for judge in judges:
        scored = [
            (score.spec, detail.impl)
            for detail in details
            for score in detail.scores
            if score.judge == judge and score.spec is not None
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        cells = [f"{impl} ({format_score(spec)})" for spec, impl in scored[:RANKING_DEPTH]]
        cells += [NO_VALUE] * (RANKING_DEPTH - len(cells))
        rows.append(JudgeRankingRow(judge=judge, first=cells[0], second=cells[1], third=cells[2]))
    return rows


def self_bias_row(detail: PerImplDetail, board: ScoreboardRow) -> SelfBiasRow:
    """The self review against the peer medians of the scoreboard."""
    own = next((s for s in detail.scores if s.tier == "self"), None)
    self_spec = own.spec if own else None
    self_quality = own.quality if own else None
    return SelfBiasRow(
        impl=detail.impl,
        self_spec=self_spec,
        peer_med_spec=board.spec_peer,
        delta_spec=_difference(self_spec, board.spec_peer),
        self_qual=self_quality,
        peer_med_qual=board.quality_peer,
        delta_qual=_difference(self_quality, board.quality_peer),
    )


def agreement_row(detail: PerImplDetail) -> AgreementRow:
    """Spread of every spec score (self included); stdev needs two scores, else null."""
    scored = [s for s in detail.scores if s.spec is not None]
    specs = [s.spec for s in scored if s.spec is not None]
    if not specs:
        return AgreementRow(
            impl=detail.impl, min_spec=None, max_spec=None, spec_range=None, stdev=None, judges=NO_VALUE
        )
    return AgreementRow(
        impl=detail.impl,
        min_spec=min(specs),
        max_spec=max(specs),
        spec_range=_difference(max(specs), min(specs)),
        stdev=round_half_up(statistics.stdev(specs), 2) if len(specs) > 1 else None,
        judges=", ".join(s.judge for s in scored),
    )


def cost_efficiency_row(
    detail: PerImplDetail, judged: Sample | None, model_slug: str | None, loc: int | None
) -> CostEfficiencyRow:
    """Figures of the judged sample; `loc` is passed in because a rescore keeps the file's value."""
    passed = sum(t.passed for t in detail.hidden_tests)
    cost = judged.cost_usd if judged else None
    return CostEfficiencyRow(
        impl=detail.impl,
        model_slug=f"`{model_slug}`" if model_slug else NO_VALUE,
        loc=loc,
        wall_clock=format_wall_clock(judged.wall_sec if judged else None),
        tokens=judged.tokens_total if judged else None,
        cost_usd=None if cost is None else round_half_up(cost, 2),
        tests_passed=str(passed),
        cost_per_test=format_cost_per_test(cost, passed),
    )


def _sum_or_none(values: Iterable[float | int | None]) -> float | int | None:
    # Plain left-to-right float sum, as published (0.07455 + 0.05218 + 0.082 = 0.20873000000000003).
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def flat_row(date: str, board: ScoreboardRow, samples: Sequence[Sample], model_slug: str | None) -> FlatRow:
    """One spreadsheet row of one implementation in one round."""
    composite = (
        None
        if board.spec_peer is None or board.quality_peer is None
        else board.spec_peer + board.quality_peer
    )
    total_tokens = _sum_or_none(s.tokens_total for s in samples)
    return FlatRow(
        round=date,
        impl=board.impl,
        model_slug=model_slug,
        spec_peer=board.spec_peer,
        quality_peer=board.quality_peer,
        composite=composite,
        passed_hard_fail=board.hard_fail,
        tests=board.tests,
        verdict=board.verdict,
        samples=len(samples),
        total_cost_usd=_sum_or_none(s.cost_usd for s in samples),
        total_tokens=None if total_tokens is None else int(total_tokens),
        median_wall_seconds=median_or_none(s.wall_sec for s in samples),
        median_loc=median_or_none(s.loc for s in samples),
    )
