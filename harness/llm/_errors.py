"""Classify provider failures: which ones a retry can fix, and how long to wait."""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import FailureClass

__all__ = [
    "EmptyReplyError",
    "classify_error_text",
    "classify_failure",
    "describe_error",
    "describe_failure",
    "is_auth_error_text",
    "is_retryable",
    "retry_after_seconds",
    "status_of",
]

_RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}
_FINAL_STATUS = {400, 401, 402, 403, 404, 413, 422}
_TRANSIENT_NAMES = (
    "Timeout",
    "APIConnectionError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "BadGatewayError",
    "APIError",
    "JSONDecodeError",
    "ServerDisconnectedError",
    "ClientConnectionError",
    "ConnectionResetError",
    "ReadTimeout",
    "ConnectError",
)


class EmptyReplyError(Exception):
    """The provider answered 200 but with no usable message."""


_MODEL_FAILURE_NAMES = ("EmptyReplyError", "ContextWindowExceededError", "ContentPolicyViolationError")
_AUTH_NAMES = ("AuthenticationError", "PermissionDeniedError")


def classify_failure(exc: BaseException) -> FailureClass:
    """`model` when the model's reply was the problem (empty, filtered, too long); `infra` for every other cause."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return "model" if names & set(_MODEL_FAILURE_NAMES) else "infra"


def classify_error_text(error: str) -> FailureClass:
    """The class of a recorded error text (`describe_error` starts it with the exception's class name)."""
    name = error.split(":", 1)[0].split(" ", 1)[0]
    return "model" if name in _MODEL_FAILURE_NAMES else "infra"


def is_auth_error_text(error: str) -> bool:
    """Whether a recorded error is an authentication or permission failure (401/403)."""
    head = error.split(":", 1)[0]
    name, _, status = head.partition(" ")
    return name in _AUTH_NAMES or status.strip() in ("401", "403")


def status_of(exc: BaseException) -> int | None:
    for attribute in ("status_code", "status"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def is_retryable(exc: BaseException) -> bool:
    """429, 5xx, timeouts, connection errors, malformed or empty bodies: yes. Auth, bad request: no."""
    if isinstance(exc, EmptyReplyError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"AuthenticationError", "BadRequestError", "NotFoundError", "PermissionDeniedError",
                "ContextWindowExceededError", "ContentPolicyViolationError", "UnprocessableEntityError"}:
        return False
    status = status_of(exc)
    if status in _FINAL_STATUS:
        return False
    if status in _RETRYABLE_STATUS:
        return True
    return bool(names & set(_TRANSIENT_NAMES)) or isinstance(exc, (TimeoutError, ConnectionError))


def _headers_of(exc: BaseException) -> Any:
    for source in (getattr(exc, "litellm_response_headers", None), getattr(getattr(exc, "response", None), "headers", None)):
        if source is not None:
            return source
    return None


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Seconds the provider asked us to wait, if it said.

    `retry-after-ms` (OpenAI and Azure send it) wins over `Retry-After` (seconds or HTTP date).
    """
    if exc is None:
        return None
    headers = _headers_of(exc)
    if headers is None:
        return None
    try:
        millis = headers.get("retry-after-ms") or headers.get("Retry-After-Ms")
        value = headers.get("retry-after") or headers.get("Retry-After")
    except Exception:
        return None
    if millis is not None:
        try:
            return max(0.0, float(str(millis).strip()) / 1000)
        except ValueError:
            pass
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def describe_error(exc: BaseException, attempts: int) -> str:
    """A one-line reason for the record: class, status and message, and how many attempts it took."""
    return describe_failure(type(exc).__name__, status_of(exc), " ".join(str(exc).split())[:500], attempts)


def describe_failure(type_name: str, status: int | None, message: str, attempts: int) -> str:
    """`describe_error` from the parts of an exception (an attempt made elsewhere sends only these)."""
    status_part = f" {status}" if status is not None else ""
    return f"{type_name}{status_part}: {message or '(no message)'} (after {attempts} attempt{'s' if attempts != 1 else ''})"
