"""The live call layer: LiteLLM calls with the round's limits and retries, wherever the attempts are made."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt

from ._attempt import AttemptCall, AttemptFailed, AttemptOutcome, AttemptRunner, CallBackend
from ._errors import classify_failure, describe_error, describe_failure
from ._pricing import PriceBook
from ._secrets import SecretRedactor
from ._types import CallMeta, CallRecord, ChatRequest, call_key

__all__ = ["Endpoint", "LiteLLMClient"]


@dataclass(frozen=True)
class Endpoint:
    """Where and how one round model is called."""

    api_base: str | None
    api_key_env: str | None
    concurrency: int


class LiteLLMClient:
    """Calls models through LiteLLM; every outcome, failures included, becomes a CallRecord.

    The client is the driver's side of every call: it holds the limits (per model its endpoint's
    `concurrency` attempts at once, and at most twice the round's `concurrency` attempts handed
    out), reads API keys, retries, prices and builds the record. Each attempt is made by the
    `backend`: by default in this event loop (`AttemptRunner`, which keeps `concurrency`
    requests on the wire, see `_wire.Wire`), or by call workers (`_call_workers.py`).
    """

    def __init__(
        self,
        endpoints: Mapping[str, Endpoint],
        *,
        concurrency: int = 64,
        max_attempts: int = 5,
        initial_wait_s: float = 1.0,
        max_wait_s: float = 60.0,
        timeout_s: float = 300.0,
        empty_reply_attempts: int = 2,
        prices: PriceBook | None = None,
        backend: CallBackend | None = None,
    ) -> None:
        self._endpoints = dict(endpoints)
        self._backend: CallBackend = backend if backend is not None else AttemptRunner(concurrency)
        self._model_slots = {model_id: asyncio.Semaphore(e.concurrency) for model_id, e in self._endpoints.items()}
        self._handed_out = asyncio.Semaphore(2 * concurrency)
        self._max_attempts = max_attempts
        self._initial_wait_s = initial_wait_s
        self._max_wait_s = max_wait_s
        self._timeout_s = timeout_s
        self._redactor = SecretRedactor.from_env(e.api_key_env for e in self._endpoints.values())
        self.prices = prices or PriceBook()
        self._empty_reply_attempts = empty_reply_attempts
        self._stop = stop_after_attempt(max_attempts)

    @property
    def backend(self) -> CallBackend:
        """Where this client's attempts are made."""
        return self._backend

    def _retry(self, state: RetryCallState) -> bool:
        """Transient errors are retried up to `max_attempts`; an empty reply only up to `empty_reply_attempts`."""
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if not isinstance(exc, AttemptFailed):
            return False
        if exc.error.empty_reply:
            return state.attempt_number < self._empty_reply_attempts
        return exc.error.retryable

    def _wait_seconds(self, state: RetryCallState) -> float:
        backoff = min(self._max_wait_s, self._initial_wait_s * 2 ** (state.attempt_number - 1))
        wait = random.uniform(backoff / 2, backoff)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(exc, AttemptFailed) and exc.error.retry_after_s is not None:
            wait = max(wait, min(exc.error.retry_after_s, self._max_wait_s))
        return wait

    def _attempt_call(self, request: ChatRequest, endpoint: Endpoint) -> AttemptCall:
        api_key = os.environ.get(endpoint.api_key_env, "") if endpoint.api_key_env else None
        litellm_price = self.prices.source(request.model) == "litellm"
        return AttemptCall(
            request=request, api_base=endpoint.api_base, api_key=api_key, timeout_s=self._timeout_s, litellm_price=litellm_price
        )

    async def _attempt(self, call: AttemptCall, model_id: str) -> AttemptOutcome:
        async with self._model_slots[model_id], self._handed_out:
            outcome = await self._backend.attempt(call)
        if outcome.error is not None:
            raise AttemptFailed(outcome.error)
        return outcome

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        if meta.model_id not in self._endpoints:
            raise KeyError(f"no endpoint configured for model {meta.model_id!r}")
        key = call_key(request, meta)
        call = self._attempt_call(request, self._endpoints[meta.model_id])
        started = time.perf_counter()
        attempts = 0
        retrying = AsyncRetrying(stop=self._stop, wait=self._wait_seconds, retry=self._retry, reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    outcome = await self._attempt(call, meta.model_id)
        except asyncio.CancelledError:
            raise
        except AttemptFailed as failed:
            error = failed.error
            return self._failed(key, meta, request, started, attempts,
                                describe_failure(error.type_name, error.status, error.message, attempts), error.failure)
        except Exception as exc:  # a fault of the call layer itself is recorded like a provider's
            return self._failed(key, meta, request, started, attempts, describe_error(exc, attempts), classify_failure(exc))
        return CallRecord(
            key=key,
            meta=meta,
            request=request,
            reply=outcome.reply,
            usage=outcome.usage,
            cost_usd=self._cost_of(request.model, outcome),
            latency_s=round(time.perf_counter() - started, 3),
            attempts=attempts,
        )

    def _failed(
        self, key: str, meta: CallMeta, request: ChatRequest, started: float, attempts: int, error: str, failure: str
    ) -> CallRecord:
        return CallRecord(
            key=key,
            meta=meta,
            request=request,
            latency_s=round(time.perf_counter() - started, 3),
            attempts=attempts,
            error=self._redactor.redact(error),
            failure="model" if failure == "model" else "infra",
        )

    async def aclose(self) -> None:
        """Stop the backend (flushing LiteLLM's logs, closing sessions); call it last on the round's loop."""
        await self._backend.aclose()

    def _cost_of(self, model: str, outcome: AttemptOutcome) -> float | None:
        """The call's cost: from the config's price when it gives one, else LiteLLM's; None when the model has no price."""
        source = self.prices.source(model)
        if source is None:
            return None
        if source == "config":
            usage = outcome.usage
            return self.prices.cost(model, usage.prompt_tokens, usage.completion_tokens)
        return outcome.litellm_cost
