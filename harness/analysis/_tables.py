"""The paper's tables, exactly as ANALYSIS.md defines them: leaderboard (5.1), judges (5.3), family bias (5.5)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping

from ._families import UNKNOWN_FAMILY
from ._model import QuestionRound

__all__ = ["family_bias_table", "judges_table", "leaderboard_table"]

Row = dict[str, object]


def _std(values: list[float]) -> float:
    """Sample standard deviation (n-1); 0 for one value."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _sorted(ranked: list[tuple[float, Row]], descending: bool) -> list[Row]:
    """Rows by their sort value; ties keep first-appearance order."""
    return [row for _, row in sorted(ranked, key=lambda pair: -pair[0] if descending else pair[0])]


def leaderboard_table(rounds: list[QuestionRound]) -> list[Row]:
    """Table 5.1: per model key in any round's rankings, over its per-round stored averages and ranks."""
    names: dict[str, str] = {}
    averages: dict[str, list[float]] = defaultdict(list)
    ranks: dict[str, list[int]] = defaultdict(list)
    for round_ in rounds:  # evaluation_id order: the last name read wins
        for entry in round_.rankings:
            names[entry.key] = entry.display_name
            if entry.average_score is not None and entry.average_score > 0:
                averages[entry.key].append(entry.average_score)
            if entry.rank is not None:
                ranks[entry.key].append(entry.rank)
    ranked: list[tuple[float, Row]] = []
    for key, name in names.items():
        scores, places = averages.get(key, []), ranks.get(key, [])
        ranked.append(
            (
                statistics.mean(scores) if scores else float("-inf"),
                {
                    "model_key": key,
                    "display_name": name,
                    "avg_score": round(statistics.mean(scores), 3) if scores else None,
                    "median_score": round(statistics.median(scores), 3) if scores else None,
                    "std_score": round(_std(scores), 3) if scores else None,
                    "evaluations": len(scores),
                    "avg_rank": round(statistics.mean(places), 2) if places else None,
                    "wins_rank1": sum(1 for p in places if p == 1),
                    "top3_finishes": sum(1 for p in places if p <= 3),
                },
            )
        )
    return _sorted(ranked, descending=True)


def judges_table(rounds: list[QuestionRound]) -> list[Row]:
    """Table 5.3: per judge key with a usable judgment, over the scores it gave, strictest first."""
    names: dict[str, str] = {}
    given: dict[str, list[float]] = defaultdict(list)
    for round_ in rounds:
        for j in round_.judgments:
            if j.usable and j.score is not None:
                names[j.judge_key] = j.judge_name
                given[j.judge_key].append(j.score)
    ranked = [
        (
            statistics.mean(scores),
            {
                "judge_key": key,
                "judge_name": names[key],
                "avg_score_given": round(statistics.mean(scores), 3),
                "median_score_given": round(statistics.median(scores), 3),
                "std": round(_std(scores), 3),
                "total_judgments": len(scores),
                "min_given": round(min(scores), 2),
                "max_given": round(max(scores), 2),
            },
        )
        for key, scores in given.items()
    ]
    return _sorted(ranked, descending=False)


def family_bias_table(rounds: list[QuestionRound], families: Mapping[str, str]) -> list[Row]:
    """Table 5.5: per judge, mean score given to its own family minus to the others (the naive difference)."""
    same: dict[str, list[float]] = defaultdict(list)
    other: dict[str, list[float]] = defaultdict(list)
    for round_ in rounds:
        for j in round_.judgments:
            if not j.usable or j.score is None:
                continue
            judge_family = families.get(j.judge_key, UNKNOWN_FAMILY)
            target = same if families.get(j.respondent_key, UNKNOWN_FAMILY) == judge_family else other
            target[j.judge_key].append(j.score)
    ranked: list[tuple[float, Row]] = []
    for judge in same:
        if judge not in other:
            continue
        mean_same, mean_other = statistics.mean(same[judge]), statistics.mean(other[judge])
        ranked.append(
            (
                mean_same - mean_other,
                {
                    "judge": judge,
                    "family": families.get(judge, UNKNOWN_FAMILY),
                    "avg_same_family": round(mean_same, 3),
                    "avg_other_family": round(mean_other, 3),
                    "same_family_bias": round(mean_same - mean_other, 3),
                    "n_same": len(same[judge]),
                    "n_other": len(other[judge]),
                },
            )
        )
    return _sorted(ranked, descending=True)
