"""The whole analysis: every table of `harness analyze`, from the inputs read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._agreement import agreement
from ._bias import judge_failure_rates, judge_leniency, paired_family_bias, self_bias
from ._bt import bradley_terry
from ._builds import judge_test_agreement, test_calibrated_leaderboard
from ._families import round_families
from ._fragility import fragility
from ._model import AnalysisInput
from ._tables import family_bias_table, judges_table, leaderboard_table

__all__ = ["CSV_TABLES", "analyze"]

CSV_TABLES = ("leaderboard", "bradley_terry", "judges", "family_bias", "self_bias", "build_judges", "build_leaderboard")
"""Tables written as `<name>.csv` (the others are JSON objects)."""


def _judges_with_leniency(rows: list[dict[str, object]], leniency: Mapping[str, Mapping[str, Any]], failures: Mapping[str, Mapping[str, Any]]) -> None:
    for row in rows:
        key = str(row["judge_key"])
        offset = leniency.get(key, {})
        row["leniency"] = _rounded(offset.get("offset"))
        row["leniency_ci_low"] = _rounded(offset.get("ci_low"))
        row["leniency_ci_high"] = _rounded(offset.get("ci_high"))
        row["leniency_answers"] = offset.get("n")
        failed = failures.get(key)
        row["failures"] = failed.get("failures") if failed else None
        row["failure_rate"] = _rounded(failed.get("rate")) if failed else None


def _family_with_paired(rows: list[dict[str, object]], paired: list[dict[str, object]]) -> None:
    by_judge = {str(p["judge"]): p for p in paired}
    for row in rows:
        estimate = by_judge.get(str(row["judge"]), {})
        row["paired_bias"] = _rounded(estimate.get("paired_bias"))
        row["paired_ci_low"] = _rounded(estimate.get("ci_low"))
        row["paired_ci_high"] = _rounded(estimate.get("ci_high"))
        row["paired_rounds"] = estimate.get("rounds")


def _rounded(value: object, places: int = 3) -> object:
    return round(value, places) if isinstance(value, float) else value


def analyze(found: AnalysisInput, *, families: dict[str, str] | None, n_boot: int, seed: int) -> dict[str, Any]:
    """Every table, keyed by name (`CSV_TABLES` are lists of rows), plus `inputs` (what was read)."""
    rounds = found.questions
    family_map = round_families(rounds, families)
    result: dict[str, Any] = {
        "inputs": {
            "question_rounds": len(rounds),
            "build_rounds": len(found.builds),
            "skipped": list(found.skipped),
            "bootstrap": n_boot,
            "seed": seed,
        }
    }
    if rounds:
        judges = judges_table(rounds)
        _judges_with_leniency(judges, judge_leniency(rounds, n_boot, seed), judge_failure_rates(rounds))
        family = family_bias_table(rounds, family_map)
        _family_with_paired(family, paired_family_bias(rounds, family_map, n_boot, seed))
        bt = bradley_terry(rounds, n_boot, seed)
        result |= {
            "leaderboard": leaderboard_table(rounds),
            "bradley_terry": bt.rows,
            "bradley_terry_summary": {
                "components": bt.components,
                "bootstrap": bt.bootstrap,
                "separated_pair_fraction": bt.separated_pair_fraction,
            },
            "judges": judges,
            "family_bias": family,
            "self_bias": self_bias(rounds, n_boot, seed),
            "agreement": agreement(rounds),
            "fragility": fragility(rounds),
        }
    if found.builds:
        build_judges = judge_test_agreement(found.builds)
        result |= {"build_judges": build_judges, "build_leaderboard": test_calibrated_leaderboard(found.builds, build_judges)}
    return result
