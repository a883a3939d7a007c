"""Build rounds in the analysis: reading dataset files, judge-vs-tests agreement, the test-calibrated leaderboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness._errors import FormatError
from harness.analysis import _builds
from harness.analysis._model import BuildImpl, BuildReview, BuildRound

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_DATASET = SHARED / "seeds" / "openbench-dataset-round1.json"


def _impl(name: str, tests: tuple[int, int], reviews: list[tuple[str, float | None, float | None, bool | None]]) -> BuildImpl:
    """An implementation reviewed by (judge, spec, quality, hard_fail) peers; a judge named like the impl is its self review."""
    return BuildImpl(
        impl=name,
        model_slug=f"prov/{name}",
        tests_passed=tests[0],
        tests_total=tests[1],
        reviews=[BuildReview(judge=j, tier="self" if j == name else "peer", hard_fail=h, spec=s, quality=q) for j, s, q, h in reviews],
    )


def _round(impls: list[BuildImpl], date: str = "2026-05-05", task: str = "t") -> BuildRound:
    return BuildRound(date=date, task=task, source="hand", impls=impls)


def _row(rows: list[dict[str, object]], key: str, value: str) -> dict[str, object]:
    return next(row for row in rows if row[key] == value)


# "sharp" scores passing impls higher than every failing one; "flat" gives everyone 5; "backwards" prefers failing ones.
HAND_ROUND = _round(
    [
        _impl("a", (3, 3), [("sharp", 9, 18, True), ("flat", 5, 10, True), ("backwards", 2, 4, False), ("a", 10, 20, True)]),
        _impl("b", (3, 3), [("sharp", 8, 15, True), ("flat", 5, 10, False), ("backwards", 3, 5, False)]),
        _impl("c", (1, 3), [("sharp", 4, 8, False), ("flat", 5, 10, True), ("backwards", 9, 18, True)]),
        _impl("d", (0, 0), [("sharp", 2, 5, False), ("flat", 5, 10, True), ("backwards", 8, 16, True)]),
    ]
)


def test_perfectly_separating_judge_has_auc_1_and_weight_1() -> None:
    sharp = _row(_builds.judge_test_agreement([HAND_ROUND]), "judge", "sharp")
    assert sharp == {
        "judge": "sharp",
        "reviews": 4,
        "auc_spec": 1.0,
        "auc_quality": 1.0,
        "passes_failing_rate": 0.0,
        "fails_passing_rate": 0.0,
        "weight": 1.0,
    }


def test_all_ties_give_auc_one_half_and_weight_0() -> None:
    flat = _row(_builds.judge_test_agreement([HAND_ROUND]), "judge", "flat")
    assert flat["auc_spec"] == 0.5 and flat["auc_quality"] == 0.5 and flat["weight"] == 0.0
    # passing impls a, b: one "failed" verdict of two; failing c, d: both "passed".
    assert flat["fails_passing_rate"] == 0.5 and flat["passes_failing_rate"] == 1.0


def test_backwards_judge_weighs_0_and_self_reviews_are_left_out() -> None:
    rows = _builds.judge_test_agreement([HAND_ROUND])
    assert [row["judge"] for row in rows] == ["backwards", "flat", "sharp"], "the self review of a is no judge row"
    backwards = _row(rows, "judge", "backwards")
    assert backwards["auc_spec"] == 0.0 and backwards["weight"] == 0.0


def test_partial_ties_count_half() -> None:
    # passing: 7, 5; failing: 5, 3 -> pairs (7>5, 7>3, 5=5, 5>3) = 3.5 of 4.
    round_ = _round(
        [
            _impl("p1", (1, 1), [("j", 7, None, None)]),
            _impl("p2", (1, 1), [("j", 5, None, None)]),
            _impl("f1", (0, 1), [("j", 5, None, None)]),
            _impl("f2", (0, 1), [("j", 3, None, None)]),
        ]
    )
    row = _builds.judge_test_agreement([round_])[0]
    assert row["auc_spec"] == 0.875 and row["weight"] == 0.75
    assert row["auc_quality"] is None and row["passes_failing_rate"] is None and row["fails_passing_rate"] is None


def test_one_class_only_gives_unknown_auc_and_weight_one_half() -> None:
    round_ = _round([_impl("a", (2, 2), [("j", 7, 12, True)]), _impl("b", (2, 2), [("j", 6, 11, True)])])
    row = _builds.judge_test_agreement([round_])[0]
    assert row["auc_spec"] is None and row["weight"] == 0.5 and row["passes_failing_rate"] is None


def test_weight_0_judge_does_not_move_the_calibrated_leaderboard() -> None:
    weights = [{"judge": "sharp", "weight": 1.0}, {"judge": "flat", "weight": 0.0}, {"judge": "backwards", "weight": 0.0}]
    rows = _builds.test_calibrated_leaderboard([HAND_ROUND], weights)
    assert [row["impl"] for row in rows] == ["a", "b", "c", "d"]
    assert [row["calibrated_spec"] for row in rows] == [9.0, 8.0, 4.0, 2.0], "only sharp's scores count"
    assert [row["calibrated_rank"] for row in rows] == [1, 2, 3, 4]
    without_flat = _round(
        [
            BuildImpl(i.impl, i.model_slug, i.tests_passed, i.tests_total, [r for r in i.reviews if r.judge != "flat"])
            for i in HAND_ROUND.impls
        ]
    )
    calibrated = ("calibrated_spec", "calibrated_quality", "calibrated_rank")
    assert [[row[k] for k in calibrated] for row in rows] == [
        [row[k] for k in calibrated] for row in _builds.test_calibrated_leaderboard([without_flat], weights)
    ]


def test_plain_scores_are_medians_of_non_self_reviews() -> None:
    rows = _builds.test_calibrated_leaderboard([HAND_ROUND], [])
    a = _row(rows, "impl", "a")
    assert a["plain_spec"] == 5.0 and a["plain_quality"] == 10.0, "median of 9, 5, 2 (a's self 10 left out)"
    assert a["tests"] == "3/3" and a["all_tests_passed"] is True and _row(rows, "impl", "d")["tests"] == "0/0"
    # no agreement rows: every judge weighs 0.5, so calibrated = plain mean: a (9+5+2)/3
    assert a["calibrated_spec"] == 5.333
    # plain spec: a 5, b 5, c 5, d 5 -> all rank 1
    assert {row["plain_rank"] for row in rows} == {1}


def test_all_weights_0_give_no_calibrated_score() -> None:
    weights = [{"judge": j, "weight": 0.0} for j in ("sharp", "flat", "backwards")]
    rows = _builds.test_calibrated_leaderboard([HAND_ROUND], weights)
    assert all(row["calibrated_spec"] is None and row["calibrated_rank"] is None for row in rows)
    assert all(row["plain_rank"] == 1 for row in rows)


def test_rows_sorted_by_round_then_calibrated_rank() -> None:
    late = _round([_impl("x", (1, 1), [("j", 3, 6, True)]), _impl("y", (1, 1), [("j", 8, 9, True)])], date="2026-06-01")
    early = _round([_impl("x", (1, 1), [("j", 9, 6, True)]), _impl("y", (1, 1), [("j", 1, 9, True)])], date="2026-05-01")
    rows = _builds.test_calibrated_leaderboard([late, early], [])
    assert [(row["date"], row["impl"], row["calibrated_rank"]) for row in rows] == [
        ("2026-05-01", "x", 1),
        ("2026-05-01", "y", 2),
        ("2026-06-01", "y", 1),
        ("2026-06-01", "x", 2),
    ]


def _dataset(scores: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "meta": {"schema_version": 1},
        "rounds": [
            {
                "date": "2026-05-05",
                "task": "sandbox",
                "scoreboard": [{"impl": "m1", "tests": "4/9"}, {"impl": "m2", "tests": "9/9"}],
                "perImplDetail": [{"impl": "m1", "scores": scores}, {"impl": "m2", "scores": []}],
                "costEfficiency": [{"impl": "m1", "modelSlug": "`prov/m-one`"}, {"impl": "m2", "modelSlug": "—"}],
            }
        ],
        "flat": [{"round": "2026-05-05", "impl": "m2", "model_slug": "prov/m-two"}],
    }


def test_dataset_reading_skips_judges_that_produced_nothing() -> None:
    nothing = {"judge": "j0", "tier": "peer", "hardFail": False, "spec": None, "quality": None, "verdict": "—", "note": "—"}
    failed = {"judge": "j1", "tier": "expert", "hardFail": False, "spec": 2, "quality": 5, "verdict": "unusable", "note": "x"}
    verdict_only = {"judge": "j2", "tier": "peer", "hardFail": False, "spec": None, "quality": None, "verdict": "rewrite", "note": "x"}
    own = {"judge": "m1", "tier": "self", "hardFail": True, "spec": 9.5, "quality": 17, "verdict": "ship-with-cleanup", "note": "x"}
    rounds = _builds.build_rounds_from_dataset(_dataset([nothing, failed, verdict_only, own]), "d.json")
    assert len(rounds) == 1 and (rounds[0].date, rounds[0].task, rounds[0].source) == ("2026-05-05", "sandbox", "d.json")
    m1, m2 = rounds[0].impls
    assert (m1.impl, m1.model_slug, m1.tests_passed, m1.tests_total, m1.all_tests_passed) == ("m1", "prov/m-one", 4, 9, False)
    assert m1.reviews == [
        BuildReview(judge="j1", tier="expert", hard_fail=False, spec=2.0, quality=5.0),
        BuildReview(judge="j2", tier="peer", hard_fail=False, spec=None, quality=None),
        BuildReview(judge="m1", tier="self", hard_fail=True, spec=9.5, quality=17.0),
    ]
    assert (m2.model_slug, m2.all_tests_passed, m2.reviews) == ("prov/m-two", True, []), "slug from flat when costEfficiency has none"


@pytest.mark.parametrize("tests", ["9", "a/b", None, "10/9"])
def test_dataset_reading_rejects_bad_tests_cells(tests: object) -> None:
    data = _dataset([])
    data["rounds"][0]["scoreboard"][0]["tests"] = tests
    with pytest.raises(FormatError, match=r"scoreboard\[0\]\.tests"):
        _builds.build_rounds_from_dataset(data, "d.json")


def test_seed_dataset_gives_rows_for_every_round() -> None:
    if not SEED_DATASET.is_file():
        pytest.skip(f"no shared seeds at {SHARED}")
    data = json.loads(SEED_DATASET.read_text(encoding="utf-8"))
    builds = _builds.build_rounds_from_dataset(data, str(SEED_DATASET))
    assert len(builds) == len(data["rounds"]) >= 1
    agreement = _builds.judge_test_agreement(builds)
    leaderboard = _builds.test_calibrated_leaderboard(builds, agreement)
    assert agreement and all(row["reviews"] for row in agreement)
    for round_data in data["rounds"]:
        rows = [row for row in leaderboard if (row["date"], row["task"]) == (round_data["date"], round_data["task"])]
        board = {b["impl"]: b for b in round_data["scoreboard"]}
        assert sorted(str(row["impl"]) for row in rows) == sorted(board)
        for row in rows:
            entry = board[str(row["impl"])]
            assert row["plain_spec"] == entry["specAll"] and row["plain_quality"] == entry["qualityAll"]
            assert row["tests"] == entry["tests"] and row["model_slug"]
            assert isinstance(row["calibrated_rank"], int)
