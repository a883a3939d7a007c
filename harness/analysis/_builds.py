"""Build rounds: read from dataset files (FORMATS.md B), and how far the judges' scores agree with the hidden tests.

The hidden tests are the one ground truth a build round has. `judge_test_agreement` measures, per judge, how
well its scores separate implementations that passed all tests from those that did not;
`test_calibrated_leaderboard` re-weights the judges by that measure beside the plain medians.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import FormatError
from ._model import BuildImpl, BuildReview, BuildRound

__all__ = ["build_rounds_from_dataset", "judge_test_agreement", "test_calibrated_leaderboard"]

NO_VALUE = "—"
"""What a dataset file shows where a text cell has no value."""

TIERS = ("self", "peer", "expert")

UNKNOWN_AUC_WEIGHT = 0.5
"""Weight of a judge whose spec AUC cannot be computed (all its reviewed implementations in one class)."""

_TESTS_CELL = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def _number(value: Any) -> float | None:
    """`value` as a float when it is a JSON number (not a bool), else None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _parse_tests(cell: Any, where: str) -> tuple[int, int]:
    """(passed, total) of a `"passed/total"` tests cell."""
    match = _TESTS_CELL.match(cell) if isinstance(cell, str) else None
    if match is None:
        raise FormatError(f'{where}.tests: expected "passed/total", got {cell!r}')
    passed, total = int(match.group(1)), int(match.group(2))
    if passed > total:
        raise FormatError(f"{where}.tests: {cell!r} has more tests passed than run")
    return passed, total


def _slug(value: Any) -> str | None:
    """A model slug cell without its backticks; None when empty or "—"."""
    if not isinstance(value, str):
        return None
    slug = value.strip().strip("`").strip()
    return slug if slug and slug != NO_VALUE else None


def _records(container: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """`container[key]` as a list of objects (an empty list when absent)."""
    value = container.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise FormatError(f"{where}.{key}: expected a list of objects")
    return value


def _review(score: Mapping[str, Any], where: str) -> BuildReview | None:
    """One `perImplDetail[].scores[]` entry as a review; None for a judge that produced nothing.

    The file writes `hardFail: false` for a judge without output too, so `hardFail` counts as a verdict only
    when the entry has a verdict (not "—") or says true. An entry with no spec, no quality and no hard-fail
    verdict is a judge that produced nothing and is left out.
    """
    judge, tier = score.get("judge"), score.get("tier")
    if not isinstance(judge, str) or tier not in TIERS:
        raise FormatError(f"{where}: expected `judge` (text) and `tier` (one of {', '.join(TIERS)})")
    verdict = score.get("verdict")
    raw_hard_fail = score.get("hardFail")
    has_verdict = isinstance(verdict, str) and verdict.strip() not in ("", NO_VALUE)
    hard_fail = raw_hard_fail if isinstance(raw_hard_fail, bool) and (has_verdict or raw_hard_fail) else None
    spec, quality = _number(score.get("spec")), _number(score.get("quality"))
    if spec is None and quality is None and hard_fail is None:
        return None
    return BuildReview(judge=judge, tier=str(tier), hard_fail=hard_fail, spec=spec, quality=quality)


def _round(data: Mapping[str, Any], flat_slugs: Mapping[tuple[str, str], str], source: str, where: str) -> BuildRound:
    """One `rounds[]` entry: its implementations in scoreboard order."""
    date, task = data.get("date"), data.get("task")
    if not isinstance(date, str) or not isinstance(task, str):
        raise FormatError(f"{where}: expected `date` and `task` (text)")
    slugs = {str(row.get("impl")): _slug(row.get("modelSlug")) for row in _records(data, "costEfficiency", where)}
    details = {str(d.get("impl")): d for d in _records(data, "perImplDetail", where)}
    impls = []
    for index, board in enumerate(_records(data, "scoreboard", where)):
        impl = board.get("impl")
        if not isinstance(impl, str):
            raise FormatError(f"{where}.scoreboard[{index}]: expected `impl` (text)")
        passed, total = _parse_tests(board.get("tests"), f"{where}.scoreboard[{index}]")
        detail = details.get(impl, {})
        detail_where = f"{where}.perImplDetail[impl={impl}]"
        reviews = [
            review
            for number, score in enumerate(_records(detail, "scores", detail_where))
            if (review := _review(score, f"{detail_where}.scores[{number}]")) is not None
        ]
        slug = slugs.get(impl) or flat_slugs.get((date, impl))
        impls.append(BuildImpl(impl=impl, model_slug=slug, tests_passed=passed, tests_total=total, reviews=reviews))
    return BuildRound(date=date, task=task, source=source, impls=impls)


def build_rounds_from_dataset(data: Mapping[str, Any], source: str) -> list[BuildRound]:
    """The build rounds of a parsed dataset file (FORMATS.md B), in file order.

    Per round, the implementations in `scoreboard` order, each with its hidden tests (`tests` "p/t"), its
    model slug (from `costEfficiency`, backticks stripped, else from the `flat` row of the same date and
    impl) and its reviews (`perImplDetail[].scores`, judges that produced nothing left out).
    """
    flat_slugs: dict[tuple[str, str], str] = {}
    for row in _records(data, "flat", source):
        slug = _slug(row.get("model_slug"))
        if slug is not None:
            flat_slugs.setdefault((str(row.get("round")), str(row.get("impl"))), slug)
    return [_round(r, flat_slugs, source, f"{source}: rounds[{i}]") for i, r in enumerate(_records(data, "rounds", source))]


def _average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks of `values` in ascending order, tied values sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """ROC AUC of a score as a predictor of the positive class: P(positive > negative), ties counted half.

    Computed from average ranks (the Mann-Whitney U of the positives over n_pos * n_neg); None when either
    class is empty.
    """
    if not positives or not negatives:
        return None
    n_pos = len(positives)
    u_statistic = sum(_average_ranks([*positives, *negatives])[:n_pos]) - n_pos * (n_pos + 1) / 2
    return u_statistic / (n_pos * len(negatives))


def _rounded(value: float | None, places: int = 3) -> float | None:
    """`value` rounded to `places` decimals (the tables' precision); None stays None."""
    return None if value is None else round(value, places)


def _rate(verdicts: Sequence[bool]) -> float | None:
    """Fraction of True among `verdicts`; None when there are none."""
    return sum(verdicts) / len(verdicts) if verdicts else None


def spec_weight(auc_spec: float | None) -> float:
    """A judge's weight in the calibrated leaderboard: max(0, 2 * auc_spec - 1), 0.5 when auc_spec is unknown."""
    return UNKNOWN_AUC_WEIGHT if auc_spec is None else max(0.0, 2 * auc_spec - 1)


def judge_test_agreement(builds: list[BuildRound]) -> list[dict[str, object]]:
    """Per judge, how well its non-self reviews (all rounds together) agree with the hidden tests.

    Rows, sorted by judge: `judge`; `reviews` (number of non-self reviews); `auc_spec`, `auc_quality` (ROC AUC
    of the spec / quality score as a predictor of the implementation passing all its hidden tests, ties
    counted half, over the reviews with that score; None when the judge saw only passing or only failing
    implementations); `passes_failing_rate` (of its hard-fail verdicts on implementations that did not pass
    all tests, the fraction that said "passed"; None when there are none); `fails_passing_rate` (of its
    verdicts on implementations that passed all tests, the fraction that said "failed"; None when none);
    `weight` (for `test_calibrated_leaderboard`: max(0, 2 * auc_spec - 1), so a judge no better than chance
    weighs 0 and a perfect one 1; 0.5 when auc_spec is unknown). An implementation with no hidden tests
    ("0/0") counts as not passing. Figures are rounded to 3 decimals (the weight from the unrounded AUC).
    """
    reviews: dict[str, int] = defaultdict(int)
    scores: dict[tuple[str, str, bool], list[float]] = defaultdict(list)
    verdicts: dict[tuple[str, bool], list[bool]] = defaultdict(list)
    for round_ in builds:
        for impl in round_.impls:
            passing = impl.all_tests_passed
            for review in impl.reviews:
                if review.tier == "self":
                    continue
                reviews[review.judge] += 1
                if review.spec is not None:
                    scores[review.judge, "spec", passing].append(review.spec)
                if review.quality is not None:
                    scores[review.judge, "quality", passing].append(review.quality)
                if review.hard_fail is not None:
                    verdicts[review.judge, passing].append(review.hard_fail)
    rows: list[dict[str, object]] = []
    for judge in sorted(reviews):
        auc_spec = _auc(scores[judge, "spec", True], scores[judge, "spec", False])
        fails_passing = _rate(verdicts[judge, True])
        rows.append(
            {
                "judge": judge,
                "reviews": reviews[judge],
                "auc_spec": _rounded(auc_spec),
                "auc_quality": _rounded(_auc(scores[judge, "quality", True], scores[judge, "quality", False])),
                "passes_failing_rate": _rounded(_rate(verdicts[judge, False])),
                "fails_passing_rate": _rounded(None if fails_passing is None else 1 - fails_passing),
                "weight": _rounded(spec_weight(auc_spec)),
            }
        )
    return rows


def _weighted_mean(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Sum of weight * value over the sum of the weights; None when the weights sum to 0."""
    total_weight = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total_weight if total_weight > 0 else None


def _ranks(values: Sequence[float | None]) -> list[int | None]:
    """Competition ranks, 1 = highest (ties share the better rank); None for a missing value."""
    known = [v for v in values if v is not None]
    return [None if v is None else 1 + sum(other > v for other in known) for v in values]


def _judge_weights(agreement_rows: Sequence[Mapping[str, object]]) -> dict[str, float]:
    """Judge -> its `weight` from `judge_test_agreement` rows."""
    weights: dict[str, float] = {}
    for row in agreement_rows:
        weight = row.get("weight")
        if isinstance(weight, (int, float)) and not isinstance(weight, bool):
            weights[str(row.get("judge"))] = float(weight)
    return weights


def _impl_row(round_: BuildRound, impl: BuildImpl, weights: Mapping[str, float]) -> dict[str, object]:
    """Plain (median) and calibrated (judge-weighted mean) spec and quality of one implementation."""
    peers = [r for r in impl.reviews if r.tier != "self"]
    specs = [r.spec for r in peers if r.spec is not None]
    qualities = [r.quality for r in peers if r.quality is not None]
    spec_pairs = [(r.spec, weights.get(r.judge, UNKNOWN_AUC_WEIGHT)) for r in peers if r.spec is not None]
    quality_pairs = [(r.quality, weights.get(r.judge, UNKNOWN_AUC_WEIGHT)) for r in peers if r.quality is not None]
    return {
        "date": round_.date,
        "task": round_.task,
        "impl": impl.impl,
        "model_slug": impl.model_slug,
        "tests": f"{impl.tests_passed}/{impl.tests_total}",
        "all_tests_passed": impl.all_tests_passed,
        "plain_spec": _rounded(statistics.median(specs) if specs else None),
        "calibrated_spec": _rounded(_weighted_mean(spec_pairs)),
        "plain_quality": _rounded(statistics.median(qualities) if qualities else None),
        "calibrated_quality": _rounded(_weighted_mean(quality_pairs)),
    }


def _rank_key(row: Mapping[str, object]) -> tuple[int, int, str]:
    """Sort key within a round: calibrated rank (missing last), then impl."""
    rank = row["calibrated_rank"]
    return (0, rank, str(row["impl"])) if isinstance(rank, int) else (1, 0, str(row["impl"]))


def test_calibrated_leaderboard(builds: list[BuildRound], agreement_rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per (round, implementation), the plain review scores beside scores weighted by the judges' test agreement.

    Rows: `date`, `task`, `impl`, `model_slug`, `tests` ("p/t"), `all_tests_passed`; `plain_spec` /
    `plain_quality`: median of the non-self reviews' scores (FORMATS.md B's specAll / qualityAll);
    `calibrated_spec` / `calibrated_quality`: mean of the same scores weighted by each judge's `weight` from
    `agreement_rows` (a judge without a row weighs 0.5, like one whose AUC is unknown), None when the weights
    sum to 0; scores rounded to 3 decimals; `plain_rank` / `calibrated_rank`: rank within the round by the
    (rounded) plain / calibrated spec, 1 = best, ties sharing the better rank, None without a score. Sorted by
    round (date, then task) then calibrated rank.
    """
    weights = _judge_weights(agreement_rows)
    rows: list[dict[str, object]] = []
    for round_ in sorted(builds, key=lambda b: (b.date, b.task)):
        round_rows = [_impl_row(round_, impl, weights) for impl in round_.impls]
        for name in ("plain", "calibrated"):
            values = [_number(row[f"{name}_spec"]) for row in round_rows]
            for row, rank in zip(round_rows, _ranks(values)):
                row[f"{name}_rank"] = rank
        rows += sorted(round_rows, key=_rank_key)
    return rows


# pytest collects module-level callables named test_* from modules imported into test files; this is not a test.
test_calibrated_leaderboard.__test__ = False  # type: ignore[attr-defined]
