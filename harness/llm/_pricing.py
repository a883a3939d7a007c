"""Prices and token estimates: LiteLLM's price map, looked up once per model, and the one chars-per-token rule."""

from __future__ import annotations

from typing import Any

from ._types import ChatRequest

__all__ = ["CHARS_PER_TOKEN", "PriceBook", "estimate_prompt_tokens", "estimate_tokens"]

CHARS_PER_TOKEN = 4
"""Estimates before a call: about 4 characters a token."""


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN


def estimate_prompt_tokens(request: ChatRequest) -> int:
    """A request's prompt tokens, estimated (with a few tokens of framing per message)."""
    return sum(len(m.content) for m in request.messages) // CHARS_PER_TOKEN + 8 * len(request.messages)


class PriceBook:
    """Per-token prices of models from LiteLLM's price map; None where it has none (a miss is slow: looked up once)."""

    def __init__(self, litellm: Any = None) -> None:
        if litellm is None:
            from ._litellm import import_litellm

            litellm = import_litellm()
        self._litellm = litellm
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

    def has_price(self, model: str) -> bool:
        return self.price(model) is not None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return prompt_tokens * price[0] + completion_tokens * price[1]

    def upper_estimate(self, request: ChatRequest, default_max_tokens: int = 4096) -> float:
        """Cost if the reply uses all of max_tokens; 0 for unpriced models."""
        cost = self.cost(request.model, estimate_prompt_tokens(request), request.max_tokens or default_max_tokens)
        return cost or 0.0
