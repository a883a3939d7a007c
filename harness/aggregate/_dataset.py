"""Build-round results -> the dataset file (FORMATS.md B), and rescoring of an existing file.

Both paths first put the reviews into the published shape (`perImplDetail`) and derive every
table from that, so a rescore of a file the harness wrote gives back the same file.

Where FORMATS.md B leaves a case open, ours:
- hardFail is true when no review gave a verdict (the rule read literally: "every" of none);
  a review with a verdict but no hard-fail answer counts as not passed.
- scoreboard/flat verdict is "—" when no review gave one.
- selfBias compares with the peer-tier medians (= scoreboard specPeer/qualityPeer, expert reviews
  excluded); deltas and agreement's range are rounded to 2 decimals to keep float noise out.
- agreement: stdev is null with fewer than two spec scores; with none, all figures are null and
  judges is "—".
- judgeRanking pads with "—" when a judge scored fewer than three implementations; impl names are
  compared as plain strings.
- costEfficiency: costPerTest is "—" when no hidden test passed or the cost is unknown; wallClock
  minutes are not capped at 59 ("62m05s"); an impl without samples shows "—"/null.
- judgingCost: known figures are filled in, wallClock as in costEfficiency, costUsd rounded to 4
  decimals, tokens as an integer; unknown ones stay "—".
- flat: totals are null when no sample has the value; model_slug is the judged sample's.
- rounding everywhere is half up on the exact binary value (see `round_half_up`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..formats._dataset import (
    NO_VALUE,
    AgreementRow,
    CostEfficiencyRow,
    DatasetFile,
    DatasetMeta,
    DatasetRound,
    FlatRow,
    JudgeRankingRow,
    JudgingCostRow,
    PerImplDetail,
    ReviewScore,
    Sample,
    ScoreboardRow,
    SelfBiasRow,
)
from ._dataset_models import BuildRoundInput, ImplBuild, JudgeCost, Review
from ._dataset_rules import (
    agreement_row,
    cost_efficiency_row,
    cut_note,
    flat_row,
    format_wall_clock,
    judge_ranking_rows,
    last_sample,
    review_tier,
    round_half_up,
    scoreboard_row,
    self_bias_row,
)

__all__ = [
    "CROSS_MODEL_OBSERVATIONS_PLACEHOLDER",
    "SPEC_CHANGES_PLACEHOLDER",
    "recommendation_placeholder",
    "aggregate_build_round",
    "flat_rows",
    "build_dataset_file",
    "rescore_round",
    "rescore_dataset",
]

CROSS_MODEL_OBSERVATIONS_PLACEHOLDER = (
    "(human reviewer fills — patterns, surprises, where the spec was ambiguous, "
    "where judges disagreed sharply)"
)
SPEC_CHANGES_PLACEHOLDER = "(human reviewer fills — edits to SPEC.md if reviewing surfaced ambiguities)"

JUDGING_COST_DECIMALS = 4


def recommendation_placeholder(entrypoint: str | None) -> str:
    """The placeholder of `recommendation`, naming the entrypoint when known."""
    basis = f"the basis for `{entrypoint}`" if entrypoint else "the basis"
    return (
        f"(human reviewer fills — which implementation to use as {basis} on main, "
        "or whether to rewrite from the best parts of each)"
    )


@dataclass(frozen=True)
class _DerivedTables:
    scoreboard: list[ScoreboardRow]
    judge_ranking: list[JudgeRankingRow]
    self_bias: list[SelfBiasRow]
    agreement: list[AgreementRow]
    cost_efficiency: list[CostEfficiencyRow]


def _samples_by_impl(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    grouped: dict[str, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample.model, []).append(sample)
    return grouped


def _derive_tables(
    details: Sequence[PerImplDetail],
    samples: Sequence[Sample],
    judges: Sequence[str],
    model_slugs: Mapping[str, str | None],
    locs: Mapping[str, int | None],
) -> _DerivedTables:
    """Every table computed from reviews and samples; `locs` overrides the judged sample's loc."""
    samples_of = _samples_by_impl(samples)
    scoreboard = [scoreboard_row(detail) for detail in details]
    cost_efficiency = []
    for detail in details:
        judged = last_sample(samples_of.get(detail.impl, []))
        loc = locs[detail.impl] if detail.impl in locs else (judged.loc if judged else None)
        cost_efficiency.append(cost_efficiency_row(detail, judged, model_slugs.get(detail.impl), loc))
    return _DerivedTables(
        scoreboard=scoreboard,
        judge_ranking=judge_ranking_rows(judges, details),
        self_bias=[self_bias_row(d, board) for d, board in zip(details, scoreboard, strict=True)],
        agreement=[agreement_row(detail) for detail in details],
        cost_efficiency=cost_efficiency,
    )


def _published_samples(inp: BuildRoundInput) -> list[Sample]:
    return [
        Sample(
            model=build.impl,
            round=inp.date,
            task=inp.task,
            sample=sample.sample,
            wall_sec=sample.wall_sec,
            cost_usd=sample.cost_usd,
            tokens_total=sample.tokens_total,
            input_tokens=sample.input_tokens,
            output_tokens=sample.output_tokens,
            cache_read_tokens=sample.cache_read_tokens,
            loc=sample.loc,
            test_exit_code=sample.test_exit_code,
            model_slug=build.model_slug,
        )
        for build in inp.impls
        for sample in sorted(build.samples, key=lambda s: s.sample)
    ]


def _published_score(judge: str, impl: str, inp: BuildRoundInput, review: Review | None) -> ReviewScore:
    """A review as published; a missing review or one with nothing in it is a dropout."""
    review = review or Review(judge=judge, impl=impl)
    return ReviewScore(
        judge=judge,
        tier=review_tier(judge, impl, inp.expert_judges),
        hard_fail=review.hard_fail is True,
        spec=review.spec,
        quality=review.quality,
        verdict=review.verdict or NO_VALUE,
        note=cut_note(review.note),
    )


def _published_detail(build: ImplBuild, inp: BuildRoundInput) -> PerImplDetail:
    reviews = {r.judge: r for r in inp.reviews if r.impl == build.impl}
    return PerImplDetail(
        impl=build.impl,
        run_path=build.run_path,
        scores=[_published_score(judge, build.impl, inp, reviews.get(judge)) for judge in inp.judges],
        hidden_tests=sorted(build.hidden_tests, key=lambda t: t.name),
        notes=build.notes,
    )


def _judging_cost_row(judge: str, inp: BuildRoundInput, cost: JudgeCost | None) -> JudgingCostRow:
    """Known figures filled in (wallClock as "XmYYs", cost to 4 decimals); "—" for the rest."""
    cost = cost or JudgeCost(judge=judge)
    return JudgingCostRow(
        judge=judge,
        tier="expert" if judge in inp.expert_judges else "peer",
        harness=cost.harness or NO_VALUE,
        model=cost.model or NO_VALUE,
        wall_clock=format_wall_clock(cost.wall_seconds),
        tokens=NO_VALUE if cost.tokens is None else cost.tokens,
        cost_usd=NO_VALUE if cost.cost_usd is None else round_half_up(cost.cost_usd, JUDGING_COST_DECIMALS),
    )


def aggregate_build_round(inp: BuildRoundInput) -> DatasetRound:
    """One round of the dataset file from what the round produced."""
    samples = _published_samples(inp)
    details = [_published_detail(build, inp) for build in inp.impls]
    tables = _derive_tables(
        details,
        samples,
        inp.judges,
        model_slugs={build.impl: build.model_slug for build in inp.impls},
        locs={},
    )
    costs = {cost.judge: cost for cost in inp.judging_costs}
    return DatasetRound(
        date=inp.date,
        task=inp.task,
        samples=samples,
        scoreboard=tables.scoreboard,
        judge_ranking=tables.judge_ranking,
        self_bias=tables.self_bias,
        agreement=tables.agreement,
        per_impl_detail=details,
        cost_efficiency=tables.cost_efficiency,
        judging_cost=[_judging_cost_row(judge, inp, costs.get(judge)) for judge in inp.judges],
        cross_model_observations=inp.cross_model_observations or CROSS_MODEL_OBSERVATIONS_PLACEHOLDER,
        recommendation=inp.recommendation or recommendation_placeholder(inp.entrypoint),
        spec_changes=inp.spec_changes or SPEC_CHANGES_PLACEHOLDER,
    )


def _unwrap_slug(cell: str) -> str | None:
    return None if cell == NO_VALUE else cell.strip("`")


def _model_slug(round_: DatasetRound, impl: str) -> str | None:
    """The judged sample's slug; without samples, the one the cost table shows."""
    judged = last_sample([s for s in round_.samples if s.model == impl])
    if judged is not None:
        return judged.model_slug
    row = next((r for r in round_.cost_efficiency if r.impl == impl), None)
    return _unwrap_slug(row.model_slug) if row else None


def flat_rows(round_: DatasetRound) -> list[FlatRow]:
    """The `flat` rows of one round, in scoreboard order."""
    samples_of = _samples_by_impl(round_.samples)
    return [
        flat_row(round_.date, board, samples_of.get(board.impl, []), _model_slug(round_, board.impl))
        for board in round_.scoreboard
    ]


def _with_flat(meta: DatasetMeta, rounds: list[DatasetRound]) -> DatasetFile:
    """The file with `flat` computed and meta's counts set; meta's other fields kept."""
    flat = [row for round_ in rounds for row in flat_rows(round_)]
    counted = meta.model_copy(update={"rounds": len(rounds), "rows": len(flat)})
    return DatasetFile(meta=counted, rounds=rounds, flat=flat)


def build_dataset_file(
    rounds: list[DatasetRound], *, generated_at: str, license: str, source: str
) -> DatasetFile:
    """The whole file: the rounds as given, `flat` and `meta` computed."""
    meta = DatasetMeta(
        generated_at=generated_at, schema_version=1, license=license, source=source, rounds=0, rows=0
    )
    return _with_flat(meta, rounds)


def _judge_order(round_: DatasetRound) -> list[str]:
    """Judges in order of appearance in perImplDetail, then any only the old ranking names."""
    order: dict[str, None] = {}
    for detail in round_.per_impl_detail:
        for score in detail.scores:
            order.setdefault(score.judge)
    for row in round_.judge_ranking:
        order.setdefault(row.judge)
    return list(order)


def rescore_round(round_: DatasetRound) -> DatasetRound:
    """Recompute the derived tables from samples and perImplDetail; keep the rest and the cost table's loc."""
    kept_costs = {row.impl: row for row in round_.cost_efficiency}
    tables = _derive_tables(
        round_.per_impl_detail,
        round_.samples,
        _judge_order(round_),
        model_slugs={d.impl: _model_slug(round_, d.impl) for d in round_.per_impl_detail},
        locs={impl: row.loc for impl, row in kept_costs.items()},
    )
    return round_.model_copy(
        update={
            "scoreboard": tables.scoreboard,
            "judge_ranking": tables.judge_ranking,
            "self_bias": tables.self_bias,
            "agreement": tables.agreement,
            "cost_efficiency": tables.cost_efficiency,
        }
    )


def rescore_dataset(file: DatasetFile) -> DatasetFile:
    """Every round rescored, then `flat` and meta's counts recomputed; meta's other fields kept."""
    return _with_flat(file.meta, [rescore_round(round_) for round_ in file.rounds])
