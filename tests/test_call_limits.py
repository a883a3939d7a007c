"""The call layer's concurrency limits, counted where they matter: at the server.

Real LiteLLM talks HTTP to the fake server; the server counts the requests it holds at
once. A round-wide limit bounds requests on the wire, a model's limit bounds its calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from harness.llm import (
    CallMeta,
    CallRecord,
    ChatMessage,
    ChatRequest,
    Endpoint,
    LiteLLMClient,
    _wire,
    import_litellm,
)
from harness.testing import FakeOpenAIServer, echo_responder


@pytest.fixture
def unlearnt_routes() -> Iterator[None]:
    """Each test starts with no route known to go through the shared session."""
    saved = dict(_wire.ROUTE_USES_SESSION)
    _wire.ROUTE_USES_SESSION.clear()
    yield
    _wire.ROUTE_USES_SESSION.clear()
    _wire.ROUTE_USES_SESSION.update(saved)


def _run_calls(server: FakeOpenAIServer, limits: dict[str, int], calls_per_model: int, concurrency: int) -> list[CallRecord]:
    async def run() -> list[CallRecord]:
        client = LiteLLMClient(
            {model: Endpoint(api_base=server.base_url, api_key_env=None, concurrency=limit) for model, limit in limits.items()},
            concurrency=concurrency,
            max_attempts=1,
        )
        try:
            return await asyncio.gather(
                *(
                    client.complete(
                        ChatRequest(model=f"openai/{model}", messages=(ChatMessage(role="user", content=f"{model} {i}"),)),
                        CallMeta(stage="answer", model_id=model, task_id=f"t{i}"),
                    )
                    for model in limits
                    for i in range(calls_per_model)
                )
            )
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_round_limit_bounds_requests_on_the_wire(unlearnt_routes: None) -> None:
    with FakeOpenAIServer(echo_responder(), latency_s=0.15) as server:
        records = _run_calls(server, {"a": 50, "b": 50, "c": 50}, calls_per_model=12, concurrency=5)

    assert all(record.ok for record in records), [record.error for record in records if not record.ok]
    assert server.peak_in_flight() == 5
    assert _wire.ROUTE_USES_SESSION == {"openai": True}  # later calls held a slot only while on the wire


def test_model_limit_bounds_that_model_only(unlearnt_routes: None) -> None:
    with FakeOpenAIServer(echo_responder(), latency_s=0.15) as server:
        records = _run_calls(server, {"slow": 1, "fast": 20}, calls_per_model=6, concurrency=16)

    assert all(record.ok for record in records)
    assert server.peak_in_flight("slow") == 1
    assert server.peak_in_flight("fast") == 6
    assert server.peak_in_flight() == 7


def test_limit_holds_for_requests_outside_the_shared_session(unlearnt_routes: None) -> None:
    """A provider that does not send through the harness's session holds a slot for its
    whole call, so the limit still holds (here LiteLLM's plain httpx transport stands in)."""
    litellm = import_litellm()
    saved = litellm.disable_aiohttp_transport
    litellm.disable_aiohttp_transport = True
    try:
        with FakeOpenAIServer(echo_responder(), latency_s=0.15) as server:
            records = _run_calls(server, {"a": 50, "b": 50}, calls_per_model=10, concurrency=4)
    finally:
        litellm.disable_aiohttp_transport = saved

    assert all(record.ok for record in records)
    assert server.peak_in_flight() == 4
    assert _wire.ROUTE_USES_SESSION == {"openai": False}  # later calls skipped the preparation gate


def test_a_route_whose_calls_leave_the_session_is_unlearnt(unlearnt_routes: None) -> None:
    """Believed to use the session, a route whose call succeeds unseen falls back to
    whole-call slots, and the limit is exact again from the next calls on."""
    _wire.ROUTE_USES_SESSION["openai"] = True
    litellm = import_litellm()
    saved = litellm.disable_aiohttp_transport
    litellm.disable_aiohttp_transport = True
    try:
        with FakeOpenAIServer(echo_responder(), latency_s=0.1) as server:
            first = _run_calls(server, {"a": 50}, calls_per_model=6, concurrency=6)
        assert _wire.ROUTE_USES_SESSION == {"openai": False}
        with FakeOpenAIServer(echo_responder(), latency_s=0.1) as server:
            second = _run_calls(server, {"a": 50, "b": 50}, calls_per_model=8, concurrency=6)
    finally:
        litellm.disable_aiohttp_transport = saved

    assert all(record.ok for record in first + second)
    assert server.peak_in_flight() == 6


def test_closing_the_client_drops_litellms_cached_http_clients(unlearnt_routes: None) -> None:
    litellm = import_litellm()
    with FakeOpenAIServer(echo_responder()) as server:
        _run_calls(server, {"a": 2}, calls_per_model=2, concurrency=2)
    assert not litellm.in_memory_llm_clients_cache.cache_dict
