"""Rules shared by both published formats: half-up rounding and which judgments count."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["MAX_SCORE", "counts_in_rankings", "quantize_half_up", "round_half_up"]

MAX_SCORE = 10
"""Judgment scores are 0 < score <= MAX_SCORE (FORMATS.md A)."""


def quantize_half_up(value: float | Decimal, digits: int) -> Decimal:
    """`value` to `digits` decimals, halves away from zero, computed on the exact value (a float's exact binary)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def round_half_up(value: float | Decimal, digits: int) -> float:
    """Round as JavaScript's toFixed does for positives (the source prints numbers the JavaScript way).

    Python's round() would send exact halves to even (0.125 -> 0.12 instead of 0.13).
    """
    return float(quantize_half_up(value, digits))


def counts_in_rankings(judge_id: str, respondent_id: str, weighted_score: float | None) -> bool:
    """A judgment counts (FORMATS.md A) when it is not a self-judgment and its score is in (0, 10]."""
    return judge_id != respondent_id and weighted_score is not None and 0 < weighted_score <= MAX_SCORE
