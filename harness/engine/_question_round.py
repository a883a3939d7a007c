"""Question rounds: every model answers, every judge scores every other answer as soon as it exists."""

from __future__ import annotations

import asyncio

from ..config import ModelConfig, RoundConfig
from ..formats import SELF_JUDGMENT_EXCLUDED, Answer, Judgment, QuestionOutcome
from ..judging import IdentityMask, PointwiseJudge, PointwiseRubric, identity_terms
from ..llm import CallMeta, ChatMessage, ChatRequest, ModelClient, exceeds_max_tokens
from ..plan import JudgmentSlot, RoundPlan
from ..tasks import QuestionTask

__all__ = ["run_question_tasks", "answer_request"]



def answer_request(model: ModelConfig, task: QuestionTask, config: RoundConfig) -> ChatRequest:
    return ChatRequest(
        model=model.litellm_model,
        messages=(ChatMessage(role="user", content=task.prompt),),
        temperature=config.sampling.answer.temperature,
        max_tokens=config.sampling.answer.max_tokens,
    )


class _QuestionRound:
    def __init__(self, plan: RoundPlan, rubric: PointwiseRubric, client: ModelClient) -> None:
        self.plan = plan
        self.config = plan.config
        self.client = client
        self.judge = PointwiseJudge(
            client=client, rubric=rubric, sampling=self.config.sampling.judge, max_answer_chars=self.config.judging.max_answer_chars
        )
        self.mask = IdentityMask(identity_terms(self.config.models) if self.config.mask_identities else [])

    async def run_task(self, task: QuestionTask) -> QuestionOutcome:
        slots = self.plan.judgment_slots(task.task_id)
        per_model = await asyncio.gather(
            *(self._answer_and_judge(task, model, [s for s in slots if s.respondent_id == model.id]) for model in self.config.models)
        )
        answers = [answer for answer, _ in per_model]
        by_pair = {(j.judge_id, j.respondent_id): j for _, judgments in per_model for j in judgments}
        ordered = [by_pair[pair] for pair in ((s.judge_id, s.respondent_id) for s in slots) if pair in by_pair]
        return QuestionOutcome(task_id=task.task_id, answers=answers, judgments=ordered)

    async def _answer_and_judge(self, task: QuestionTask, model: ModelConfig, slots: list[JudgmentSlot]) -> tuple[Answer, list[Judgment]]:
        meta = CallMeta(stage="answer", model_id=model.id, task_id=task.task_id)
        record = await self.client.complete(answer_request(model, task, self.config), meta)
        answer = Answer(
            task_id=task.task_id,
            model_id=model.id,
            text=record.reply if record.ok else None,
            error=None if record.ok else record.error,
            latency_s=record.latency_s,
            usage=record.usage,
            cost_usd=record.cost_usd,
            over_max_tokens=exceeds_max_tokens(record),
        )
        if answer.text is None:
            return answer, []  # as the source: a failed answer is not judged
        masked, terms = self.mask.apply(answer.text)
        judgments = await asyncio.gather(*(self._judge_one(task, slot, masked, terms) for slot in slots))
        return answer, list(judgments)

    async def _judge_one(self, task: QuestionTask, slot: JudgmentSlot, answer: str, terms: list[str]) -> Judgment:
        if not slot.asked:
            return Judgment(task_id=task.task_id, judge_id=slot.judge_id, respondent_id=slot.respondent_id, error=SELF_JUDGMENT_EXCLUDED)
        judge = self.config.model(slot.judge_id)
        return await self.judge.judge(
            task_id=task.task_id,
            judge_id=judge.id,
            judge_litellm_model=judge.litellm_model,
            respondent_id=slot.respondent_id,
            question=self.mask.apply(task.prompt)[0],
            answer=answer,
            masked_terms=terms,
        )


async def run_question_tasks(plan: RoundPlan, rubric: PointwiseRubric, client: ModelClient) -> list[QuestionOutcome]:
    """Run every question task of the plan concurrently; concurrency limits live in the call layer."""
    question_round = _QuestionRound(plan, rubric, client)
    return list(await asyncio.gather(*(question_round.run_task(task) for task in plan.question_tasks)))
