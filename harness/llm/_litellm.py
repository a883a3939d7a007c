"""The live call layer: LiteLLM's `acompletion` with concurrency limits and retries."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._errors import EmptyReplyError, describe_error, is_retryable, retry_after_seconds
from ._secrets import SecretRedactor
from ._types import CallMeta, CallRecord, ChatRequest, Usage, call_key

__all__ = ["Endpoint", "LiteLLMClient", "import_litellm"]


def import_litellm() -> Any:
    """Import LiteLLM on first use; its import costs seconds and must not slow the CLI."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.drop_params = True
    return litellm


@dataclass(frozen=True)
class Endpoint:
    """Where and how one round model is called."""

    api_base: str | None
    api_key_env: str | None
    concurrency: int


class LiteLLMClient:
    """Calls models through LiteLLM; every outcome, failures included, becomes a CallRecord."""

    def __init__(
        self,
        endpoints: Mapping[str, Endpoint],
        *,
        concurrency: int = 64,
        max_attempts: int = 5,
        initial_wait_s: float = 1.0,
        max_wait_s: float = 60.0,
        timeout_s: float = 300.0,
    ) -> None:
        self._litellm = import_litellm()
        self._endpoints = dict(endpoints)
        self._global_slots = asyncio.Semaphore(concurrency)
        self._model_slots = {mid: asyncio.Semaphore(e.concurrency) for mid, e in self._endpoints.items()}
        self._max_attempts = max_attempts
        self._initial_wait_s = initial_wait_s
        self._max_wait_s = max_wait_s
        self._timeout_s = timeout_s
        self._redactor = SecretRedactor.from_env(e.api_key_env for e in self._endpoints.values())

    def _wait_seconds(self, state: RetryCallState) -> float:
        backoff = min(self._max_wait_s, self._initial_wait_s * 2 ** (state.attempt_number - 1))
        wait = random.uniform(backoff / 2, backoff)
        outcome = state.outcome
        if outcome is not None and outcome.failed:
            hinted = retry_after_seconds(outcome.exception())
            if hinted is not None:
                wait = max(wait, min(hinted, self._max_wait_s))
        return wait

    async def _attempt(self, request: ChatRequest, meta: CallMeta) -> Any:
        endpoint = self._endpoints[meta.model_id]
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": [m.model_dump() for m in request.messages],
            "timeout": self._timeout_s,
            "num_retries": 0,
            "max_retries": 0,
        }
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if endpoint.api_base:
            kwargs["api_base"] = endpoint.api_base
        if endpoint.api_key_env:
            kwargs["api_key"] = os.environ.get(endpoint.api_key_env, "")
        async with self._model_slots[meta.model_id], self._global_slots:
            response = await self._litellm.acompletion(**kwargs)
        choices = getattr(response, "choices", None)
        if not choices:
            raise EmptyReplyError("the provider returned no choices")
        content = choices[0].message.content
        if content is None or not str(content).strip():
            raise EmptyReplyError("the provider returned an empty message")
        return response

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        if meta.model_id not in self._endpoints:
            raise KeyError(f"no endpoint configured for model {meta.model_id!r}")
        started = time.perf_counter()
        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait_seconds,
            retry=retry_if_exception(is_retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    response = await self._attempt(request, meta)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every provider failure becomes a recorded failure
            return CallRecord(
                key=call_key(request, meta),
                meta=meta,
                request=request,
                latency_s=round(time.perf_counter() - started, 3),
                attempts=attempts,
                error=self._redactor.redact(describe_error(exc, attempts)),
            )
        return CallRecord(
            key=call_key(request, meta),
            meta=meta,
            request=request,
            reply=str(response.choices[0].message.content),
            usage=_usage_of(response),
            cost_usd=self._cost_of(response),
            latency_s=round(time.perf_counter() - started, 3),
            attempts=attempts,
        )

    def _cost_of(self, response: Any) -> float | None:
        try:
            cost = self._litellm.completion_cost(completion_response=response)
        except Exception:  # LiteLLM raises when the model has no price
            return None
        return float(cost) if cost else None


def _usage_of(response: Any) -> Usage:
    usage = getattr(response, "usage", None)
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or 0) or prompt + completion
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cached_tokens=int(cached or 0))
