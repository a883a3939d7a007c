"""One attempt of a call, as plain data both ways: what the driver sends and what comes back.

The driver (`LiteLLMClient`) owns retries, limits, prices and the cassette; an attempt runner makes a
single LiteLLM request and turns its outcome, failures included, into an `AttemptOutcome`. Because
nothing but these models crosses between them, the runner can live in the driver's event loop, in a
worker process or in a Ray actor (`_call_workers.py`), and every kind behaves the same.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ._errors import EmptyReplyError, classify_failure, is_retryable, retry_after_seconds, status_of
from ._types import ChatRequest, FailureClass, Usage
from ._unwanted_pricing import litellm_pricing_skipped, skip_unwanted_pricing
from ._wire import Wire, proxies_from_env

__all__ = [
    "AttemptCall",
    "AttemptError",
    "AttemptFailed",
    "AttemptOutcome",
    "AttemptRunner",
    "CallBackend",
    "import_litellm",
]


def import_litellm() -> Any:
    """Import LiteLLM on first use; its import costs seconds and must not slow the CLI.

    `openai/` models go through LiteLLM's own HTTP handler, the one most of its providers
    use, rather than through the openai SDK: the SDK's request transformation costs about
    2 ms of CPU per call (benchmarks/dispatch.py). Setting the variable to false restores
    the SDK path. Replies whose price the harness does not take from LiteLLM are not priced
    by it (`_unwanted_pricing.py`).
    """
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER", "true")
    first_import = "litellm" not in sys.modules
    import litellm

    if first_import:
        # The objects of LiteLLM's import live as long as the process; frozen, the collector never
        # scans them again, where a full collection would stall the first calls (0.2-0.35 s seen).
        gc.freeze()

    skip_unwanted_pricing()
    litellm.suppress_debug_info = True
    litellm.drop_params = True
    return litellm


class AttemptCall(BaseModel):
    """One request to make once: the request, where it goes, and its key (passed per request, never recorded)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request: ChatRequest
    api_base: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    """The key's value, read by the driver from the model's `api_key_env`: workers need no secrets of their own."""
    timeout_s: float
    litellm_price: bool = True
    """Whether to read LiteLLM's price of the reply: not for a model priced by the config or by no one (pricing an
    unpriced model costs LiteLLM a failed lookup per call)."""


class AttemptError(BaseModel):
    """Why an attempt failed, classified where the exception was raised."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type_name: str
    """The exception's class name (LiteLLM's, e.g. `RateLimitError`), first word of the recorded error."""
    status: int | None = None
    message: str
    retryable: bool
    retry_after_s: float | None = None
    """What the provider asked us to wait (`Retry-After`), if it said."""
    failure: FailureClass
    empty_reply: bool = False
    """A 200 with no usable message: retried only `empty_reply_attempts` times."""

    @classmethod
    def of(cls, exc: BaseException) -> AttemptError:
        return cls(
            type_name=type(exc).__name__,
            status=status_of(exc),
            message=" ".join(str(exc).split())[:500],
            retryable=is_retryable(exc),
            retry_after_s=retry_after_seconds(exc),
            failure=classify_failure(exc),
            empty_reply=isinstance(exc, EmptyReplyError),
        )


class AttemptOutcome(BaseModel):
    """A reply, or the error of the attempt; the cost is LiteLLM's price of the response, if it had one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reply: str | None = None
    usage: Usage = Field(default_factory=Usage)
    litellm_cost: float | None = None
    error: AttemptError | None = None

    @classmethod
    def worker_lost(cls, message: str, *, retryable: bool) -> AttemptOutcome:
        """The outcome of an attempt whose worker went away (or never came): an infrastructure failure."""
        return cls(error=AttemptError(type_name="CallWorkerLost", message=message, retryable=retryable, failure="infra"))


class AttemptFailed(Exception):
    """An attempt's error on the driver's side, for the retry policy and the record."""

    def __init__(self, error: AttemptError) -> None:
        super().__init__(error.message)
        self.error = error


class CallBackend(Protocol):
    """Where attempts are made: in the driver's event loop, in worker processes, in Ray actors."""

    name: str

    async def attempt(self, call: AttemptCall) -> AttemptOutcome: ...

    async def aclose(self) -> None:
        """Stop the runners; no attempt is made afterwards."""
        ...


class AttemptRunner:
    """Makes attempts with LiteLLM in the running event loop, within one `Wire`'s limits."""

    name = "loop"

    def __init__(self, concurrency: int) -> None:
        self._litellm = import_litellm()
        self._wire = Wire(concurrency, proxies_from_env=proxies_from_env(self._litellm))
        self._routes: dict[str, str] = {}

    async def attempt(self, call: AttemptCall) -> AttemptOutcome:
        try:
            return await self._attempt(call)
        except Exception as exc:  # every provider failure is data for the driver
            return AttemptOutcome(error=AttemptError.of(exc))

    async def _attempt(self, call: AttemptCall) -> AttemptOutcome:
        request = call.request
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "timeout": call.timeout_s,
            "num_retries": 0,
            "max_retries": 0,
        }
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if call.api_base:
            kwargs["api_base"] = call.api_base
        if call.api_key is not None:
            kwargs["api_key"] = call.api_key
        async with self._wire.slot(self.route_of(request.model)) as session:
            with litellm_pricing_skipped(not call.litellm_price):
                response = await self._litellm.acompletion(**kwargs, shared_session=session)
        choices = getattr(response, "choices", None)
        if not choices:
            raise EmptyReplyError("the provider returned no choices")
        content = choices[0].message.content
        if content is None or not str(content).strip():
            raise EmptyReplyError("the provider returned an empty message")
        cost = self._litellm_cost(response) if call.litellm_price else None
        return AttemptOutcome(reply=str(content), usage=_usage_of(response), litellm_cost=cost)

    @property
    def litellm(self) -> Any:
        return self._litellm

    async def warm_up(self, models: list[str]) -> None:
        """Load what LiteLLM loads on the first call of `models`, sending nothing beyond this machine (`_warm_up.py`)."""
        from ._warm_up import warm_up

        await warm_up(self, models)

    def route_of(self, model: str) -> str:
        """LiteLLM's provider for `model`: calls of one provider share a code path."""
        if model not in self._routes:
            try:
                self._routes[model] = str(self._litellm.get_llm_provider(model)[1])
            except Exception:  # LiteLLM does not know the provider: the call will say why
                self._routes[model] = model
        return self._routes[model]

    def _litellm_cost(self, response: Any) -> float | None:
        """LiteLLM's price of the response (`_hidden_params["response_cost"]`, where LiteLLM already put it)."""
        hidden = getattr(response, "_hidden_params", None)
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        if cost is None:
            try:
                cost = self._litellm.completion_cost(completion_response=response)
            except Exception:  # LiteLLM raises when the model has no price
                return None
        return float(cost) if cost else None

    async def aclose(self) -> None:
        """Flush LiteLLM's logs and close the shared session; call it last on the runner's loop."""
        await flush_litellm_logs()
        await self._wire.aclose(self._litellm)


async def flush_litellm_logs(timeout_s: float = 5.0) -> None:
    """Let LiteLLM finish its background logging of this loop's calls before the loop closes.

    LiteLLM logs every call from a worker bound to the running event loop; logs still
    queued when the loop closes are carried to the next loop with a warning
    ("LoggingWorker: event loop changed").
    """
    import asyncio

    await asyncio.sleep(0)  # each call's log is enqueued by a task of its own
    try:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
    except ImportError:  # another LiteLLM layout: nothing to flush that we know of
        return
    try:
        await asyncio.wait_for(GLOBAL_LOGGING_WORKER.flush(), timeout=timeout_s)
    except TimeoutError:
        pass


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
