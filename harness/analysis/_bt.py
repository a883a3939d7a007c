"""Bradley-Terry strengths from within-judge, within-question comparisons (ANALYSIS.md), with a bootstrap CI.

Entities are display names. Each (round, judge name) group compares every pair of respondents it scored:
the higher score wins, equal scores give each half a win. The fit is the maximum-likelihood one, per connected component (across components the
likelihood has no maximum), strengths as natural logs normalised to mean 0 (geometric mean 1). The optimiser is scipy's `trust-exact`
with the exact gradient and Hessian (the log-likelihood is concave), and a fit whose gradient is not ~0 is an error.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.sparse.csgraph import connected_components

from ._model import QuestionRound

__all__ = ["MIN_COMPARISONS", "BradleyTerry", "bradley_terry", "fit_strengths"]

MIN_COMPARISONS = 30
"""Entities with fewer comparisons (or fewer usable scores, for the naive mean) are left out."""

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class BradleyTerry:
    rows: list[dict[str, object]]
    """`name, component, naive, naive_rank, bt, bt_rank, bt_ci_low, bt_ci_high`, by component then bt rank."""
    components: int
    separated_pair_fraction: float | None
    """Of the pairs of entities in one component, the fraction whose bootstrap CIs do not overlap."""
    bootstrap: int


def fit_strengths(wins: Matrix, start: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Maximum-likelihood log strengths (mean 0) for `wins[i, j]` = wins of i over j, one connected component
    (`start`: a guess, e.g. the full data's fit when refitting a resample).

    Raises RuntimeError when the optimiser does not converge (no silent iteration cap).
    """
    n = wins.shape[0]
    if n == 1:
        return np.zeros(1)
    games = wins + wins.T
    total_wins = wins.sum(axis=1)

    def probabilities(free: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        theta = np.concatenate(([0.0], free))
        log_p = -np.logaddexp(0.0, -(theta[:, None] - theta[None, :]))  # log P(i beats j)
        return log_p, np.exp(log_p)

    def negative_log_likelihood(free: NDArray[np.float64]) -> float:
        return -float((wins * probabilities(free)[0]).sum())

    def gradient(free: NDArray[np.float64]) -> NDArray[np.float64]:
        p = probabilities(free)[1]
        value: NDArray[np.float64] = -(total_wins - (games * p).sum(axis=1))[1:]
        return value

    def hessian(free: NDArray[np.float64]) -> NDArray[np.float64]:
        p = probabilities(free)[1]
        weight = games * p * p.T
        full = weight - np.diag(weight.sum(axis=1))
        return -full[1:, 1:]

    x0 = np.zeros(n - 1) if start is None else (start[1:] - start[0])
    tolerance = 1e-9 * max(1.0, float(games.sum()))
    result = minimize(
        negative_log_likelihood, x0, jac=gradient, hess=hessian, method="trust-exact", options={"gtol": tolerance, "maxiter": 500}
    )
    if float(np.abs(gradient(result.x)).max()) > 100 * tolerance:
        raise RuntimeError(f"Bradley-Terry fit did not converge: {result.message}")
    theta: NDArray[np.float64] = np.concatenate(([0.0], np.asarray(result.x, dtype=np.float64)))
    centred: NDArray[np.float64] = theta - theta.mean()
    return centred


def _groups(rounds: list[QuestionRound]) -> list[list[dict[str, float]]]:
    """Per round, its comparison groups: judge name -> {respondent name: score}, groups of 2+ only."""
    per_round = []
    for round_ in rounds:
        by_judge: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for j in round_.judgments:
            if j.usable and j.score is not None:
                by_judge[j.judge_name][j.respondent_name].append(j.score)
        per_round.append(
            [{name: sum(scores) / len(scores) for name, scores in group.items()} for group in by_judge.values() if len(group) >= 2]
        )
    return per_round


def _round_wins(groups: list[list[dict[str, float]]], index: dict[str, int]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per round win matrices over `index`'s entities, and per-entity comparison counts (all rounds)."""
    n = len(index)
    stack = np.zeros((len(groups), n, n))
    counts = np.zeros(n, dtype=np.int64)
    for r, round_groups in enumerate(groups):
        for group in round_groups:
            members = [(index[name], score) for name, score in group.items() if name in index]
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    (i, si), (k, sk) = members[a], members[b]
                    counts[i] += 1
                    counts[k] += 1
                    if si > sk:
                        stack[r, i, k] += 1
                    elif sk > si:
                        stack[r, k, i] += 1
                    else:
                        stack[r, i, k] += 0.5
                        stack[r, k, i] += 0.5
    return stack, counts


def _components(stack: NDArray[np.float64]) -> NDArray[np.int64]:
    """Component label per entity, 0 for the largest component, 1 for the next, ..."""
    games = stack.sum(axis=0)
    _, labels = connected_components((games + games.T) > 0, directed=False)
    sizes = np.bincount(labels)
    order = sorted(range(len(sizes)), key=lambda c: (-sizes[c], c))
    relabel = {old: new for new, old in enumerate(order)}
    return np.array([relabel[label] for label in labels], dtype=np.int64)


def _ranks(values: dict[str, float]) -> dict[str, int]:
    ordered = sorted(values, key=lambda name: -values[name])
    return {name: position + 1 for position, name in enumerate(ordered)}


def bradley_terry(rounds: list[QuestionRound], n_boot: int, seed: int) -> BradleyTerry:
    groups = _groups(rounds)
    everyone = sorted({name for round_groups in groups for group in round_groups for name in group})
    full_stack, all_counts = _round_wins(groups, {name: i for i, name in enumerate(everyone)})
    kept = [i for i, count in enumerate(all_counts) if count >= MIN_COMPARISONS]
    fitted = [everyone[i] for i in kept]
    index = {name: i for i, name in enumerate(fitted)}
    stack = full_stack[:, kept][:, :, kept]
    labels = _components(stack) if fitted else np.zeros(0, dtype=np.int64)
    members = {c: [i for i in range(len(fitted)) if labels[i] == c] for c in sorted(set(labels.tolist()))}
    wins = stack.sum(axis=0)
    strengths = np.zeros(len(fitted))
    for idx in members.values():
        strengths[idx] = fit_strengths(wins[np.ix_(idx, idx)])
    samples = _bootstrap(stack, members, strengths, n_boot, seed)
    naive_scores: dict[str, list[float]] = defaultdict(list)
    for round_ in rounds:
        for j in round_.judgments:
            if j.usable and j.score is not None:
                naive_scores[j.respondent_name].append(j.score)
    naive = {name: statistics.mean(s) for name, s in naive_scores.items() if len(s) >= MIN_COMPARISONS}
    rows: list[dict[str, object]] = []
    for component, idx in members.items():
        names = [fitted[i] for i in idx if fitted[i] in naive]
        bt = {fitted[i]: float(strengths[i]) for i in idx if fitted[i] in naive}
        naive_rank, bt_rank = _ranks({n: naive[n] for n in names}), _ranks(bt)
        for name in sorted(names, key=lambda n: bt_rank[n]):
            i = index[name]
            column = samples[:, i][~np.isnan(samples[:, i])]
            low, high = (float(np.percentile(column, 2.5)), float(np.percentile(column, 97.5))) if len(column) else (None, None)
            rows.append(
                {
                    "name": name,
                    "component": component,
                    "naive": round(naive[name], 3),
                    "naive_rank": naive_rank[name],
                    "bt": round(bt[name], 3),
                    "bt_rank": bt_rank[name],
                    "bt_ci_low": None if low is None else round(low, 3),
                    "bt_ci_high": None if high is None else round(high, 3),
                }
            )
    return BradleyTerry(rows, len(members), _separated(rows), n_boot)


def _bootstrap(
    stack: NDArray[np.float64], members: dict[int, list[int]], start: NDArray[np.float64], n_boot: int, seed: int
) -> NDArray[np.float64]:
    """`n_boot` refits on rounds resampled with replacement; a component that falls apart in a resample is
    fitted per piece (its values are then not comparable across pieces, which widens the CI, as it should)."""
    rng = np.random.default_rng(seed)
    rounds = stack.shape[0]
    samples = np.full((n_boot, stack.shape[1]), np.nan)
    for b in range(n_boot):
        weights = np.bincount(rng.integers(0, rounds, rounds), minlength=rounds).astype(np.float64)
        wins = np.tensordot(weights, stack, axes=1)
        for idx in members.values():
            sub = wins[np.ix_(idx, idx)]
            games = sub + sub.T
            _, labels = connected_components(games > 0, directed=False)
            for piece in set(labels.tolist()):
                local = [k for k in range(len(idx)) if labels[k] == piece]
                if len(local) < 2:
                    continue  # absent from this resample: no value
                try:
                    where = [idx[k] for k in local]
                    samples[b, where] = fit_strengths(sub[np.ix_(local, local)], start[where])
                except RuntimeError:
                    continue  # no finite maximum in this resample (one side won every comparison)
    return samples


def _separated(rows: list[dict[str, object]]) -> float | None:
    pairs = separated = 0
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            x, y = rows[a], rows[b]
            if x["component"] != y["component"] or None in (x["bt_ci_low"], y["bt_ci_low"]):
                continue
            pairs += 1
            lows, highs = (float(x["bt_ci_low"]), float(y["bt_ci_low"])), (float(x["bt_ci_high"]), float(y["bt_ci_high"]))  # type: ignore[arg-type]
            separated += highs[0] < lows[1] or highs[1] < lows[0]
    return round(separated / pairs, 3) if pairs else None
