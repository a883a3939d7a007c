"""The live call layer: LiteLLM's `acompletion` with concurrency limits and retries."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from ._errors import EmptyReplyError, classify_failure, describe_error, is_retryable, retry_after_seconds
from ._pricing import PriceBook
from ._secrets import SecretRedactor
from ._types import CallMeta, CallRecord, ChatRequest, Usage, call_key
from ._wire import Wire, proxies_from_env

__all__ = ["Endpoint", "LiteLLMClient", "import_litellm"]


def import_litellm() -> Any:
    """Import LiteLLM on first use; its import costs seconds and must not slow the CLI.

    `openai/` models go through LiteLLM's own HTTP handler, the one most of its providers
    use, rather than through the openai SDK: the SDK's request transformation costs about
    2 ms of CPU per call (benchmarks/dispatch.py). Setting the variable to false restores
    the SDK path.
    """
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER", "true")
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
    """Calls models through LiteLLM; every outcome, failures included, becomes a CallRecord.

    Limits: `concurrency` requests on the wire at once, and per model its endpoint's
    `concurrency` calls (see `_wire.Wire`).
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
    ) -> None:
        self._litellm = import_litellm()
        self._endpoints = dict(endpoints)
        self._wire = Wire(
            concurrency,
            {model_id: e.concurrency for model_id, e in self._endpoints.items()},
            proxies_from_env=proxies_from_env(self._litellm),
        )
        self._max_attempts = max_attempts
        self._initial_wait_s = initial_wait_s
        self._max_wait_s = max_wait_s
        self._timeout_s = timeout_s
        self._redactor = SecretRedactor.from_env(e.api_key_env for e in self._endpoints.values())
        self.prices = prices or PriceBook()
        self._routes: dict[str, str] = {}
        self._empty_reply_attempts = empty_reply_attempts
        self._retryable = retry_if_exception(is_retryable)
        self._stop = stop_after_attempt(max_attempts)

    def _retry(self, state: RetryCallState) -> bool:
        """Transient errors are retried up to `max_attempts`; an empty reply only up to `empty_reply_attempts`."""
        outcome = state.outcome
        if outcome is not None and outcome.failed and isinstance(outcome.exception(), EmptyReplyError):
            return state.attempt_number < self._empty_reply_attempts
        return bool(self._retryable(state))

    def _wait_seconds(self, state: RetryCallState) -> float:
        backoff = min(self._max_wait_s, self._initial_wait_s * 2 ** (state.attempt_number - 1))
        wait = random.uniform(backoff / 2, backoff)
        outcome = state.outcome
        if outcome is not None and outcome.failed:
            hinted = retry_after_seconds(outcome.exception())
            if hinted is not None:
                wait = max(wait, min(hinted, self._max_wait_s))
        return wait

    def _call_kwargs(self, request: ChatRequest, endpoint: Endpoint) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
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
        return kwargs

    async def _attempt(self, request: ChatRequest, meta: CallMeta) -> Any:
        kwargs = self._call_kwargs(request, self._endpoints[meta.model_id])
        async with self._wire.slot(meta.model_id, self._route_of(request.model)) as session:
            response = await self._litellm.acompletion(**kwargs, shared_session=session)
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
        key = call_key(request, meta)
        started = time.perf_counter()
        attempts = 0
        retrying = AsyncRetrying(stop=self._stop, wait=self._wait_seconds, retry=self._retry, reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    response = await self._attempt(request, meta)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every provider failure becomes a recorded failure
            return CallRecord(
                key=key,
                meta=meta,
                request=request,
                latency_s=round(time.perf_counter() - started, 3),
                attempts=attempts,
                error=self._redactor.redact(describe_error(exc, attempts)),
                failure=classify_failure(exc),
            )
        return CallRecord(
            key=key,
            meta=meta,
            request=request,
            reply=str(response.choices[0].message.content),
            usage=_usage_of(response),
            cost_usd=self._cost_of(request.model, response),
            latency_s=round(time.perf_counter() - started, 3),
            attempts=attempts,
        )

    def _route_of(self, model: str) -> str:
        """LiteLLM's provider for `model`: calls of one provider share a code path."""
        if model not in self._routes:
            try:
                self._routes[model] = str(self._litellm.get_llm_provider(model)[1])
            except Exception:  # LiteLLM does not know the provider: the call will say why
                self._routes[model] = model
        return self._routes[model]

    async def aclose(self) -> None:
        """Flush LiteLLM's logs and close the shared session; call it last on the round's loop."""
        await self.flush_logs()
        await self._wire.aclose(self._litellm)

    async def flush_logs(self, timeout_s: float = 5.0) -> None:
        """Let LiteLLM finish its background logging of this loop's calls before the loop closes.

        LiteLLM logs every call from a worker bound to the running event loop; logs still
        queued when the loop closes are carried to the next loop with a warning
        ("LoggingWorker: event loop changed"). Call this last thing on the round's loop.
        """
        await asyncio.sleep(0)  # each call's log is enqueued by a task of its own
        try:
            from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
        except ImportError:  # another LiteLLM layout: nothing to flush that we know of
            return
        try:
            await asyncio.wait_for(GLOBAL_LOGGING_WORKER.flush(), timeout=timeout_s)
        except TimeoutError:
            pass

    def _cost_of(self, model: str, response: Any) -> float | None:
        """The call's cost: from the config's price when it gives one, else LiteLLM's; None when the model has no price.

        LiteLLM already priced the response it returned (`_hidden_params["response_cost"]`,
        the documented place to read it): pricing it a second time would double that work.
        """
        source = self.prices.source(model)
        if source is None:
            return None
        if source == "config":
            usage = _usage_of(response)
            return self.prices.cost(model, usage.prompt_tokens, usage.completion_tokens)
        hidden = getattr(response, "_hidden_params", None)
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        if cost is None:
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
