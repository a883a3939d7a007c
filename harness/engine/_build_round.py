"""Build rounds: every model implements a SPEC, hidden tests run in the sandbox, every model reviews every implementation."""

from __future__ import annotations

import asyncio
from typing import Protocol

from .._errors import HarnessError
from ..config import ModelConfig, RoundConfig
from ..formats import BuildOutcome, BuildSampleOutcome, TestOutcome
from ..judging import (
    IdentityMask,
    PacketJudge,
    PacketRubric,
    identity_terms,
    shuffled_labels,
)
from ..llm import CallMeta, ChatMessage, ChatRequest, ModelClient, exceeds_max_tokens
from ..plan import RoundPlan
from ..tasks import BuildTask
from ._extract import ExtractionError, count_loc, extract_files

__all__ = ["HiddenTests", "run_build_tasks", "generation_request"]

GENERATION_SYSTEM = (
    "You implement software tasks. Reply with every file of your implementation as a fenced code block "
    "whose info string is the file name, for example ```python main.py. Do not include tests."
)


class HiddenTests(Protocol):
    """Runs a task's hidden tests on files; the sandbox pool is the real one."""

    async def prepare(self, tasks: list[BuildTask]) -> None:
        """Make ready what the tasks need (images, before the first generation call)."""
        ...

    async def run_tests(self, task: BuildTask, files: dict[str, str], run_id: str) -> TestOutcome: ...


def generation_request(model: ModelConfig, task: BuildTask, config: RoundConfig, sample: int) -> ChatRequest:
    """The implementer sees PROMPT and SPEC; never the hidden tests or the reference solution."""
    user = (
        f"{task.prompt}\n\n## Specification\n\n{task.spec}\n\n"
        f"Write the implementation in `{task.entrypoint}` ({task.language})."
    )
    return ChatRequest(
        model=model.litellm_model,
        messages=(ChatMessage(role="system", content=GENERATION_SYSTEM), ChatMessage(role="user", content=user)),
        temperature=config.sampling.answer.temperature,
        max_tokens=config.sampling.answer.max_tokens,
        sample=sample,
    )


class _BuildRound:
    def __init__(self, plan: RoundPlan, rubric: PacketRubric | None, client: ModelClient, tests: HiddenTests, run_id: str) -> None:
        self.plan = plan
        config = self.config = plan.config
        self.client = client
        self.tests = tests
        self.run_id = run_id
        self.judge = (
            PacketJudge(client=client, rubric=rubric, sampling=config.sampling.judge, max_answer_chars=config.judging.max_answer_chars)
            if rubric is not None
            else None
        )
        self.mask = IdentityMask(identity_terms(config.models) if config.mask_identities else [])

    async def run_task(self, task: BuildTask) -> BuildOutcome:
        per_model = await asyncio.gather(*(self._samples_of(task, model) for model in self.config.models))
        samples = [s for model_samples in per_model for s in model_samples]
        reviewers = [call.model_id for call in self.plan.calls_of("review", task.task_id)]
        if not reviewers:
            return BuildOutcome(task_id=task.task_id, samples=samples, reviews=[])
        if self.judge is None or task.judge_prompt is None or task.judge_rubric is None:
            raise HarnessError(f"build task {task.task_id!r} is reviewed but has no review rubric or judge files")
        judge = self.judge
        judged = {s.model_id: s for s in samples}  # the last sample of each model is the one reviewed
        implementations = {
            model_id: ({name: self.mask.apply(text)[0] for name, text in s.files.items()} if s.files else None)
            for model_id, s in judged.items()
        }
        texts = {
            name: self.mask.apply(text)[0]
            for name, text in (
                ("judge_prompt", task.judge_prompt),
                ("judge_rubric", task.judge_rubric),
                ("prompt", task.prompt),
                ("spec", task.spec),
            )
        }
        model_ids = [m.id for m in self.config.models]
        notices = {
            model_id: self.mask.apply(_sandbox_notice(s.tests))[0]
            for model_id, s in judged.items()
            if s.tests is not None and s.tests.integrity != "ok"
        }
        reviews = await asyncio.gather(
            *(
                judge.review(
                    task_id=task.task_id,
                    judge_id=judge_id,
                    judge_litellm_model=self.config.model(judge_id).litellm_model,
                    labels=shuffled_labels(model_ids, self.config.seed, task.task_id, judge_id),
                    implementations=implementations,
                    texts=texts,
                    notices=notices,
                )
                for judge_id in reviewers
            )
        )
        return BuildOutcome(task_id=task.task_id, samples=samples, reviews=list(reviews))

    async def _samples_of(self, task: BuildTask, model: ModelConfig) -> list[BuildSampleOutcome]:
        planned = self.plan.calls_of("generate", task.task_id, model.id)
        return list(await asyncio.gather(*(self._one_sample(task, model, call.sample) for call in planned)))

    async def _one_sample(self, task: BuildTask, model: ModelConfig, sample: int) -> BuildSampleOutcome:
        meta = CallMeta(stage="generate", model_id=model.id, task_id=task.task_id)
        record = await self.client.complete(generation_request(model, task, self.config, sample), meta)
        outcome = BuildSampleOutcome(
            task_id=task.task_id,
            model_id=model.id,
            sample=sample,
            files=None,
            error=record.error,
            latency_s=record.latency_s,
            usage=record.usage,
            cost_usd=record.cost_usd,
            over_max_tokens=exceeds_max_tokens(record),
        )
        if not record.ok or record.reply is None:
            return outcome
        try:
            files = extract_files(record.reply, task.entrypoint)
        except ExtractionError as exc:
            return outcome.model_copy(update={"error": f"no usable implementation: {exc}"})
        tests = await self.tests.run_tests(task, files, self.run_id)
        return outcome.model_copy(update={"files": files, "loc": count_loc(files[task.entrypoint], task.loc_method), "tests": tests})


def _sandbox_notice(tests: TestOutcome) -> str:
    evidence = "; ".join(note for note in tests.integrity_notes if note.startswith(("tampered", "error", "suspicious")))
    return f"(Sandbox integrity check: {tests.integrity}. {evidence[:1500]})"


async def run_build_tasks(plan: RoundPlan, rubric: PacketRubric | None, client: ModelClient, tests: HiddenTests, run_id: str) -> list[BuildOutcome]:
    """Run every build task of the plan concurrently: generations, hidden tests, then reviews."""
    await tests.prepare(plan.build_tasks)
    build_round = _BuildRound(plan, rubric, client, tests, run_id)
    return list(await asyncio.gather(*(build_round.run_task(task) for task in plan.build_tasks)))
