"""Checks of a `--max-cost` limit before the first call: a limit is only as good as the prices behind it."""

from __future__ import annotations

from collections.abc import Iterable

from ..config import ModelConfig
from ..llm import PriceBook

__all__ = ["unpriced_models", "unpriced_refusal"]


def unpriced_models(models: Iterable[ModelConfig], prices: PriceBook | None = None) -> list[ModelConfig]:
    """Models with neither a config `price` nor one in LiteLLM's price map, in config order."""
    models = list(models)
    book = prices or PriceBook.of_models(models)
    return [m for m in models if not book.has_price(m.litellm_model)]


def unpriced_refusal(models: Iterable[ModelConfig], prices: PriceBook | None = None) -> str | None:
    """Why a `--max-cost` limit cannot hold for these models (None: every model has a price)."""
    missing = unpriced_models(models, prices)
    if not missing:
        return None
    names = ", ".join(f"{m.id} ({m.litellm_model})" for m in missing)
    return (
        f"no known price for {len(missing)} model(s): {names}. Their calls would not count against the limit. "
        "Give each a `price: {input_per_mtok: USD, output_per_mtok: USD}` in the round config, "
        "or pass --allow-unpriced to count their calls as free."
    )
