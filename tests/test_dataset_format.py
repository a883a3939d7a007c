"""The dataset file of build rounds (FORMATS.md B): schema, aggregation and rescoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from harness._errors import FormatError
from harness.aggregate import (
    BuildRoundInput,
    BuildSample,
    ImplBuild,
    JudgeCost,
    Review,
    aggregate_build_round,
    build_dataset_file,
    rescore_dataset,
)
from harness.aggregate._dataset_rules import (
    cut_note,
    format_cost_per_test,
    format_wall_clock,
)
from harness.formats import round_half_up
from harness.formats._dataset import (
    DatasetFile,
    DatasetRound,
    HiddenTest,
    JudgeRankingRow,
    dumps_dataset_file,
    load_dataset_file,
)
from harness.formats._json import dumps_published

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seeds" / "openbench-dataset-round1.json"


@pytest.fixture
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"{SEED} not present")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seed(seed_text: str) -> DatasetFile:
    return load_dataset_file(SEED)


# --- (a) schema -------------------------------------------------------------------------------


def test_seed_loads_and_dumps_back_byte_identical(seed_text: str, seed: DatasetFile) -> None:
    assert dumps_published(seed.model_dump(mode="json", by_alias=True)) == seed_text
    assert dumps_published(seed.model_dump(mode="json")) == seed_text  # aliases are the default
    assert dumps_dataset_file(seed) == seed_text


@pytest.mark.parametrize(
    ("table", "old_key", "new_key", "message"),
    [
        ("agreement", "stdev", "median", r"rounds\[0\]\.agreement\[0\]\.median: unknown field"),
        ("samples", "wallSec", "wall_sec", r"rounds\[0\]\.samples\[0\]\.wallSec: Field required"),
    ],
)
def test_keys_not_spelled_as_published_are_rejected(
    seed_text: str, tmp_path: Path, table: str, old_key: str, new_key: str, message: str
) -> None:
    data = json.loads(seed_text)
    row = data["rounds"][0][table][0]
    row[new_key] = row.pop(old_key)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        load_dataset_file(path)


# --- (b) rescoring ----------------------------------------------------------------------------


def test_rescore_of_the_seed_is_the_seed(seed_text: str, seed: DatasetFile) -> None:
    assert dumps_dataset_file(rescore_dataset(seed)) == seed_text


def test_rescore_recomputes_every_derived_table(seed_text: str, seed: DatasetFile) -> None:
    data = seed.model_dump(mode="json")
    round_ = data["rounds"][0]
    for table in ("scoreboard", "judgeRanking", "selfBias", "agreement"):
        round_[table] = []
    for row in round_["costEfficiency"]:
        row.update(modelSlug="x", wallClock="x", tokens=0, costUsd=0, testsPassed="0", costPerTest="x")
    data["flat"] = []
    data["meta"].update(rows=0, rounds=0)
    assert dumps_dataset_file(rescore_dataset(DatasetFile.model_validate(data))) == seed_text


def test_rescore_keeps_the_hand_entered_loc(seed: DatasetFile) -> None:
    data = seed.model_dump(mode="json")
    for row in data["rounds"][0]["costEfficiency"]:
        row["loc"] = 7
    rescored = rescore_dataset(DatasetFile.model_validate(data))
    assert {row.loc for row in rescored.rounds[0].cost_efficiency} == {7}


def test_rescore_follows_changed_scores(seed: DatasetFile) -> None:
    data = seed.model_dump(mode="json")
    for score in data["rounds"][0]["perImplDetail"][0]["scores"]:
        score["verdict"] = "unusable"
    rescored = rescore_dataset(DatasetFile.model_validate(data))
    assert rescored.rounds[0].scoreboard[0].verdict == "unusable"
    assert rescored.flat[0].verdict == "unusable"


# --- (c) aggregation reproduces the seed ------------------------------------------------------


def _inputs_from_round(round_: DatasetRound) -> BuildRoundInput:
    """What the round produced, read back from the published round."""
    judges = [score.judge for score in round_.per_impl_detail[0].scores]
    sample_fields = set(BuildSample.model_fields)
    builds = []
    for detail in round_.per_impl_detail:
        samples = [s for s in round_.samples if s.model == detail.impl]
        builds.append(
            ImplBuild(
                impl=detail.impl,
                model_slug=samples[-1].model_slug,
                run_path=detail.run_path,
                # the input's sample order must not matter
                samples=[
                    BuildSample.model_validate(s.model_dump(by_alias=False, include=sample_fields))
                    for s in reversed(samples)
                ],
                hidden_tests=list(reversed(detail.hidden_tests)),
            )
        )
    reviews = [
        Review(
            judge=score.judge,
            impl=detail.impl,
            hard_fail=score.hard_fail,
            spec=score.spec,
            quality=score.quality,
            verdict=None if score.verdict == "—" else score.verdict,
            note=score.note,
        )
        for detail in round_.per_impl_detail
        for score in detail.scores
    ]
    return BuildRoundInput(
        date=round_.date,
        task=round_.task,
        impls=builds,
        judges=judges,
        reviews=reviews,
        entrypoint="sandbox.py",
    )


def test_aggregation_reproduces_the_seed_round(seed: DatasetFile) -> None:
    round_ = seed.rounds[0]
    assert aggregate_build_round(_inputs_from_round(round_)) == round_


def test_whole_file_from_aggregated_rounds_is_the_seed(seed_text: str, seed: DatasetFile) -> None:
    rounds = [aggregate_build_round(_inputs_from_round(r)) for r in seed.rounds]
    built = build_dataset_file(
        rounds, generated_at=seed.meta.generated_at, license=seed.meta.license, source=seed.meta.source
    )
    assert dumps_dataset_file(built) == seed_text


# --- (d) rules, on small hand-made rounds ------------------------------------------------------


def _build(
    impl: str, tests: dict[str, bool] | None = None, samples: list[BuildSample] | None = None
) -> ImplBuild:
    if samples is None:
        samples = [BuildSample(sample=1, wall_sec=61.5, cost_usd=0.05, loc=10)]
    tests = tests or {"t_a": True}
    hidden = [HiddenTest(name=name, passed=passed) for name, passed in tests.items()]
    slug, run_path = f"prov/{impl}-1", f"builds/{impl}/r1"
    return ImplBuild(impl=impl, model_slug=slug, run_path=run_path, samples=samples, hidden_tests=hidden)


def _review(judge: str, impl: str, spec: float | None = 8, **fields: Any) -> Review:
    values: dict[str, Any] = {"hard_fail": True, "quality": 15, "verdict": "ship-with-cleanup", "note": "ok"}
    values.update(fields)
    return Review(judge=judge, impl=impl, spec=spec, **values)


def _round(impls: list[ImplBuild], judges: list[str], reviews: list[Review], **extra: Any) -> DatasetRound:
    return aggregate_build_round(
        BuildRoundInput(date="2026-01-02", task="demo", impls=impls, judges=judges, reviews=reviews, **extra)
    )


def test_dropout_judge_is_rendered_and_left_out_of_every_figure() -> None:
    reviews = [
        _review("a", "x", 9, hard_fail=True),
        Review(judge="b", impl="x"),  # produced nothing
        # "c" has no review of x at all
    ]
    round_ = _round([_build("x")], ["a", "b", "c"], reviews)
    scores = round_.per_impl_detail[0].model_dump(mode="json")["scores"]
    dropout = {"hardFail": False, "spec": None, "quality": None, "verdict": "—", "note": "—"}
    assert scores[1] == {"judge": "b", "tier": "peer", **dropout}
    assert scores[2] == {"judge": "c", "tier": "peer", **dropout}
    board = round_.scoreboard[0]
    assert (board.hard_fail, board.spec_peer, board.verdict) == (True, 9, "ship-with-cleanup")
    assert round_.judge_ranking[1] == JudgeRankingRow(judge="b", first="—", second="—", third="—")
    assert round_.agreement[0].judges == "a"
    assert round_.agreement[0].stdev is None  # one score: no sample stdev


def test_verdict_is_the_most_common_over_all_reviews_including_self() -> None:
    reviews = [
        _review("x", "x", verdict="rewrite"),
        _review("a", "x", verdict="ship-with-cleanup"),
        _review("b", "x", verdict="rewrite"),
    ]
    assert _round([_build("x")], ["x", "a", "b"], reviews).scoreboard[0].verdict == "rewrite"


@pytest.mark.parametrize(
    ("judges", "expected"),
    [(["a", "b", "c", "d"], "rewrite"), (["b", "a", "d", "c"], "ship-with-cleanup")],
)
def test_verdict_tie_goes_to_the_earliest_judge(judges: list[str], expected: str) -> None:
    given = {"a": "rewrite", "b": "ship-with-cleanup", "c": "rewrite", "d": "ship-with-cleanup"}
    reviews = [_review(j, "x", verdict=v) for j, v in given.items()]
    assert _round([_build("x")], judges, reviews).scoreboard[0].verdict == expected


def test_judge_ranking_ties_in_impl_name_order_and_dash_when_short() -> None:
    impls = [_build("zeta"), _build("alpha"), _build("mid"), _build("beta")]
    reviews = [
        _review("j", "zeta", 8),
        _review("j", "alpha", 8),
        _review("j", "mid", 8),
        _review("j", "beta", 7.5),
        _review("k", "beta", 9.5),
        _review("k", "mid", None),
    ]
    ranking = _round(impls, ["j", "k"], reviews).judge_ranking
    assert [ranking[0].first, ranking[0].second, ranking[0].third] == ["alpha (8)", "mid (8)", "zeta (8)"]
    assert ranking[1].model_dump() == {"judge": "k", "first": "beta (9.5)", "second": "—", "third": "—"}


def test_note_cut_only_when_longer_than_80() -> None:
    eighty, eighty_one = "n" * 80, "m" * 81
    assert cut_note(eighty) == eighty
    assert cut_note(eighty_one) == "m" * 77 + "..."
    assert len(cut_note(eighty_one)) == 80
    assert cut_note(None) == cut_note("") == "—"
    reviews = [_review("a", "x", note=eighty), _review("b", "x", note=eighty_one)]
    round_ = _round([_build("x")], ["a", "b"], reviews)
    assert [s.note for s in round_.per_impl_detail[0].scores] == [eighty, "m" * 77 + "..."]


def test_medians_of_even_counts_and_tiers() -> None:
    reviews = [
        _review("x", "x", 10, quality=20),  # self: only in selfBias, agreement, ranking, verdict
        _review("a", "x", 7, quality=13),
        _review("b", "x", 8, quality=14),
        _review("e", "x", 9, quality=18),  # expert
        _review("f", "x", 6, quality=12),  # expert
    ]
    round_ = _round([_build("x")], ["x", "a", "b", "e", "f"], reviews, expert_judges={"e", "f"})
    assert [s.tier for s in round_.per_impl_detail[0].scores] == ["self", "peer", "peer", "expert", "expert"]
    board = round_.scoreboard[0]
    assert (board.spec_peer, board.quality_peer) == (7.5, 13.5)
    assert (board.spec_expert, board.quality_expert) == (7.5, 15)
    assert (board.spec_all, board.quality_all) == (7.5, 13.5)
    bias = round_.self_bias[0]
    assert (bias.self_spec, bias.peer_med_spec, bias.delta_spec) == (10, 7.5, 2.5)
    assert (bias.self_qual, bias.peer_med_qual, bias.delta_qual) == (20, 13.5, 6.5)
    agreement = {"impl": "x", "minSpec": 6, "maxSpec": 10, "range": 4, "stdev": 1.58, "judges": "x, a, b, e, f"}
    assert round_.agreement[0].model_dump() == agreement
    assert [row.tier for row in round_.judging_cost] == ["peer", "peer", "peer", "expert", "expert"]


def test_expert_judge_of_its_own_implementation_is_self() -> None:
    round_ = _round([_build("e")], ["e", "a"], [_review("e", "e"), _review("a", "e")], expert_judges={"e"})
    assert [s.tier for s in round_.per_impl_detail[0].scores] == ["self", "peer"]
    assert round_.scoreboard[0].spec_expert is None


def test_hard_fail_counts_only_reviews_that_gave_a_verdict() -> None:
    passing = [_review("a", "x"), _review("b", "x", hard_fail=False, verdict=None)]
    assert _round([_build("x")], ["a", "b"], passing).scoreboard[0].hard_fail is True
    failing = [_review("a", "x"), _review("b", "x", hard_fail=False, verdict="unusable")]
    assert _round([_build("x")], ["a", "b"], failing).scoreboard[0].hard_fail is False
    # a verdict with no hard-fail answer is not a pass
    unknown = [_review("a", "x"), _review("b", "x", hard_fail=None)]
    assert _round([_build("x")], ["a", "b"], unknown).scoreboard[0].hard_fail is False
    nobody = [Review(judge="a", impl="x")]
    board = _round([_build("x")], ["a"], nobody).scoreboard[0]
    assert (board.hard_fail, board.verdict, board.spec_peer) == (True, "—", None)


def test_cost_efficiency_of_the_last_sample_and_zero_tests_passed() -> None:
    samples = [
        BuildSample(sample=2, wall_sec=378.9, cost_usd=0.082, tokens_total=300, loc=12),
        BuildSample(sample=1, wall_sec=10, cost_usd=0.5, tokens_total=100, loc=20),
    ]
    good = _build("x", tests={"t_b": True, "t_a": True, "t_c": False}, samples=samples)
    bad = _build("y", tests={"t_a": False, "t_b": False})
    round_ = _round([good, bad], ["a"], [_review("a", "x"), _review("a", "y")])
    assert round_.cost_efficiency[0].model_dump() == {
        "impl": "x", "modelSlug": "`prov/x-1`", "loc": 12, "wallClock": "6m18s", "tokens": 300,
        "costUsd": 0.08, "testsPassed": "2", "costPerTest": "$0.0410",
    }
    assert [t.name for t in round_.per_impl_detail[0].hidden_tests] == ["t_a", "t_b", "t_c"]
    assert round_.scoreboard[0].tests == "2/3"
    assert (round_.cost_efficiency[1].tests_passed, round_.cost_efficiency[1].cost_per_test) == ("0", "—")
    assert round_.scoreboard[1].tests == "0/2"
    assert [s.sample for s in round_.samples if s.model == "x"] == [1, 2]


def test_impl_without_samples() -> None:
    round_ = _round([_build("x", samples=[])], ["a"], [_review("a", "x")])
    row = round_.cost_efficiency[0]
    assert (row.model_slug, row.loc, row.wall_clock, row.cost_usd, row.cost_per_test) == (
        "`prov/x-1`", None, "—", None, "—",
    )
    flat = build_dataset_file([round_], generated_at="t", license="MIT", source="s").flat[0]
    assert (flat.model_slug, flat.samples, flat.total_cost_usd) == ("prov/x-1", 0, None)
    assert (flat.total_tokens, flat.median_wall_seconds, flat.median_loc) == (None, None, None)


def test_formatting_rules() -> None:
    assert format_wall_clock(378.9) == "6m18s"
    assert format_wall_clock(28) == "0m28s"
    assert format_wall_clock(3725.99) == "62m05s"
    assert format_wall_clock(None) == "—"
    assert format_cost_per_test(0.082, 9) == "$0.0091"
    assert format_cost_per_test(0.0625, 2) == "$0.0313"  # exact half 0.03125: up, not to even
    assert format_cost_per_test(0.5, 0) == "—"
    assert format_cost_per_test(None, 3) == "—"
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(0.0715, 2) == 0.07


def test_judging_cost_filled_with_known_figures() -> None:
    cost = JudgeCost(judge="a", harness="opencode", model="prov/a-1", wall_seconds=125.7, tokens=9000,
                     cost_usd=0.1234567)
    round_ = _round([_build("x")], ["a", "b"], [_review("a", "x")], judging_costs=[cost])
    assert [row.model_dump() for row in round_.judging_cost] == [
        {"judge": "a", "tier": "peer", "harness": "opencode", "model": "prov/a-1",
         "wallClock": "2m05s", "tokens": 9000, "costUsd": 0.1235},
        {"judge": "b", "tier": "peer", "harness": "—", "model": "—",
         "wallClock": "—", "tokens": "—", "costUsd": "—"},
    ]


def test_flat_rows_and_meta() -> None:
    samples = [
        BuildSample(sample=1, wall_sec=10, cost_usd=0.1, tokens_total=5, loc=10),
        BuildSample(sample=2, wall_sec=20, cost_usd=None, tokens_total=7, loc=13),
    ]
    reviews = [_review("a", "x", 8, quality=None), _review("a", "y", 6, quality=11)]
    rounds = [_round([_build("x", samples=samples), _build("y")], ["a"], reviews)]
    built = build_dataset_file(rounds, generated_at="2026-01-02T00:00:00.000Z", license="MIT", source="here")
    assert built.meta.model_dump() == {
        "generated_at": "2026-01-02T00:00:00.000Z", "schema_version": 1, "license": "MIT",
        "source": "here", "rounds": 1, "rows": 2,
    }
    x, y = built.flat
    assert (x.composite, x.total_cost_usd, x.total_tokens, x.median_wall_seconds, x.median_loc) == (
        None, 0.1, 12, 15, 11.5,
    )
    assert (y.round, y.model_slug, y.composite, y.passed_hard_fail, y.tests, y.samples) == (
        "2026-01-02", "prov/y-1", 17, True, "1/1", 1,
    )
    assert rescore_dataset(built) == built


def test_self_bias_of_an_impl_that_did_not_judge() -> None:
    bias = _round([_build("x")], ["a"], [_review("a", "x")]).self_bias[0]
    assert (bias.self_spec, bias.peer_med_spec, bias.delta_spec, bias.delta_qual) == (None, 8, None, None)


@pytest.mark.parametrize(
    ("reviews", "judges", "message"),
    [
        ([_review("a", "x"), _review("a", "x")], ["a"], "two reviews"),
        ([_review("z", "x")], ["a"], "unknown judge"),
        ([_review("a", "nope")], ["a"], "unknown impl"),
        ([], ["a", "a"], "judge listed twice"),
    ],
)
def test_inconsistent_inputs_are_rejected(reviews: list[Review], judges: list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BuildRoundInput(date="2026-01-02", task="demo", impls=[_build("x")], judges=judges, reviews=reviews)
