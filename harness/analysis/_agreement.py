"""How much judges agree on an answer: Krippendorff's alpha (interval) and the spread of scores per answer.

Units are answers (round, respondent key), raters are judge keys, values the usable scores (a judge's scores
of one answer averaged when it scored it more than once).

The `krippendorff` package builds a units x values x values array (`_coincidences`), which for real weighted
scores (hundreds of distinct values, thousands of answers) takes gigabytes and seconds. For the interval metric
the coincidence sums reduce to per-unit sums of squares, so alpha is computed from the reliability matrix in
closed form here; the tests check it against `krippendorff.alpha` on small data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._model import QuestionRound

__all__ = ["agreement", "interval_alpha", "reliability_matrix"]

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class _UsableScores:
    """Every usable score of the rounds, with the judge and the answer (round index, respondent key) it belongs to."""

    scores: NDArray[np.float64]
    judge_of: NDArray[np.intp]
    answer_of: NDArray[np.intp]
    judges: list[str]
    answers: list[tuple[int, str]]


def _usable_scores(rounds: list[QuestionRound]) -> _UsableScores:
    """The usable scores of `rounds`, judges and answers numbered in order of first appearance."""
    judge_index: dict[str, int] = {}
    answer_index: dict[tuple[int, str], int] = {}
    judge_of: list[int] = []
    answer_of: list[int] = []
    scores: list[float] = []
    for round_number, round_ in enumerate(rounds):
        for j in round_.judgments:
            if j.usable and j.score is not None:
                judge_of.append(judge_index.setdefault(j.judge_key, len(judge_index)))
                answer_of.append(answer_index.setdefault((round_number, j.respondent_key), len(answer_index)))
                scores.append(j.score)
    return _UsableScores(
        scores=np.asarray(scores, dtype=np.float64),
        judge_of=np.asarray(judge_of, dtype=np.intp),
        answer_of=np.asarray(answer_of, dtype=np.intp),
        judges=list(judge_index),
        answers=list(answer_index),
    )


def _matrix(usable: _UsableScores) -> Matrix:
    """Judges x answers, each cell the mean of that judge's scores of that answer, NaN where it gave none."""
    shape = (len(usable.judges), len(usable.answers))
    sums = np.zeros(shape)
    counts = np.zeros(shape)
    np.add.at(sums, (usable.judge_of, usable.answer_of), usable.scores)
    np.add.at(counts, (usable.judge_of, usable.answer_of), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def reliability_matrix(rounds: list[QuestionRound]) -> tuple[Matrix, list[str], list[tuple[int, str]]]:
    """Judges x answers matrix of usable scores (NaN where a judge did not score an answer), with the judge keys
    of its rows and the (round index, respondent key) of its columns."""
    usable = _usable_scores(rounds)
    return _matrix(usable), usable.judges, usable.answers


def _answer_std(usable: _UsableScores) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Per answer: the sample std of all its usable scores (NaN with fewer than 2) and how many there are."""
    size = len(usable.answers)
    counts = np.bincount(usable.answer_of, minlength=size)
    means = np.bincount(usable.answer_of, weights=usable.scores, minlength=size) / np.maximum(counts, 1)
    squares = np.bincount(usable.answer_of, weights=(usable.scores - means[usable.answer_of]) ** 2, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.where(counts >= 2, np.sqrt(squares / (counts - 1)), np.nan)
    return spread, counts


def _pairable(matrix: Matrix) -> Matrix:
    """The columns (units) of a raters x units matrix that hold two or more values."""
    return matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]


def interval_alpha(matrix: Matrix) -> float | None:
    """Krippendorff's alpha, interval metric, of a raters x units matrix (NaN = missing): 1 - D_o / D_e, with
    D_o from the squared differences within units and D_e from those across all pairable values. None when
    fewer than 2 units have 2+ values, or when the pairable values do not vary (alpha is 0/0)."""
    pairable = _pairable(matrix)
    if pairable.shape[1] < 2:
        return None
    present = ~np.isnan(pairable)
    values_per_unit = present.sum(axis=0)
    unit_means = np.nansum(pairable, axis=0) / values_per_unit
    unit_squares = np.nansum((pairable - unit_means) ** 2, axis=0)
    values = pairable[present]
    total_squares = float(((values - values.mean()) ** 2).sum())
    if total_squares <= 0.0:
        return None
    n = values.size
    within = float((values_per_unit * unit_squares / (values_per_unit - 1)).sum())
    return 1.0 - (n - 1) / n * within / total_squares


def agreement(rounds: list[QuestionRound]) -> dict[str, object]:
    """`alpha_overall`: Krippendorff's alpha (interval) over all answers; `alpha_by_category`: category -> alpha
    over that category's answers (None when fewer than 2 answers have 2+ scores); `disagreement_by_category`:
    category -> `mean_judge_std` (mean over answers with 2+ usable scores of their sample std) and `answers`."""
    usable = _usable_scores(rounds)
    matrix = _matrix(usable)
    spread, counts = _answer_std(usable)
    columns_of: dict[str, list[int]] = defaultdict(list)
    for column, (round_number, _) in enumerate(usable.answers):
        columns_of[rounds[round_number].category].append(column)
    disagreement: dict[str, dict[str, float | int | None]] = {}
    for category, columns in sorted(columns_of.items()):
        spreads = spread[columns][counts[columns] >= 2]
        disagreement[category] = {"mean_judge_std": float(spreads.mean()) if spreads.size else None, "answers": int(spreads.size)}
    return {
        "alpha_overall": interval_alpha(matrix),
        "alpha_by_category": {category: interval_alpha(matrix[:, columns]) for category, columns in sorted(columns_of.items())},
        "disagreement_by_category": disagreement,
    }
