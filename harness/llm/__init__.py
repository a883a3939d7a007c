"""The model layer: normalized requests, call records, and the live LiteLLM client."""

from ._errors import (
    EmptyReplyError,
    classify_error_text,
    classify_failure,
    describe_error,
    is_auth_error_text,
    is_retryable,
    retry_after_seconds,
)
from ._attempt import AttemptCall, AttemptError, AttemptOutcome, AttemptRunner, CallBackend, import_litellm
from ._backends import CALL_BACKENDS, CallWorkersSpec, make_call_backend
from ._litellm import Endpoint, LiteLLMClient
from ._pricing import (
    CHARS_PER_TOKEN,
    LiteLLMPriceMap,
    PriceBook,
    PricedModel,
    estimate_prompt_tokens,
    estimate_tokens,
    exceeds_max_tokens,
    litellm_price_map,
)
from ._secrets import SecretRedactor
from ._types import (
    CallMeta,
    CallRecord,
    ChatMessage,
    ChatRequest,
    FailureClass,
    ModelClient,
    Stage,
    Usage,
    call_key,
)

__all__ = [
    "CALL_BACKENDS",
    "CallWorkersSpec",
    "make_call_backend",
    "AttemptCall",
    "AttemptError",
    "AttemptOutcome",
    "AttemptRunner",
    "CallBackend",
    "CHARS_PER_TOKEN",
    "LiteLLMPriceMap",
    "PriceBook",
    "PricedModel",
    "estimate_prompt_tokens",
    "estimate_tokens",
    "exceeds_max_tokens",
    "litellm_price_map",
    "CallMeta",
    "CallRecord",
    "ChatMessage",
    "ChatRequest",
    "EmptyReplyError",
    "FailureClass",
    "classify_error_text",
    "classify_failure",
    "is_auth_error_text",
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
