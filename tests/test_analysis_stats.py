"""The analysis' statistics beyond the paper's tables: judge leniency, failure rates, paired family bias, self
bias, agreement and fragility. Hand-checkable cases first, then a seeded simulation with known biases."""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping

import krippendorff
import numpy as np
import pytest
from scipy.stats import kendalltau

from harness.analysis._agreement import agreement, interval_alpha, reliability_matrix
from harness.analysis._bias import judge_failure_rates, judge_leniency, paired_family_bias, self_bias
from harness.analysis._bt import bradley_terry
from harness.analysis._fragility import MAX_REMOVALS, fragility
from harness.analysis._model import JudgmentRow, QuestionRound, RankingRow

Scores = Mapping[tuple[str, str], float | None]
"""(judge key, respondent key) -> weighted score."""


def _round(
    evaluation_id: str,
    scores: Scores,
    *,
    category: str = "reasoning",
    folder: str = "raw",
    errors: Mapping[tuple[str, str], str] | None = None,
    self_scores: dict[str, float] | None = None,
) -> QuestionRound:
    """A round whose judgments are `scores` (plus failed calls `errors`), read from `/inputs/<folder>/`."""
    judgments = [JudgmentRow(judge, judge.upper(), respondent, respondent.upper(), score) for (judge, respondent), score in scores.items()]
    judgments += [JudgmentRow(judge, judge.upper(), respondent, respondent.upper(), None, error) for (judge, respondent), error in (errors or {}).items()]
    models = sorted({key for pair in scores for key in pair})
    return QuestionRound(
        evaluation_id=evaluation_id,
        category=category,
        source=f"/inputs/{folder}/{evaluation_id}.json",
        rankings=[RankingRow(key, key.upper(), None, None) for key in models],
        judgments=judgments,
        self_scores=self_scores or {},
    )


def _row(rows: list[dict[str, object]], key: str, value: str) -> dict[str, object]:
    return next(row for row in rows if row[key] == value)


# Judges a, b, c score answers x and y; a is exactly 1 above b and c, who agree.
LENIENT_A = [
    _round("E1", {("a", "x"): 8.0, ("b", "x"): 7.0, ("c", "x"): 7.0, ("a", "y"): 6.0, ("b", "y"): 5.0, ("c", "y"): 5.0}),
    _round("E2", {("a", "x"): 9.0, ("b", "x"): 8.0, ("c", "x"): 8.0, ("a", "z"): 3.0}),
]


def test_leniency_is_the_offset_from_the_other_judges() -> None:
    offsets = judge_leniency(LENIENT_A, n_boot=50, seed=1)
    # a: 8 - 7, 6 - 5, 9 - 8 on the three shared answers; z (only a scored it) is left out.
    assert offsets["a"]["offset"] == pytest.approx(1.0)
    assert offsets["a"]["n"] == 3
    # b: 7 - (8 + 7) / 2 = -0.5 on every answer.
    assert offsets["b"]["offset"] == pytest.approx(-0.5)
    assert offsets["c"]["offset"] == pytest.approx(-0.5)
    ci_low, ci_high = offsets["a"]["ci_low"], offsets["a"]["ci_high"]
    assert isinstance(ci_low, float) and isinstance(ci_high, float)
    assert ci_low == pytest.approx(1.0) and ci_high == pytest.approx(1.0)


def test_leniency_has_no_ci_without_resamples_or_with_one_round() -> None:
    assert judge_leniency(LENIENT_A, n_boot=0, seed=1)["a"]["ci_low"] is None
    single = judge_leniency(LENIENT_A[:1], n_boot=50, seed=1)["a"]
    assert single["offset"] == pytest.approx(1.0) and single["ci_low"] is None and single["ci_high"] is None


def test_leniency_ignores_unusable_judgments() -> None:
    rounds = [_round("E1", {("a", "x"): 9.0, ("b", "x"): 5.0, ("c", "x"): 0.0, ("x", "x"): 10.0}, errors={("d", "x"): "timeout"})]
    offsets = judge_leniency(rounds, n_boot=0, seed=1)
    assert set(offsets) == {"a", "b"}
    assert offsets["a"]["offset"] == pytest.approx(4.0)


def test_failure_rates_count_failed_calls_of_inputs_that_record_them() -> None:
    raw = _round("E1", {("a", "x"): 8.0, ("b", "x"): 7.0, ("x", "x"): 0.0, ("a", "y"): 6.0}, errors={("b", "y"): "timeout"})
    raw_clean = _round("E2", {("a", "x"): 8.0, ("b", "x"): 7.0})
    evaluation_file = _round("E3", {("a", "x"): 8.0, ("b", "x"): 7.0}, folder="evaluations")
    rates = judge_failure_rates([raw, raw_clean, evaluation_file])
    # E1 and E2 share a folder that records failures; E3's folder holds none, so it says nothing.
    assert rates == {
        "a": {"failures": 0, "asked": 3, "rate": 0.0},
        "b": {"failures": 1, "asked": 3, "rate": pytest.approx(1 / 3)},
    }
    assert judge_failure_rates([evaluation_file]) == {}


FAMILIES = {"a": "fa", "a2": "fa", "b": "fb", "c": "fc"}


def test_paired_family_bias_is_relative_to_the_other_judges_within_a_round() -> None:
    rounds = [
        # a's relative scores: a2 9 - 6 = 3; b 6 - 6 = 0; c 7 - 7 = 0: d = 3 - 0 = 3
        _round("E1", {("a", "a2"): 9.0, ("b", "a2"): 6.0, ("c", "a2"): 6.0, ("a", "b"): 6.0, ("c", "b"): 6.0, ("a", "c"): 7.0, ("b", "c"): 7.0}),
        # a2: 5 - 4 = 1; b: 4 - 5 = -1: d = 2
        _round("E2", {("a", "a2"): 5.0, ("b", "a2"): 4.0, ("a", "b"): 4.0, ("c", "b"): 5.0, ("a", "a"): 10.0}),
        # no other-family answer: not a paired round for a
        _round("E3", {("a", "a2"): 2.0, ("b", "a2"): 2.0}),
    ]
    rows = paired_family_bias(rounds, FAMILIES, n_boot=100, seed=3)
    assert [row["judge"] for row in rows] == ["a"]  # b and c never scored their own family
    row = rows[0]
    assert row["family"] == "fa" and row["rounds"] == 2
    assert row["paired_bias"] == pytest.approx(2.5)
    assert isinstance(row["ci_low"], float) and isinstance(row["ci_high"], float)
    assert 2.0 <= row["ci_low"] <= row["ci_high"] <= 3.0
    assert paired_family_bias(rounds, FAMILIES, n_boot=100, seed=3) == rows


def test_paired_family_bias_counts_unknown_judges_with_unknown_respondents() -> None:
    rounds = [
        _round("E1", {("u", "v"): 8.0, ("b", "v"): 6.0, ("u", "b"): 5.0, ("c", "b"): 5.0}),  # d = 2 - 0
        _round("E2", {("u", "v"): 7.0, ("b", "v"): 6.0, ("u", "b"): 6.0, ("c", "b"): 5.0}),  # d = 1 - 1
    ]
    rows = paired_family_bias(rounds, FAMILIES, n_boot=0, seed=3)
    assert rows == [{"judge": "u", "family": "unknown", "paired_bias": pytest.approx(1.0), "ci_low": None, "ci_high": None, "rounds": 2}]


def test_self_bias_against_the_median_peer_score() -> None:
    rounds = [
        # a's answer got 6, 7, 9 from peers: median 7; a gave itself 9 -> +2
        _round("E1", {("b", "a"): 6.0, ("c", "a"): 7.0, ("d", "a"): 9.0, ("a", "b"): 5.0}, self_scores={"a": 9.0, "b": 4.0}),
        # median of 6 and 8 is 7; a gave itself 7 -> 0
        _round("E2", {("b", "a"): 6.0, ("c", "a"): 8.0}, self_scores={"a": 7.0}),
    ]
    rows = self_bias(rounds, n_boot=50, seed=1)
    assert [row["model_key"] for row in rows] == ["a", "b"]
    assert rows[0]["self_minus_peer_median"] == pytest.approx(1.0) and rows[0]["rounds"] == 2
    assert rows[1]["self_minus_peer_median"] == pytest.approx(-1.0) and rows[1]["ci_low"] is None
    assert self_bias([_round("E3", {("b", "a"): 6.0})], n_boot=50, seed=1) == []


def test_alpha_is_one_when_all_judges_agree() -> None:
    scores = {("a", "x"): 8.0, ("b", "x"): 8.0, ("c", "x"): 8.0, ("a", "y"): 4.0, ("b", "y"): 4.0, ("c", "y"): 4.0}
    rounds = [_round("E1", scores), _round("E2", {key: value - 1.0 for key, value in scores.items() if value is not None}, category="code")]
    result = agreement(rounds)
    assert result["alpha_overall"] == pytest.approx(1.0)
    assert result["alpha_by_category"] == {"code": pytest.approx(1.0), "reasoning": pytest.approx(1.0)}
    assert result["disagreement_by_category"] == {"code": {"mean_judge_std": 0.0, "answers": 2}, "reasoning": {"mean_judge_std": 0.0, "answers": 2}}


def test_alpha_is_undefined_without_two_pairable_units_or_without_variation() -> None:
    assert agreement([_round("E1", {("a", "x"): 8.0, ("b", "x"): 6.0, ("a", "y"): 5.0})])["alpha_by_category"] == {"reasoning": None}
    assert agreement([_round("E1", {("a", "x"): 5.0, ("b", "x"): 5.0, ("a", "y"): 5.0, ("b", "y"): 5.0})])["alpha_overall"] is None


def test_disagreement_is_the_mean_sample_std_per_answer() -> None:
    rounds = [_round("E1", {("a", "x"): 8.0, ("b", "x"): 6.0, ("a", "y"): 5.0, ("b", "y"): 5.0, ("c", "y"): 8.0, ("a", "z"): 3.0})]
    spread = agreement(rounds)["disagreement_by_category"]
    assert isinstance(spread, dict)
    expected = (statistics.stdev([8.0, 6.0]) + statistics.stdev([5.0, 5.0, 8.0])) / 2
    assert spread["reasoning"] == {"mean_judge_std": pytest.approx(expected), "answers": 2}


def test_alpha_matches_the_krippendorff_package() -> None:
    rng = np.random.default_rng(7)
    rounds = []
    for index in range(12):
        scores = {(f"j{j}", f"r{r}"): round(float(rng.uniform(1, 10)), 1) for j in range(5) for r in range(4) if rng.random() < 0.7}
        rounds.append(_round(f"E{index:02d}", scores))
    matrix, judges, answers = reliability_matrix(rounds)
    assert matrix.shape == (len(judges), len(answers))
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
    assert interval_alpha(matrix) == pytest.approx(expected, abs=1e-12)


def test_agreement_is_fast_at_full_scale() -> None:
    rng = np.random.default_rng(11)
    rounds = [
        _round(f"E{index:03d}", {(f"j{j}", f"m{m}"): float(rng.uniform(0.5, 10)) for j in range(10) for m in range(10) if j != m})
        for index in range(286)
    ]
    started = time.perf_counter()
    result = agreement(rounds)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result["alpha_overall"], float)


def test_one_removal_flips_the_top() -> None:
    # a leads with mean 8 (9, 7), b follows at 7.5 (8, 7): removing a's 9 leaves a at 7 < 7.5.
    rounds = [_round("E1", {("j1", "a"): 9.0, ("j2", "a"): 7.0, ("j1", "b"): 8.0, ("j2", "b"): 7.0, ("j1", "c"): 3.0})]
    top = fragility(rounds)["fewest_removals_to_change_top"]
    assert top == {
        "method": "greedy",
        "removed": 1,
        "leader_before": "a",
        "leader_after": "b",
        "removed_judgments": [["E1", "j1", "a"]],
    }


def test_removing_the_runner_up_low_score_can_be_the_best_move() -> None:
    # a (6, 6, 6, 6.5: 6.125) leads b (9, 8, 1: 6.0). Dropping a's 6.5 only ties them; dropping b's 1 lifts b to 8.5.
    scores = {("j1", "a"): 6.0, ("j2", "a"): 6.0, ("j3", "a"): 6.0, ("j4", "a"): 6.5, ("j1", "b"): 9.0, ("j2", "b"): 8.0, ("j3", "b"): 1.0}
    top = fragility([_round("E1", scores)])["fewest_removals_to_change_top"]
    assert isinstance(top, dict)
    assert top["removed"] == 1 and top["leader_after"] == "b"
    assert top["removed_judgments"] == [["E1", "j3", "b"]]


def test_greedy_search_gives_up_at_the_cap() -> None:
    many = range(MAX_REMOVALS + 10)
    scores = {(f"j{index}", "a"): 10.0 for index in many} | {(f"j{index}", "b"): 1.0 for index in many}
    top = fragility([_round("E1", scores)])["fewest_removals_to_change_top"]
    assert isinstance(top, dict)
    assert top["removed"] is None and top["leader_after"] is None and "note" in top
    removed = top["removed_judgments"]
    assert isinstance(removed, list) and len(removed) == MAX_REMOVALS


def test_leave_one_judge_out() -> None:
    # Full means: a 6.5, c (10, 4, 4) 6.0, b 5.0. Without j1: c 4.0 falls below b, a stays on top.
    # Without j2 (or j3): c (10, 4) 7.0 overtakes a. Either way one of three pairs flips: tau = (2 - 1) / 3.
    scores: dict[tuple[str, str], float | None] = {}
    for judge in ("j1", "j2", "j3"):
        scores |= {(judge, "a"): 6.5, (judge, "b"): 5.0, (judge, "c"): 10.0 if judge == "j1" else 4.0}
    out = fragility([_round("E1", scores)])["leave_one_judge_out"]
    assert out == {
        "j1": {"kendall_tau": pytest.approx(1 / 3), "models": 3, "top_changes": False},
        "j2": {"kendall_tau": pytest.approx(1 / 3), "models": 3, "top_changes": True},
        "j3": {"kendall_tau": pytest.approx(1 / 3), "models": 3, "top_changes": True},
    }


MODELS = [f"m{index}" for index in range(10)]
STRENGTH = {model: 4.0 + 4.0 * index / 9 for index, model in enumerate(MODELS)}
SIM_FAMILIES = {model: f"family{index // 2}" for index, model in enumerate(MODELS)}
LENIENT_JUDGE, PARTIAL_JUDGE = "m3", "m6"


def _simulated_rounds(seed: int, rounds: int = 60) -> list[QuestionRound]:
    """Every model judges every other model's answer: strength + judge offset + N(0, 0.7), clipped to (0.5, 10].
    m3 is lenient by +1.0 on everyone; m6 adds +0.5 for its family's other member (m7)."""
    rng = np.random.default_rng(seed)
    simulated = []
    for index in range(rounds):
        scores: dict[tuple[str, str], float | None] = {}
        for judge in MODELS:
            for respondent in MODELS:
                if judge == respondent:
                    continue
                score = STRENGTH[respondent] + float(rng.normal(0.0, 0.7))
                score += 1.0 if judge == LENIENT_JUDGE else 0.0
                score += 0.5 if judge == PARTIAL_JUDGE and SIM_FAMILIES[respondent] == SIM_FAMILIES[judge] else 0.0
                scores[(judge, respondent)] = min(10.0, max(0.5, score))
        simulated.append(_round(f"SIM-{index:03d}", scores))
    return simulated


@pytest.fixture(scope="module")
def simulated() -> list[QuestionRound]:
    return _simulated_rounds(seed=20260507)


def test_simulation_finds_the_lenient_judge(simulated: list[QuestionRound]) -> None:
    offsets = judge_leniency(simulated, n_boot=200, seed=5)
    lenient = {judge for judge, row in offsets.items() if isinstance(row["ci_low"], float) and row["ci_low"] > 0.5}
    assert lenient == {LENIENT_JUDGE}
    assert offsets[LENIENT_JUDGE]["offset"] == pytest.approx(1.0, abs=0.2)


def test_simulation_finds_the_family_premium(simulated: list[QuestionRound]) -> None:
    rows = {str(row["judge"]): row for row in paired_family_bias(simulated, SIM_FAMILIES, n_boot=200, seed=5)}
    assert set(rows) == set(MODELS) and all(row["rounds"] == 60 for row in rows.values())

    def ci(judge: str) -> tuple[float, float]:
        low, high = rows[judge]["ci_low"], rows[judge]["ci_high"]
        assert isinstance(low, float) and isinstance(high, float)
        return low, high

    premium_low, premium_high = ci(PARTIAL_JUDGE)
    assert 0 < premium_low < 0.5 < premium_high, "the planted premium is found, and inside its CI"
    false_positives = [judge for judge in MODELS if judge != PARTIAL_JUDGE and not (ci(judge)[0] <= 0 <= ci(judge)[1])]
    assert len(false_positives) <= 1, false_positives


def test_simulation_bradley_terry_recovers_the_strength_order(simulated: list[QuestionRound]) -> None:
    fit = bradley_terry(simulated, n_boot=0, seed=0)
    bt = {str(row["name"]): float(row["bt"]) for row in fit.rows}  # type: ignore[arg-type]
    names = {model: model.upper() for model in MODELS}
    tau = kendalltau([bt[names[m]] for m in MODELS], [STRENGTH[m] for m in MODELS]).statistic
    assert fit.components == 1 and tau >= 0.9


def test_simulation_mean_scores_rank_the_true_strengths(simulated: list[QuestionRound]) -> None:
    received: dict[str, list[float]] = {model: [] for model in MODELS}
    for round_ in simulated:
        for j in round_.judgments:
            if j.usable and j.score is not None:
                received[j.respondent_key].append(j.score)
    tau = kendalltau([statistics.fmean(received[m]) for m in MODELS], [STRENGTH[m] for m in MODELS]).statistic
    assert tau >= 0.9
    leave_one_out = fragility(simulated)["leave_one_judge_out"]
    assert isinstance(leave_one_out, dict) and set(leave_one_out) == set(MODELS)
