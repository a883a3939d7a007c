"""A spending limit in the call layer: no new call once spent plus in-flight cost would pass it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..llm import CallMeta, CallRecord, ChatRequest, ModelClient

__all__ = ["BudgetGuard", "CostEstimator"]

CostEstimator = Callable[[ChatRequest], float]
"""Upper estimate of what a request may cost, in USD (0 when the model has no price)."""


class BudgetGuard:
    """Wraps the live client. Calls over the limit wait forever; the session notices and stops.

    Calls served from the cassette never reach this layer, so they cost nothing here.
    """

    def __init__(self, inner: ModelClient, max_cost_usd: float, estimate: CostEstimator) -> None:
        self._inner = inner
        self.max_cost_usd = max_cost_usd
        self._estimate = estimate
        self.spent_usd = 0.0
        self.in_flight_usd = 0.0
        self.in_flight = 0
        self.refused = 0
        self.exhausted = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        estimate = self._estimate(request)
        if self.exhausted.is_set() or self.spent_usd + self.in_flight_usd + estimate > self.max_cost_usd:
            self.refused += 1
            self.exhausted.set()
            await asyncio.Event().wait()  # never started; cancelled when the session stops
        self.in_flight += 1
        self.in_flight_usd += estimate
        self.idle.clear()
        try:
            record = await self._inner.complete(request, meta)
        finally:
            self.in_flight -= 1
            self.in_flight_usd -= estimate
            if self.in_flight == 0:
                self.idle.set()
        self.spent_usd += record.cost_usd or 0.0
        return record

    async def aclose(self) -> None:
        await self._inner.aclose()
