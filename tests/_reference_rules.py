"""An independent, deliberately plain reading of FORMATS.md A, used to check the harness."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

WEIGHTS = {"correctness": "0.25", "completeness": "0.20", "clarity": "0.20", "depth": "0.20", "usefulness": "0.15"}


def half_up(value: Decimal, places: str = "0.01") -> float:
    return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def expected_from_raw(raw: dict[str, Any]) -> dict[str, Any]:
    """Winner, averages and ranking order that FORMATS.md A gives for a raw round's judgments."""
    valid = []
    for row in raw["judgments"]:
        if row.get("error") is not None or row["judge_key"] == row["respondent_key"]:
            continue
        score = sum(Decimal(w) * Decimal(str(row[c])) for c, w in WEIGHTS.items())
        score = Decimal(str(half_up(score)))
        if 0 < score <= 10:
            valid.append((row["judge_key"], row["respondent_key"], score))
    pool = set(raw["models_used"]) | {r["judge_key"] for r in raw["judgments"]} | {r["respondent_key"] for r in raw["judgments"]}
    need = max(1, int((len(pool) - 1) * 0.8))
    by_model: dict[str, list[Decimal]] = {}
    judges: dict[str, set[str]] = {}
    for judge, respondent, score in valid:
        by_model.setdefault(respondent, []).append(score)
        judges.setdefault(respondent, set()).add(judge)
    means = {k: sum(v) / len(v) for k, v in by_model.items()}
    ranked = sorted(means, key=lambda k: -means[k])
    winner = next((k for k in ranked if len(judges[k]) >= need), None)
    return {
        "matrix_size": len(valid),
        "averages": {k: half_up(m) for k, m in means.items()},
        "counts": {k: len(v) for k, v in by_model.items()},
        "means": means,
        "winner": winner,
        "avg_score": half_up(sum(means.values()) / len(means), "0.001") if means else 0,
    }
