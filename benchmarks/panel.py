"""Panel judging on real data (run by hand): how far rankings move when each answer gets k judges, not all N-1.

    python benchmarks/panel.py [--k 3 5 7] [--seeds 5] [--rounds DIR]

For every raw Multivac round of ../shared/data/multivac-all/ (286), each answer's judgments are cut down to the
k judges the harness's own design assigns (`harness.plan.question_panels`, the round's judges, seeded), and the
round is ranked again by FORMATS.md A's rules (`harness.aggregate.aggregate_evaluation`, with the 80% rule on
the k judges assigned). Against the same rounds ranked on their full matrix it prints, per k:

- the judge calls kept: judge calls the panel makes / judge calls the full matrix made (failures included);
- Kendall tau (scipy.stats.kendalltau, tau-b) of each round's ranking (the models' average scores): median
  over rounds, and the 25th-75th percentiles;
- Kendall tau of the cross-round leaderboard (ANALYSIS.md Table 5.1's avg_score, `harness.analysis.leaderboard_table`);
- how often the round's winner (80% rule) is the full matrix's.

Each figure is computed for seeds 0..S-1 and the median over seeds printed (with the range of the cross-round
tau). A round whose answers have at most k judges available (pools of 8 with k = 7, rounds with no judgment)
keeps all of its judgments. Each round is its own round of one question (its task id: the evaluation id, as
`harness import multivac` names it), so its panels are drawn by the design with that task id and the seed.
Target: k = 5 keeps the cross-round tau >= 0.9 at <= 60% of the judge calls.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import kendalltau

from harness.aggregate import EvaluationInput, PoolModel, ScoredJudgment, aggregate_evaluation
from harness.analysis import QuestionRound, RankingRow, leaderboard_table
from harness.formats import SELF_JUDGMENT_EXCLUDED
from harness.formats._evaluation import EvaluationFile
from harness.formats._rules import counts_in_rankings
from harness.importers import RawMultivacRound
from harness.plan import available_judges, question_panels

ROUNDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "multivac-all"


@dataclass(frozen=True)
class Matrix:
    """One raw round's full judgment matrix, as FORMATS.md A reads it."""

    raw: RawMultivacRound
    pool: list[str]
    judges: list[str]
    """Models that judged in the source, pool order."""
    judgments: list[ScoredJudgment]
    """Every judge call the source made (self-judgments, never called, left out), failures included."""


@dataclass(frozen=True)
class Measure:
    k: int
    seed: int
    calls_kept: int
    calls_full: int
    round_taus: list[float]
    cross_tau: float
    same_winner: float
    capped_rounds: int


def load_matrices(folder: Path) -> list[Matrix]:
    paths = sorted(p for p in folder.glob("EVAL-*.json") if not p.name.endswith(".model_metadata.json"))
    return [matrix_of(RawMultivacRound.model_validate_json(p.read_bytes())) for p in paths]


def matrix_of(raw: RawMultivacRound) -> Matrix:
    keys = raw.models_used + [r.model_key for r in raw.responses]
    keys += [k for j in raw.judgments for k in (j.judge_key, j.respondent_key)]
    pool = list(dict.fromkeys(keys))
    judged_by = {j.judge_key for j in raw.judgments}
    judgments = [
        ScoredJudgment(
            judge_key=j.judge_key,
            respondent_key=j.respondent_key,
            weighted_score=j.weighted_score,
            brief_justification=j.brief_justification or "",
            valid=j.error is None and counts_in_rankings(j.judge_key, j.respondent_key, j.weighted_score),
        )
        for j in raw.judgments
        if j.error != SELF_JUDGMENT_EXCLUDED and j.judge_key != j.respondent_key
    ]
    return Matrix(raw=raw, pool=pool, judges=[m for m in pool if m in judged_by], judgments=judgments)


def panel_judgments(matrix: Matrix, k: int, seed: int) -> tuple[list[ScoredJudgment], int | None]:
    """The judgments the design keeps for a panel of k (the panel size used: None when the full matrix is kept)."""
    if not matrix.judges or k >= available_judges(matrix.pool, matrix.judges):
        return matrix.judgments, None
    assigned = question_panels(matrix.pool, matrix.judges, k, seed, [matrix.raw.evaluation_id])[0]
    return [j for j in matrix.judgments if j.judge_key in assigned[j.respondent_key]], k


def evaluate(matrix: Matrix, judgments: list[ScoredJudgment], panel: int | None) -> EvaluationFile:
    raw = matrix.raw
    return aggregate_evaluation(
        EvaluationInput(
            evaluation_id=raw.evaluation_id,
            question_id=raw.question_id,
            question_text=raw.question_text,
            category=raw.category,
            timestamp=raw.timestamp,
            pool=[PoolModel(id=m, name=m, provider="") for m in matrix.pool],
            judgments=judgments,
            source="benchmark",
            license="-",
            panel=panel,
        )
    )


def _question_round(file: EvaluationFile) -> QuestionRound:
    rankings = [RankingRow(key, e.display_name, e.average_score, e.rank) for key, e in file.rankings.items()]
    return QuestionRound(evaluation_id=file.evaluation_id, category=file.category, source="", rankings=rankings, judgments=[])


def leaderboard(files: Sequence[EvaluationFile]) -> dict[str, float]:
    """ANALYSIS.md Table 5.1's avg_score per model key, over the rounds."""
    rows = leaderboard_table([_question_round(f) for f in files])
    return {str(r["model_key"]): float(score) for r in rows if isinstance(score := r["avg_score"], (int, float))}


def tau(a: dict[str, float], b: dict[str, float]) -> float | None:
    keys = [key for key in a if key in b]
    if len(keys) < 2:
        return None
    value = kendalltau([a[key] for key in keys], [b[key] for key in keys]).statistic
    return None if math.isnan(value) else float(value)  # NaN: one side constant


def _scores(file: EvaluationFile) -> dict[str, float]:
    return {key: entry.average_score for key, entry in file.rankings.items()}


def _winner(file: EvaluationFile) -> str | None:
    return file.winner.name if file.winner else None


def measure(matrices: Sequence[Matrix], full: Sequence[EvaluationFile], k: int, seed: int) -> Measure:
    kept = total = capped = same = 0
    files, taus = [], []
    for matrix, reference in zip(matrices, full):
        judgments, panel = panel_judgments(matrix, k, seed)
        capped += panel is None
        kept += len(judgments)
        total += len(matrix.judgments)
        file = evaluate(matrix, judgments, panel)
        files.append(file)
        same += _winner(file) == _winner(reference)
        if (value := tau(_scores(reference), _scores(file))) is not None:
            taus.append(value)
    cross = tau(leaderboard(full), leaderboard(files))
    return Measure(k, seed, kept, total, taus, cross if cross is not None else float("nan"), same / len(matrices), capped)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q * 100) - 1] if len(ordered) > 1 else ordered[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, nargs="+", default=[3, 5, 7], help="panel sizes")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..S-1 of the design")
    parser.add_argument("--rounds", type=Path, default=ROUNDS, help="folder of raw Multivac rounds")
    args = parser.parse_args()
    if not args.rounds.is_dir():
        sys.exit(f"{args.rounds}: not present")
    matrices = load_matrices(args.rounds)
    full = [evaluate(m, m.judgments, None) for m in matrices]
    print(f"{len(matrices)} rounds, {sum(len(m.judgments) for m in matrices):,} judge calls in their full matrices; seeds 0..{args.seeds - 1}")
    print(f"{'k':>3}  {'calls kept':>10}  {'per-round tau: median [p25, p75]':>33}  {'cross-round tau: median [min, max]':>35}  {'same winner':>11}")
    results: dict[int, tuple[float, float]] = {}
    for k in args.k:
        runs = [measure(matrices, full, k, seed) for seed in range(args.seeds)]
        kept = statistics.median(r.calls_kept / r.calls_full for r in runs)
        medians = [statistics.median(r.round_taus) for r in runs]
        p25 = statistics.median(_quantile(r.round_taus, 0.25) for r in runs)
        p75 = statistics.median(_quantile(r.round_taus, 0.75) for r in runs)
        cross = [r.cross_tau for r in runs]
        same = statistics.median(r.same_winner for r in runs)
        results[k] = (statistics.median(cross), kept)
        print(
            f"{k:>3}  {kept:>10.1%}  {statistics.median(medians):>14.3f} [{p25:.3f}, {p75:.3f}]{'':>4}"
            f"  {statistics.median(cross):>16.3f} [{min(cross):.3f}, {max(cross):.3f}]{'':>5}  {same:>11.1%}"
            + (f"   ({runs[0].capped_rounds} rounds keep every judgment: at most {k} judges per answer, or none)" if runs[0].capped_rounds else "")
        )
    if 5 in results:
        cross_tau, kept_fraction = results[5]
        verdict = "met" if cross_tau >= 0.9 and kept_fraction <= 0.6 else "MISSED"
        print(f"target k = 5: cross-round tau {cross_tau:.3f} >= 0.9 at {kept_fraction:.1%} <= 60% of the judge calls: {verdict}")


if __name__ == "__main__":
    main()
