"""What a round will cost, before the first call: calls, tokens and price per model."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from ..llm import CHARS_PER_TOKEN
from ..llm import estimate_tokens as _tokens
from ..tasks import BuildTask
from ._plan import RoundPlan

__all__ = ["ModelEstimate", "RoundEstimate", "Prices", "estimate_round"]

JUDGE_TEMPLATE_TOKENS = 350
CUT_MARKER_TOKENS = 30
"""The marker a cut answer ends with (`judging.max_answer_chars`), in tokens, rounded up."""


class Prices(Protocol):
    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None: ...


class ModelEstimate(BaseModel):
    model_id: str
    litellm_model: str
    calls: int
    input_tokens: int
    """Estimated from prompt lengths (about 4 characters a token)."""
    max_output_tokens: int
    """If every reply used its whole max_tokens."""
    max_cost_usd: float | None
    """None: neither the config (`price:`) nor LiteLLM's price map gives the model a price."""


class RoundEstimate(BaseModel):
    answer_calls: int
    judge_calls: int
    generate_calls: int
    review_calls: int
    sandbox_runs: int
    models: list[ModelEstimate]

    @property
    def max_cost_usd(self) -> float | None:
        """Sum over priced models (None when no model has a price)."""
        known = [m.max_cost_usd for m in self.models if m.max_cost_usd is not None]
        return sum(known) if known else None


def estimate_round(plan: RoundPlan, prices: Prices) -> RoundEstimate:
    """Prices every call of `plan.calls` as if each reply used its whole max_tokens."""
    config = plan.config
    counts = plan.counts()
    answer_max = config.sampling.answer.max_tokens or 4096
    judge_max = config.sampling.judge.max_tokens or 4096
    judged_max = _judged_answer_tokens(answer_max, config.judging.max_answer_chars)
    tasks = {task.task_id: task for task in plan.tasks}
    respondents = len(config.models)
    rows = []
    for model in config.models:
        calls = [c for c in plan.calls if c.model_id == model.id]
        input_tokens = output_tokens = 0
        for call in calls:
            task = tasks[call.task_id]
            if call.stage == "answer":
                input_tokens += _tokens(task.prompt)
                output_tokens += answer_max
            elif call.stage == "judge":
                input_tokens += JUDGE_TEMPLATE_TOKENS + _tokens(task.prompt) + judged_max
                output_tokens += judge_max
            elif call.stage == "generate" and isinstance(task, BuildTask):
                input_tokens += _tokens(task.prompt + task.spec)
                output_tokens += answer_max
            elif call.stage == "review" and isinstance(task, BuildTask):
                input_tokens += _review_input_tokens(task, respondents, judged_max)
                output_tokens += judge_max
        rows.append(
            ModelEstimate(
                model_id=model.id,
                litellm_model=model.litellm_model,
                calls=len(calls),
                input_tokens=input_tokens,
                max_output_tokens=output_tokens,
                max_cost_usd=prices.cost(model.litellm_model, input_tokens, output_tokens),
            )
        )
    return RoundEstimate(
        answer_calls=counts.answer_calls,
        judge_calls=counts.judge_calls,
        generate_calls=counts.generate_calls,
        review_calls=counts.review_calls,
        sandbox_runs=counts.sandbox_runs,
        models=rows,
    )


def _judged_answer_tokens(answer_max: int, max_answer_chars: int | None) -> int:
    """Tokens of an answer as judges see it: at most max_tokens, and at most the cut size plus its marker."""
    if max_answer_chars is None:
        return answer_max
    return min(answer_max, max_answer_chars // CHARS_PER_TOKEN + CUT_MARKER_TOKENS)


def _review_input_tokens(task: BuildTask, implementations: int, answer_max: int) -> int:
    fixed = _tokens((task.judge_prompt or "") + (task.judge_rubric or "") + task.prompt + task.spec) + JUDGE_TEMPLATE_TOKENS
    return fixed + implementations * answer_max
