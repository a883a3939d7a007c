"""What a round will cost, before the first call: calls, tokens and price per model."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from ..tasks import BuildTask
from ._plan import RoundPlan

__all__ = ["ModelEstimate", "RoundEstimate", "Prices", "estimate_round"]

CHARS_PER_TOKEN = 4
JUDGE_TEMPLATE_TOKENS = 350


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
    """None: LiteLLM's price map has no price for the model."""


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


def _tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN


def estimate_round(plan: RoundPlan, prices: Prices) -> RoundEstimate:
    config = plan.config
    counts = plan.counts()
    answer_max = config.sampling.answer.max_tokens or 4096
    judge_max = config.sampling.judge.max_tokens or 4096
    judges = set(config.judge_ids())
    respondents = len(config.models)
    rows = []
    for model in config.models:
        calls = input_tokens = output_tokens = 0
        for task in plan.question_tasks:
            calls += 1
            input_tokens += _tokens(task.prompt)
            output_tokens += answer_max
            if model.id in judges:
                judged = respondents if config.self_judgment == "record" else respondents - 1
                calls += judged
                input_tokens += judged * (JUDGE_TEMPLATE_TOKENS + _tokens(task.prompt) + answer_max)
                output_tokens += judged * judge_max
        for build in plan.build_tasks:
            calls += config.samples
            input_tokens += config.samples * _tokens(build.prompt + build.spec)
            output_tokens += config.samples * answer_max
            if model.id in judges:
                calls += 1
                input_tokens += _review_input_tokens(build, respondents, answer_max)
                output_tokens += judge_max
        rows.append(
            ModelEstimate(
                model_id=model.id,
                litellm_model=model.litellm_model,
                calls=calls,
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


def _review_input_tokens(task: BuildTask, implementations: int, answer_max: int) -> int:
    fixed = _tokens(task.judge_prompt + task.judge_rubric + task.prompt + task.spec) + JUDGE_TEMPLATE_TOKENS
    return fixed + implementations * answer_max
