"""Judge bias beyond the paper's tables: leniency against the other judges, failure rates, the paired
same-family estimate and self-preference, each with a bootstrap CI over rounds.

Bootstrap convention: resample rounds with replacement (`numpy.random.default_rng`), take the 2.5 and 97.5
percentiles of the resampled estimates; no CI (None) without resamples or with fewer than 2 contributing rounds.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._families import UNKNOWN_FAMILY
from ._model import QuestionRound

__all__ = ["judge_failure_rates", "judge_leniency", "paired_family_bias", "self_bias"]

Row = dict[str, object]


def _percentile_ci(estimates: NDArray[np.float64]) -> tuple[float | None, float | None]:
    """The 2.5 and 97.5 percentiles of the finite bootstrap estimates; (None, None) when there are none."""
    finite = estimates[np.isfinite(estimates)]
    if finite.size == 0:
        return None, None
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def _bootstrap_mean_ci(values: list[float], n_boot: int, rng: np.random.Generator) -> tuple[float | None, float | None]:
    """CI of the mean of per-round `values`, resampling those rounds."""
    if n_boot <= 0 or len(values) < 2:
        return None, None
    data = np.asarray(values, dtype=np.float64)
    picks = rng.integers(0, data.size, size=(n_boot, data.size))
    return _percentile_ci(data[picks].mean(axis=1))


def _resample_weights(n_rounds: int, n_boot: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """`weights[b, r]`: how many times round r is drawn in resample b (rounds drawn with replacement)."""
    picks = rng.integers(0, n_rounds, size=(n_boot, n_rounds))
    flat = (np.arange(n_boot)[:, None] * n_rounds + picks).ravel()
    return np.bincount(flat, minlength=n_boot * n_rounds).reshape(n_boot, n_rounds).astype(np.float64)


def _highest_first(ranked: list[tuple[float, Row]]) -> list[Row]:
    """The rows by their sort value, highest first; ties keep key order."""
    return [row for _, row in sorted(ranked, key=lambda pair: -pair[0])]


def _usable_scores_by_answer(round_: QuestionRound) -> dict[str, dict[str, list[float]]]:
    """Respondent key -> judge key -> the usable scores that judge gave that answer."""
    by_answer: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for j in round_.judgments:
        if j.usable and j.score is not None:
            by_answer[j.respondent_key][j.judge_key].append(j.score)
    return by_answer


def _leniency_differences(round_: QuestionRound) -> dict[str, list[float]]:
    """Judge key -> per answer it judged alongside other judges: its score minus the other judges' mean score
    (each judge's scores of one answer averaged first)."""
    differences: dict[str, list[float]] = defaultdict(list)
    for by_judge in _usable_scores_by_answer(round_).values():
        if len(by_judge) < 2:
            continue
        judge_means = {judge: statistics.fmean(scores) for judge, scores in by_judge.items()}
        total = sum(judge_means.values())
        others = len(judge_means) - 1
        for judge, own in judge_means.items():
            differences[judge].append(own - (total - own) / others)
    return differences


def judge_leniency(rounds: list[QuestionRound], n_boot: int, seed: int) -> dict[str, dict[str, float | int | None]]:
    """Per judge key: `offset`, the mean over the answers it judged of its score minus the mean score the other
    judges gave the same answer (answers no other judge scored are left out); `n`, the answers used;
    `ci_low`, `ci_high`, its bootstrap CI over rounds (`default_rng(seed)`, `n_boot` resamples)."""
    per_round = [_leniency_differences(round_) for round_ in rounds]
    judges = sorted({judge for differences in per_round for judge in differences})
    if not judges:
        return {}
    column = {judge: index for index, judge in enumerate(judges)}
    sums = np.zeros((len(rounds), len(judges)))
    counts = np.zeros((len(rounds), len(judges)))
    for row, differences in enumerate(per_round):
        for judge, values in differences.items():
            sums[row, column[judge]] = sum(values)
            counts[row, column[judge]] = len(values)
    boot_offsets = np.full((0, len(judges)), np.nan)
    if n_boot > 0:
        weights = _resample_weights(len(rounds), n_boot, np.random.default_rng(seed))
        boot_counts = weights @ counts
        with np.errstate(invalid="ignore", divide="ignore"):
            boot_offsets = np.where(boot_counts > 0, (weights @ sums) / boot_counts, np.nan)
    result: dict[str, dict[str, float | int | None]] = {}
    for judge, index in column.items():
        n = int(counts[:, index].sum())
        contributing_rounds = int((counts[:, index] > 0).sum())
        ci_low, ci_high = (None, None)
        if n_boot > 0 and contributing_rounds >= 2:
            ci_low, ci_high = _percentile_ci(boot_offsets[:, index])
        result[judge] = {"offset": float(sums[:, index].sum() / n), "ci_low": ci_low, "ci_high": ci_high, "n": n}
    return result


def _rounds_recording_failures(rounds: list[QuestionRound]) -> list[QuestionRound]:
    """The rounds read from folders whose rounds record failed judge calls: a folder counts when one of its
    rounds holds a failed judgment or a self-judgment row (raw rounds and run folders keep those, evaluation
    files drop both, so their absence says nothing about the failure rate)."""
    recording = {
        Path(round_.source).parent
        for round_ in rounds
        if any(j.failed or j.is_self for j in round_.judgments)
    }
    return [round_ for round_ in rounds if Path(round_.source).parent in recording]


def judge_failure_rates(rounds: list[QuestionRound]) -> dict[str, dict[str, float | int]]:
    """Per judge key with a non-self judgment in the rounds that record failures: `failures` (its judgments
    that produced no usable score), `asked` (its non-self judgments) and `rate` (failures / asked)."""
    failures: dict[str, int] = defaultdict(int)
    asked: dict[str, int] = defaultdict(int)
    for round_ in _rounds_recording_failures(rounds):
        for j in round_.judgments:
            if j.is_self:
                continue
            asked[j.judge_key] += 1
            if j.failed:
                failures[j.judge_key] += 1
    return {
        judge: {"failures": failures[judge], "asked": count, "rate": failures[judge] / count}
        for judge, count in sorted(asked.items())
    }


def _same_minus_other_by_round(rounds: list[QuestionRound], families: Mapping[str, str]) -> dict[str, list[float]]:
    """Judge key -> per round where it scored both a same-family and an other-family answer alongside other
    judges: the mean of its relative scores (its score minus the other judges' mean on the same answer) on
    same-family answers minus that mean on other-family answers.

    Relative scores take out how good each answer is (the other judges saw the same answer), and the
    within-round difference takes out the question: what is left is the judge's family premium.
    """
    differences: dict[str, list[float]] = defaultdict(list)
    for round_ in rounds:
        same: dict[str, list[float]] = defaultdict(list)
        other: dict[str, list[float]] = defaultdict(list)
        for respondent, by_judge in _usable_scores_by_answer(round_).items():
            if len(by_judge) < 2:
                continue
            judge_means = {judge: statistics.fmean(scores) for judge, scores in by_judge.items()}
            total = sum(judge_means.values())
            for judge, own in judge_means.items():
                relative = own - (total - own) / (len(judge_means) - 1)
                judge_family = families.get(judge, UNKNOWN_FAMILY)
                target = same if families.get(respondent, UNKNOWN_FAMILY) == judge_family else other
                target[judge].append(relative)
        for judge, same_scores in same.items():
            if judge in other:
                differences[judge].append(statistics.fmean(same_scores) - statistics.fmean(other[judge]))
    return differences


def paired_family_bias(rounds: list[QuestionRound], families: Mapping[str, str], n_boot: int, seed: int) -> list[Row]:
    """Per judge with a round where it scored both its own family and another: `paired_bias`, the mean over
    those rounds of the judge's family premium in the round (`_same_minus_other_by_round`: relative to the
    other judges on the same answers, so neither question difficulty nor answer quality enters); `ci_low`, `ci_high` (bootstrap over those rounds, `default_rng([seed, i])` for the i-th judge
    in key order); `rounds`. Highest `paired_bias` first. Families as in ANALYSIS.md 5.5."""
    ranked: list[tuple[float, Row]] = []
    for index, (judge, values) in enumerate(sorted(_same_minus_other_by_round(rounds, families).items())):
        ci_low, ci_high = _bootstrap_mean_ci(values, n_boot, np.random.default_rng([seed, index]))
        bias = statistics.fmean(values)
        ranked.append(
            (
                bias,
                {
                    "judge": judge,
                    "family": families.get(judge, UNKNOWN_FAMILY),
                    "paired_bias": bias,
                    "ci_low": ci_low,
                    "ci_high": ci_high,
                    "rounds": len(values),
                },
            )
        )
    return _highest_first(ranked)


def _self_minus_peer_median_by_round(rounds: list[QuestionRound]) -> dict[str, list[float]]:
    """Model key -> per round with its self score and a usable peer score of its answer: self score minus the
    median of those peer scores."""
    differences: dict[str, list[float]] = defaultdict(list)
    for round_ in rounds:
        if not round_.self_scores:
            continue
        peer_scores: dict[str, list[float]] = defaultdict(list)
        for j in round_.judgments:
            if j.usable and j.score is not None:
                peer_scores[j.respondent_key].append(j.score)
        for model, own in round_.self_scores.items():
            if peer_scores.get(model):
                differences[model].append(own - statistics.median(peer_scores[model]))
    return differences


def self_bias(rounds: list[QuestionRound], n_boot: int, seed: int) -> list[Row]:
    """Per model with recorded self scores: `self_minus_peer_median`, the mean over its rounds of its self score
    minus the median peer score of its answer; `ci_low`, `ci_high` (bootstrap over those rounds,
    `default_rng([seed, i])` for the i-th model in key order); `rounds`. Highest first; empty without self scores."""
    ranked: list[tuple[float, Row]] = []
    for index, (model, values) in enumerate(sorted(_self_minus_peer_median_by_round(rounds).items())):
        ci_low, ci_high = _bootstrap_mean_ci(values, n_boot, np.random.default_rng([seed, index]))
        bias = statistics.fmean(values)
        ranked.append(
            (
                bias,
                {
                    "model_key": model,
                    "self_minus_peer_median": bias,
                    "ci_low": ci_low,
                    "ci_high": ci_high,
                    "rounds": len(values),
                },
            )
        )
    return _highest_first(ranked)
