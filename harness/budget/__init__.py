"""Budgets: a spending limit during a round (prices and estimates are `llm.PriceBook`)."""

from ._guard import BudgetGuard, CostEstimator

__all__ = ["BudgetGuard", "CostEstimator"]
