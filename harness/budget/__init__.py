"""Budgets: price estimates before a round, and a spending limit during it."""

from ._estimate import PriceBook, estimate_prompt_tokens
from ._guard import BudgetGuard, CostEstimator

__all__ = ["BudgetGuard", "CostEstimator", "PriceBook", "estimate_prompt_tokens"]
