"""Ready-made responders for :class:`FakeOpenAIServer`."""

from __future__ import annotations

from collections.abc import Mapping

from harness.testing._fake_types import (
    FakeFault,
    FakeRequest,
    Fault,
    Responder,
    ResponderResult,
)


def echo_responder(prefix: str = "") -> Responder:
    """Reply with ``prefix`` followed by the last user message's text."""

    def respond(request: FakeRequest) -> ResponderResult:
        return prefix + request.last_user_text

    return respond


def fixed_responder(reply: ResponderResult) -> Responder:
    """Give the same reply to every request."""

    def respond(request: FakeRequest) -> ResponderResult:
        return reply

    return respond


def scripted_responder(
    script: Mapping[str, ResponderResult],
    default: ResponderResult | None = None,
) -> Responder:
    """Look the last user message's text up in ``script``.

    Unknown prompts get ``default``; without a default they raise ``KeyError``,
    which the server reports as a 500 and records in ``responder_errors``.
    """
    script = dict(script)

    def respond(request: FakeRequest) -> ResponderResult:
        prompt = request.last_user_text
        if prompt in script:
            return script[prompt]
        if default is not None:
            return default
        raise KeyError(f"no scripted reply for prompt {prompt!r}")

    return respond


def by_model_responder(
    routes: Mapping[str, Responder],
    default: Responder | None = None,
) -> Responder:
    """Dispatch on the request's model name (the part after ``openai/``)."""
    routes = dict(routes)

    def respond(request: FakeRequest) -> ResponderResult:
        responder = routes.get(request.model, default)
        if responder is None:
            raise KeyError(f"no responder for model {request.model!r}")
        return responder(request)

    return respond


def fail_first_responder(
    failures: int,
    fault: Fault,
    then: Responder,
) -> Responder:
    """Answer the first ``failures`` attempts of each distinct request with ``fault``.

    Requests are "the same" when model and messages are equal, so a client's
    retry of a call counts as its next attempt.
    """
    marker = FakeFault(fault)

    def respond(request: FakeRequest) -> ResponderResult:
        if request.attempt <= failures:
            return marker
        return then(request)

    return respond
