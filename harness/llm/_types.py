"""What goes into a model call and what comes out: the recorded unit of a round."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "CallMeta",
    "Usage",
    "CallRecord",
    "FailureClass",
    "ModelClient",
    "Stage",
    "call_key",
]

Stage = Literal["answer", "judge", "generate", "review"]
FailureClass = Literal["model", "infra"]
"""Why a call failed: `model` (its reply was unusable: empty, refused by a content filter, too long for the
context) or `infra` (a cause outside the model: auth, connection, timeout, 429/5xx after the retries)."""


class ChatMessage(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    """A normalized request: everything that determines the reply, nothing secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    """LiteLLM model string."""
    messages: tuple[ChatMessage, ...]
    temperature: float | None = None
    max_tokens: int | None = None
    sample: int = 0
    """Distinguishes repeated generations of an identical prompt (build rounds' `samples`)."""


class CallMeta(BaseModel):
    """Why a call was made. Recorded beside the request; not part of its key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage
    model_id: str
    """Round model that is called."""
    task_id: str
    respondent_id: str | None = None
    """Judge calls: whose answer is judged (never shown to the judge)."""
    attempt: int = 0
    """0 for the first ask; 1 for a repair re-ask after an unusable reply."""


@lru_cache(maxsize=512)
def call_key(request: ChatRequest, meta: CallMeta) -> str:
    """Hash identifying a call in a cassette: the normalized request and the slot it fills.

    The slot matters: two judges' prompts can be identical (two empty answers), yet each
    is its own call with its own reply. Memoized (both are frozen): the recording layer
    and the live client ask for the same call's key in turn.
    """
    payload = {"request": request.model_dump(mode="json"), "call": meta.model_dump(mode="json")}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class Usage(BaseModel):
    """Token counts reported by the provider."""

    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0

    def plus(self, other: Usage) -> Usage:
        """Field-wise sum (the usage of several calls)."""
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


class CallRecord(BaseModel):
    """The outcome of one call, as appended to the cassette."""

    model_config = ConfigDict(extra="forbid")

    key: str
    meta: CallMeta
    request: ChatRequest
    reply: str | None = None
    """Reply text; None when the call failed."""
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    """From LiteLLM's price map; None when the model has no known price."""
    latency_s: float = 0.0
    attempts: int = 1
    """Attempts made, retries included."""
    error: str | None = None
    """Why the call failed after its retries (never holds a key value)."""
    failure: FailureClass | None = None
    """The class of a failed call's cause; None for a call that succeeded (and in records written before
    the class was recorded: `failure_class` then reads it from `error`)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.reply is not None

    @property
    def failure_class(self) -> FailureClass | None:
        """`failure`, or for an older record, the class its error text names; None for a success."""
        if self.ok:
            return None
        if self.failure is not None:
            return self.failure
        from ._errors import classify_error_text

        return classify_error_text(self.error or "")


class ModelClient(Protocol):
    """The call layer: live, recording, replaying or scripted. Wrappers delegate `aclose` inward."""

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord: ...

    async def aclose(self) -> None:
        """Release connections; the client is not used afterwards."""
        ...
