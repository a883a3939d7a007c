"""Question rounds: every model answers, every judge scores every other answer as soon as it exists."""

from __future__ import annotations

import asyncio

from ..config import ModelConfig, RoundConfig
from ..formats import SELF_JUDGMENT_EXCLUDED, Answer, Judgment, QuestionOutcome
from ..judging import IdentityMask, PointwiseJudge, PointwiseRubric, identity_terms
from ..llm import CallMeta, ChatMessage, ChatRequest, ModelClient
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
    def __init__(self, config: RoundConfig, rubric: PointwiseRubric, client: ModelClient) -> None:
        self.config = config
        self.client = client
        self.judge = PointwiseJudge(client=client, rubric=rubric, sampling=config.sampling.judge)
        self.mask = IdentityMask(identity_terms(config.models) if config.mask_identities else [])
        self.judges = [config.model(j) for j in config.judge_ids()]

    async def run_task(self, task: QuestionTask) -> QuestionOutcome:
        per_model = await asyncio.gather(*(self._answer_and_judge(task, model) for model in self.config.models))
        answers = [answer for answer, _ in per_model]
        by_pair = {(j.judge_id, j.respondent_id): j for _, judgments in per_model for j in judgments}
        ordered = [
            by_pair[(judge.id, model.id)]
            for judge in self.judges
            for model in self.config.models
            if (judge.id, model.id) in by_pair
        ]
        return QuestionOutcome(task_id=task.task_id, answers=answers, judgments=ordered)

    async def _answer_and_judge(self, task: QuestionTask, model: ModelConfig) -> tuple[Answer, list[Judgment]]:
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
        )
        if answer.text is None:
            return answer, []  # as the source: a failed answer is not judged
        masked, terms = self.mask.apply(answer.text)
        judgments = await asyncio.gather(*(self._judge_one(task, judge, model, masked, terms) for judge in self.judges))
        return answer, list(judgments)

    async def _judge_one(self, task: QuestionTask, judge: ModelConfig, respondent: ModelConfig, answer: str, terms: list[str]) -> Judgment:
        if judge.id == respondent.id and self.config.self_judgment == "skip":
            return Judgment(task_id=task.task_id, judge_id=judge.id, respondent_id=respondent.id, error=SELF_JUDGMENT_EXCLUDED)
        return await self.judge.judge(
            task_id=task.task_id,
            judge_id=judge.id,
            judge_litellm_model=judge.litellm_model,
            respondent_id=respondent.id,
            question=self.mask.apply(task.prompt)[0],
            answer=answer,
            masked_terms=terms,
        )


async def run_question_tasks(
    config: RoundConfig, rubric: PointwiseRubric, tasks: list[QuestionTask], client: ModelClient
) -> list[QuestionOutcome]:
    """Run every question task concurrently; concurrency limits live in the call layer."""
    question_round = _QuestionRound(config, rubric, client)
    return list(await asyncio.gather(*(question_round.run_task(task) for task in tasks)))
