"""The model layer: normalized requests, call records, and the live LiteLLM client."""

from ._errors import EmptyReplyError, describe_error, is_retryable, retry_after_seconds
from ._litellm import Endpoint, LiteLLMClient, import_litellm
from ._pricing import CHARS_PER_TOKEN, PriceBook, estimate_prompt_tokens, estimate_tokens
from ._secrets import SecretRedactor
from ._types import (
    CallMeta,
    CallRecord,
    ChatMessage,
    ChatRequest,
    ModelClient,
    Stage,
    Usage,
    call_key,
)

__all__ = [
    "CHARS_PER_TOKEN",
    "PriceBook",
    "estimate_prompt_tokens",
    "estimate_tokens",
    "CallMeta",
    "CallRecord",
    "ChatMessage",
    "ChatRequest",
    "EmptyReplyError",
    "Endpoint",
    "LiteLLMClient",
    "ModelClient",
    "SecretRedactor",
    "Stage",
    "Usage",
    "call_key",
    "describe_error",
    "import_litellm",
    "is_retryable",
    "retry_after_seconds",
]
