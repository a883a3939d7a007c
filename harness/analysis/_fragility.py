"""How fragile the top of the leaderboard is: the fewest judgments whose removal changes the leader (greedy),
and how the ranking moves when one judge is left out.

The leaderboard here ranks respondent keys by the mean of the usable scores they received, all rounds
together (ties by key).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from scipy.stats import kendalltau

from ._model import QuestionRound

__all__ = ["MAX_REMOVALS", "fragility"]

MAX_REMOVALS = 200
"""The greedy search gives up after this many removals."""

JudgmentId = tuple[str, str, str]
"""(evaluation_id, judge_key, respondent_key)."""


@dataclass
class _Received:
    """The usable scores one model received, ascending, of which `scores[low:high]` are still in."""

    scores: list[tuple[float, JudgmentId]]
    low: int = 0
    high: int = 0
    total: float = 0.0

    def __post_init__(self) -> None:
        self.scores.sort()
        self.high = len(self.scores)
        self.total = math.fsum(score for score, _ in self.scores)

    @property
    def count(self) -> int:
        return self.high - self.low

    @property
    def mean(self) -> float:
        return self.total / self.count

    def mean_without(self, score: float) -> float:
        """The mean once one score of this value is removed (-inf when it is the last one)."""
        return (self.total - score) / (self.count - 1) if self.count > 1 else -math.inf

    def remove_highest(self) -> JudgmentId:
        self.high -= 1
        score, judgment = self.scores[self.high]
        self.total -= score
        return judgment

    def remove_lowest(self) -> JudgmentId:
        score, judgment = self.scores[self.low]
        self.low += 1
        self.total -= score
        return judgment


def _received_scores(rounds: list[QuestionRound]) -> dict[str, list[tuple[float, JudgmentId]]]:
    """Respondent key -> (score, judgment id) of every usable judgment of its answers."""
    received: dict[str, list[tuple[float, JudgmentId]]] = defaultdict(list)
    for round_ in rounds:
        for j in round_.judgments:
            if j.usable and j.score is not None:
                received[j.respondent_key].append((j.score, (round_.evaluation_id, j.judge_key, j.respondent_key)))
    return received


def _ranked(means: dict[str, float]) -> list[str]:
    """Model keys by mean, highest first, ties by key."""
    return sorted(means, key=lambda key: (-means[key], key))


def _top_two_challengers(models: dict[str, _Received], leader: str) -> tuple[tuple[float, str], tuple[float, str]]:
    """The highest and second-highest (mean, key) among the models other than the leader ((-inf, "") if absent)."""
    first = second = (-math.inf, "")
    for key, received in models.items():
        if key == leader or received.count == 0:
            continue
        entry = (received.mean, key)
        if entry[0] > first[0]:
            first, second = entry, first
        elif entry[0] > second[0]:
            second = entry
    return first, second


def _greedy_removals(rounds: list[QuestionRound]) -> dict[str, object] | None:
    """Remove, one at a time, the usable judgment whose removal leaves the smallest (leader mean - best
    challenger mean): the leader's highest score or one challenger's lowest, until a challenger is strictly
    ahead. `removed` is None when `MAX_REMOVALS` do not change the leader. None with fewer than 2 models."""
    models = {key: _Received(scores) for key, scores in _received_scores(rounds).items()}
    if len(models) < 2:
        return None
    leader = _ranked({key: received.mean for key, received in models.items()})[0]
    removed: list[JudgmentId] = []
    leading = models[leader]
    while len(removed) < MAX_REMOVALS:
        first, second = _top_two_challengers(models, leader)
        best_gap = leading.mean_without(leading.scores[leading.high - 1][0]) - first[0]
        best_move: str | None = None
        for key, received in models.items():
            if key == leader or received.count < 2:
                continue
            lowered = received.mean_without(received.scores[received.low][0])
            gap = leading.mean - max(lowered, second[0] if key == first[1] else first[0])
            if gap < best_gap:
                best_gap, best_move = gap, key
        removed.append(leading.remove_highest() if best_move is None else models[best_move].remove_lowest())
        if leading.count == 0 or _top_two_challengers(models, leader)[0][0] > leading.mean:
            means = {key: received.mean for key, received in models.items() if received.count > 0}
            return {
                "method": "greedy",
                "removed": len(removed),
                "leader_before": leader,
                "leader_after": _ranked(means)[0],
                "removed_judgments": [list(judgment) for judgment in removed],
            }
    return {
        "method": "greedy",
        "removed": None,
        "leader_before": leader,
        "leader_after": None,
        "removed_judgments": [list(judgment) for judgment in removed],
        "note": f"the leader did not change within {MAX_REMOVALS} removals; the search stopped there",
    }


def _leave_one_judge_out(rounds: list[QuestionRound]) -> dict[str, dict[str, object]]:
    """Per judge key: Kendall tau between the full ranking by mean and the one without that judge's judgments,
    over the models in both (`kendall_tau`, None when undefined), `models`, and `top_changes`."""
    total: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    given_total: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    given_count: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for round_ in rounds:
        for j in round_.judgments:
            if j.usable and j.score is not None:
                total[j.respondent_key] += j.score
                count[j.respondent_key] += 1
                given_total[j.judge_key][j.respondent_key] += j.score
                given_count[j.judge_key][j.respondent_key] += 1
    full = {key: total[key] / count[key] for key in total}
    leader = _ranked(full)[0] if full else None
    result: dict[str, dict[str, object]] = {}
    for judge in sorted(given_total):
        without = {
            key: (total[key] - given_total[judge][key]) / (count[key] - given_count[judge][key])
            for key in full
            if count[key] > given_count[judge][key]
        }
        shared = sorted(without)
        tau: float | None = None
        if len(shared) >= 2:
            statistic = float(kendalltau([full[key] for key in shared], [without[key] for key in shared]).statistic)
            tau = None if math.isnan(statistic) else statistic
        result[judge] = {
            "kendall_tau": tau,
            "models": len(shared),
            "top_changes": bool(without) and _ranked(without)[0] != leader,
        }
    return result


def fragility(rounds: list[QuestionRound]) -> dict[str, object]:
    """`fewest_removals_to_change_top`: the greedy search's `method`, `removed` (count, or None past the cap),
    `leader_before`, `leader_after`, `removed_judgments` ([evaluation_id, judge_key, respondent_key]), and
    `note` when capped (None with fewer than 2 models); `leave_one_judge_out`: judge key -> `kendall_tau`,
    `models`, `top_changes`. Rankings are by mean usable score received."""
    return {"fewest_removals_to_change_top": _greedy_removals(rounds), "leave_one_judge_out": _leave_one_judge_out(rounds)}
