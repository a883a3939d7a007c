"""Test doubles for code that calls models: a scriptable OpenAI-compatible server."""

from harness.testing._fake_openai import FakeOpenAIServer
from harness.testing._fake_types import (
    ALL_FAULTS,
    FakeFault,
    FakeReply,
    FakeRequest,
    Fault,
    Responder,
    ResponderResult,
)
from harness.testing._responders import (
    by_model_responder,
    echo_responder,
    fail_first_responder,
    fixed_responder,
    scripted_responder,
)

__all__ = [
    "ALL_FAULTS",
    "FakeFault",
    "FakeOpenAIServer",
    "FakeReply",
    "FakeRequest",
    "Fault",
    "Responder",
    "ResponderResult",
    "by_model_responder",
    "echo_responder",
    "fail_first_responder",
    "fixed_responder",
    "scripted_responder",
]
