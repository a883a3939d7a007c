"""Budgets: a spending limit during a round, and its checks before the first call (prices are `llm.PriceBook`)."""

from ._guard import BudgetGuard, CostEstimator
from ._limits import unpriced_models, unpriced_refusal

__all__ = ["BudgetGuard", "CostEstimator", "unpriced_models", "unpriced_refusal"]
