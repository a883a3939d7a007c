"""Emit the dataset file of build rounds (FORMATS.md B) and the reviewed files of every sample."""

from __future__ import annotations

from pathlib import Path

from ..aggregate import (
    BuildRoundInput,
    BuildSample,
    ImplBuild,
    JudgeCost,
    Review,
    aggregate_build_round,
    build_dataset_file,
)
from ..formats import (
    BuildOutcome,
    BuildSampleOutcome,
    ResultsFolder,
    TestOutcome,
    dumps_details,
    dumps_published,
    sample_path,
    write_atomic,
)
from ..formats._dataset import HiddenTest
from ._base import RoundResult, register_emitter

__all__ = ["DatasetEmitter", "BuildFilesEmitter", "build_round_input"]

HARNESS_NAME = "harness"


def _published_sample(s: BuildSampleOutcome) -> BuildSample:
    return BuildSample(
        sample=s.sample,
        wall_sec=s.latency_s,
        cost_usd=s.cost_usd,
        tokens_total=s.usage.total_tokens,
        input_tokens=s.usage.prompt_tokens - s.usage.cached_tokens,
        output_tokens=s.usage.completion_tokens,
        cache_read_tokens=s.usage.cached_tokens,
        loc=s.loc,
        test_exit_code=s.tests.exit_code if s.tests else None,
    )


def _integrity_notes(tests: TestOutcome | None) -> list[str]:
    if tests is None or (tests.integrity == "ok" and not tests.integrity_notes):
        return []
    return [f"integrity: {tests.integrity}", *tests.integrity_notes]


def build_round_input(result: RoundResult, outcome: BuildOutcome) -> BuildRoundInput:
    config = result.plan.config
    task = next(t for t in result.plan.build_tasks if t.task_id == outcome.task_id)
    reviewers = [call.model_id for call in result.plan.calls_of("review", task.task_id)]
    impls = []
    for model in config.models:
        samples = [s for s in outcome.samples if s.model_id == model.id]
        judged = samples[-1]
        hidden = [HiddenTest(name=name, passed=passed) for name, passed in judged.tests.tests] if judged.tests else []
        impls.append(
            ImplBuild(
                impl=model.id,
                model_slug=model.litellm_model,
                run_path=sample_path(task.task_id, model.id, judged.sample),
                samples=[_published_sample(s) for s in samples],
                hidden_tests=hidden,
                notes=_integrity_notes(judged.tests),
            )
        )
    reviews = [
        Review(judge=r.judge_id, impl=impl, hard_fail=s.hardFail, spec=s.spec, quality=s.quality, verdict=s.verdict, note=s.note)
        for r in outcome.reviews
        for impl, s in r.reviews.items()
    ]
    costs = [
        JudgeCost(
            judge=r.judge_id,
            harness=HARNESS_NAME,
            model=config.model(r.judge_id).litellm_model,
            wall_seconds=r.latency_s,
            tokens=r.usage.total_tokens,
            cost_usd=r.cost_usd,
        )
        for r in outcome.reviews
    ]
    return BuildRoundInput(
        date=result.info.build_date or result.info.started_at[:10],
        task=task.task_id,
        impls=impls,
        judges=reviewers,
        expert_judges=frozenset(m.id for m in config.models if m.expert and m.id in reviewers),
        reviews=reviews,
        judging_costs=costs,
        entrypoint=task.entrypoint,
    )


class DatasetEmitter:
    name = "dataset"

    def emit(self, result: RoundResult, out_dir: Path) -> list[Path]:
        if not result.builds:
            return []
        rounds = [aggregate_build_round(build_round_input(result, outcome)) for outcome in result.builds]
        config = result.plan.config
        dataset = build_dataset_file(rounds, generated_at=result.info.started_at, license=config.license, source=config.source)
        path = ResultsFolder(out_dir).dataset_path
        write_atomic(path, dumps_published(dataset.model_dump(mode="json", by_alias=True)))
        return [path]


class BuildFilesEmitter:
    """Each sample's files, reviews with their label mapping, and failures (not a published format)."""

    name = "build-details"

    def emit(self, result: RoundResult, out_dir: Path) -> list[Path]:
        written = []
        results = ResultsFolder(out_dir)
        for outcome in result.builds:
            for s in outcome.samples:
                folder = results.sample_dir(s.task_id, s.model_id, s.sample)
                for name, text in (s.files or {}).items():
                    write_atomic(folder / name, text)
            path = results.details_path(outcome.task_id)
            write_atomic(path, dumps_details(outcome))
            written.append(path)
        return written


register_emitter(DatasetEmitter())
register_emitter(BuildFilesEmitter())
