"""Pointwise judging: one judge, one anonymous answer, a JSON verdict, one repair re-ask."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import SamplingSettings
from ..formats import Judgment
from ..llm import CallMeta, ChatMessage, ChatRequest, ModelClient
from ._ask import ask_with_repair
from ._cut import cut_answer
from ._parse import ReplyError, parse_pointwise_reply
from ._rubric import PointwiseRubric, fill_template

__all__ = ["PointwiseJudge", "build_judge_messages"]


def build_judge_messages(rubric: PointwiseRubric, question: str, answer: str) -> list[ChatMessage]:
    """The judge's prompt: it holds the question and one answer, never who wrote it."""
    user = fill_template(
        rubric.prompt_template,
        question=question,
        answer=answer,
        criteria=rubric.criteria_text(),
        json_example=rubric.json_example(),
    )
    messages = [ChatMessage(role="system", content=rubric.system_prompt)] if rubric.system_prompt else []
    return messages + [ChatMessage(role="user", content=user)]


@dataclass(frozen=True)
class PointwiseJudge:
    """Judges answers of a question round with one rubric."""

    client: ModelClient
    rubric: PointwiseRubric
    sampling: SamplingSettings
    max_answer_chars: int | None = None
    """Judges see answers cut to this many characters (`judging.max_answer_chars`); None: whole."""

    def _request(self, litellm_model: str, messages: list[ChatMessage]) -> ChatRequest:
        return ChatRequest(
            model=litellm_model,
            messages=tuple(messages),
            temperature=self.sampling.temperature,
            max_tokens=self.sampling.max_tokens,
        )

    async def judge(
        self,
        *,
        task_id: str,
        judge_id: str,
        judge_litellm_model: str,
        respondent_id: str,
        question: str,
        answer: str,
        masked_terms: list[str],
    ) -> Judgment:
        base = Judgment(task_id=task_id, judge_id=judge_id, respondent_id=respondent_id, masked_terms=masked_terms)
        meta = CallMeta(stage="judge", model_id=judge_id, task_id=task_id, respondent_id=respondent_id)

        def repair_prompt(error: ReplyError) -> str:
            return fill_template(self.rubric.repair_prompt, error=str(error), json_example=self.rubric.json_example())

        asked = await ask_with_repair(
            self.client,
            lambda messages: self._request(judge_litellm_model, messages),
            build_judge_messages(self.rubric, question, cut_answer(answer, self.max_answer_chars)),
            meta,
            lambda reply: parse_pointwise_reply(reply, self.rubric),
            repair_prompt,
        )
        spent = {"latency_s": asked.latency_s, "usage": asked.usage, "cost_usd": asked.cost_usd, "over_max_tokens": asked.over_max_tokens}
        if asked.parsed is None:
            return base.model_copy(update={"error": asked.error, **spent})
        scores, justification = asked.parsed
        return base.model_copy(
            update={
                "scores": scores,
                "weighted_score": self.rubric.weighted_score(scores),
                "justification": justification,
                "repaired": asked.repaired,
                **spent,
            }
        )
