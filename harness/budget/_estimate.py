"""Estimates of tokens and cost before any call, from LiteLLM's price map."""

from __future__ import annotations

from typing import Any

from ..llm import ChatRequest, import_litellm

__all__ = ["PriceBook", "estimate_prompt_tokens"]

CHARS_PER_TOKEN = 4


def estimate_prompt_tokens(request: ChatRequest) -> int:
    return sum(len(m.content) for m in request.messages) // CHARS_PER_TOKEN + 8 * len(request.messages)


class PriceBook:
    """Per-token prices of models, None where LiteLLM's map has none (looked up once per model)."""

    def __init__(self) -> None:
        self._litellm: Any = import_litellm()
        self._prices: dict[str, tuple[float, float] | None] = {}

    def price(self, model: str) -> tuple[float, float] | None:
        """(input, output) USD per token."""
        if model not in self._prices:
            try:
                info = self._litellm.get_model_info(model)
                pair = (float(info.get("input_cost_per_token") or 0), float(info.get("output_cost_per_token") or 0))
                self._prices[model] = pair if any(pair) else None
            except Exception:  # LiteLLM raises for models it does not know
                self._prices[model] = None
        return self._prices[model]

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return prompt_tokens * price[0] + completion_tokens * price[1]

    def upper_estimate(self, request: ChatRequest, default_max_tokens: int = 4096) -> float:
        """Cost if the reply uses all of max_tokens; 0 for unpriced models."""
        cost = self.cost(request.model, estimate_prompt_tokens(request), request.max_tokens or default_max_tokens)
        return cost or 0.0
