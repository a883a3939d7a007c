"""Value types shared by the fake OpenAI server and its responders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

Fault = Literal[
    "rate_limit",
    "rate_limit_retry_after",
    "server_error_500",
    "bad_gateway_502",
    "unavailable_503",
    "timeout",
    "connection_reset",
    "not_json",
    "empty_choices",
    "auth_error_401",
    "bad_request_400",
]

ALL_FAULTS: tuple[Fault, ...] = get_args(Fault)


class FakeRequest(BaseModel):
    """One chat-completion request as the fake server received it."""

    model_config = ConfigDict(frozen=True)

    model: str
    """Model name from the body; LiteLLM has already removed the ``openai/`` prefix."""
    messages: list[dict[str, Any]]
    temperature: float | None
    max_tokens: int | None
    headers: dict[str, str]
    """Request headers with lower-cased names."""
    body: dict[str, Any]
    index: int
    """0-based arrival order across the server's lifetime."""
    attempt: int
    """1-based count of requests with the same model and messages, this one included."""
    received_at: float
    """``time.monotonic()`` when the server read the request."""

    @property
    def last_user_text(self) -> str:
        """Text of the last ``user`` message ("" if there is none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return content_text(message.get("content"))
        return ""


def content_text(content: Any) -> str:
    """Flatten an OpenAI message ``content`` (string or list of parts) to text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return str(content)


@dataclass(frozen=True)
class FakeReply:
    """A successful completion. Token counts left as None are estimated from text."""

    content: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"


@dataclass(frozen=True)
class FakeFault:
    """Marker a responder returns to make the server answer with a fault."""

    kind: Fault

    def __post_init__(self) -> None:
        if self.kind not in ALL_FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; expected one of {ALL_FAULTS}")


ResponderResult = str | FakeReply | FakeFault
Responder = Callable[[FakeRequest], ResponderResult]
"""Decides the reply for each request. Runs on the server's event loop: keep it quick."""
