"""The fake OpenAI server, exercised through real LiteLLM calls over HTTP."""

from __future__ import annotations

import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before litellm: no network fetch
# As the harness sets it (harness.llm.import_litellm): `openai/` through LiteLLM's own HTTP handler.
os.environ.setdefault("EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER", "true")

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import aiohttp
import litellm
import pytest
from litellm.exceptions import (
    APIError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    InternalServerError,
    RateLimitError,
    ServiceUnavailableError,
    Timeout,
)

from harness.testing import (
    ALL_FAULTS,
    FakeFault,
    FakeOpenAIServer,
    FakeReply,
    FakeRequest,
    Fault,
    ResponderResult,
    by_model_responder,
    echo_responder,
    fail_first_responder,
    fixed_responder,
    scripted_responder,
)

litellm.suppress_debug_info = True

T = TypeVar("T")
RunAsync = Callable[[Coroutine[Any, Any, T]], T]


@pytest.fixture(scope="module")
def run_async() -> Iterator[RunAsync[Any]]:
    """One event loop for the module: LiteLLM caches async clients per loop."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def fault_named_by_prompt(request: FakeRequest) -> ResponderResult:
    """Answer the prompt "rate_limit" with that fault, anything else with "ok"."""
    prompt = request.last_user_text
    if prompt in ALL_FAULTS:
        return FakeFault(prompt)
    return "ok"


@pytest.fixture(scope="module")
def fault_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(fault_named_by_prompt, retry_after_s=2) as server:
        yield server


async def acomplete(
    server: FakeOpenAIServer, prompt: str, model: str = "m1", **kwargs: Any
) -> Any:
    return await litellm.acompletion(
        model=f"openai/{model}",
        api_base=server.base_url,
        api_key="sk-test",
        messages=[{"role": "user", "content": prompt}],
        num_retries=0,
        max_retries=0,
        **kwargs,
    )


def complete(server: FakeOpenAIServer, prompt: str, model: str = "m1", **kwargs: Any) -> Any:
    return litellm.completion(
        model=f"openai/{model}",
        api_base=server.base_url,
        api_key="sk-test",
        messages=[{"role": "user", "content": prompt}],
        num_retries=0,
        max_retries=0,
        **kwargs,
    )


async def post_raw(server: FakeOpenAIServer, body: dict[str, Any]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.base_url}/chat/completions", json=body) as response:
            return response.status, await response.text()


# ------------------------------------------------------------------ round trips


def test_sync_completion_round_trip() -> None:
    reply = FakeReply("four", prompt_tokens=11, completion_tokens=1)
    with FakeOpenAIServer(fixed_responder(reply)) as server:
        response = complete(server, "2+2?", model="judge-a", temperature=0.3, max_tokens=20)
        [request] = server.requests

    assert response.choices[0].message.content == "four"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.prompt_tokens == 11
    assert response.usage.completion_tokens == 1
    assert response.usage.total_tokens == 12
    assert request.model == "judge-a"
    assert request.messages == [{"role": "user", "content": "2+2?"}]
    assert request.temperature == 0.3
    assert request.max_tokens == 20
    assert request.headers["authorization"] == "Bearer sk-test"
    assert (request.index, request.attempt) == (0, 1)


def test_async_completion_estimates_usage(run_async: RunAsync[Any]) -> None:
    with FakeOpenAIServer(echo_responder("echo: ")) as server:
        response = run_async(acomplete(server, "hello there friend"))

    assert response.choices[0].message.content == "echo: hello there friend"
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens > 0
    assert response.usage.total_tokens == (
        response.usage.prompt_tokens + response.usage.completion_tokens
    )


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize(
    ("fault", "exception_class", "status_code"),
    [
        ("rate_limit", RateLimitError, 429),
        ("rate_limit_retry_after", RateLimitError, 429),
        ("server_error_500", InternalServerError, 500),
        ("bad_gateway_502", BadGatewayError, 502),
        ("unavailable_503", ServiceUnavailableError, 503),
        # LiteLLM turns a connection error into a 500; a 200 whose body is not JSON stays a 200.
        ("connection_reset", InternalServerError, 500),
        ("not_json", APIError, 200),
        ("auth_error_401", AuthenticationError, 401),
        ("bad_request_400", BadRequestError, 400),
    ],
)
def test_fault_raises_litellm_exception(
    run_async: RunAsync[Any],
    fault_server: FakeOpenAIServer,
    fault: Fault,
    exception_class: type[Exception],
    status_code: int,
) -> None:
    with pytest.raises(exception_class) as caught:
        run_async(acomplete(fault_server, fault, timeout=5))
    assert getattr(caught.value, "status_code", None) == status_code
    assert fault_server.request_count(lambda r: r.last_user_text == fault) >= 1


def test_connection_reset_says_so(
    run_async: RunAsync[Any], fault_server: FakeOpenAIServer
) -> None:
    with pytest.raises(InternalServerError, match="Connection reset by peer"):
        run_async(acomplete(fault_server, "connection_reset", timeout=5))


def test_empty_choices_is_not_an_error_in_litellm(
    run_async: RunAsync[Any], fault_server: FakeOpenAIServer
) -> None:
    response = run_async(acomplete(fault_server, "empty_choices", timeout=5))
    assert response.choices == []


def test_retry_after_reaches_litellm_response_headers(
    run_async: RunAsync[Any], fault_server: FakeOpenAIServer
) -> None:
    with pytest.raises(RateLimitError) as with_header:
        run_async(acomplete(fault_server, "rate_limit_retry_after", timeout=5))
    with pytest.raises(RateLimitError) as without_header:
        run_async(acomplete(fault_server, "rate_limit", timeout=5))

    headers = getattr(with_header.value, "litellm_response_headers")
    assert headers["retry-after"] == "2"
    assert headers["retry-after-ms"] == "2000"
    assert "retry-after" not in getattr(without_header.value, "litellm_response_headers")


def test_timeout_raises_litellm_timeout(run_async: RunAsync[Any]) -> None:
    with FakeOpenAIServer(fixed_responder(FakeFault("timeout")), timeout_hang_s=30) as server:
        started = time.monotonic()
        with pytest.raises(Timeout):
            run_async(acomplete(server, "slow", timeout=1))
        assert time.monotonic() - started < 5
        assert server.request_count() == 1


def test_stop_ends_a_hanging_request_quickly() -> None:
    server = FakeOpenAIServer(fixed_responder(FakeFault("timeout")), timeout_hang_s=60).start()
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}]}).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(head + body)
        deadline = time.monotonic() + 5
        while server.request_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        assert client.recv(1024) == b""  # closed without an answer


def test_responder_can_fail_first_attempts_then_succeed() -> None:
    responder = fail_first_responder(2, "unavailable_503", then=echo_responder())
    with FakeOpenAIServer(responder) as server:
        for _ in range(2):
            with pytest.raises(ServiceUnavailableError):
                complete(server, "retry me")
        assert complete(server, "retry me").choices[0].message.content == "retry me"
        with pytest.raises(ServiceUnavailableError):
            complete(server, "other")  # a distinct request starts its own count
        first_three = server.requests[:3]

        assert [request.attempt for request in first_three] == [1, 2, 3]
        assert server.times_seen(first_three[0]) == 3
        assert server.requests[3].attempt == 1


def _faulted_prompts(seed: int, run_async: RunAsync[Any]) -> set[str]:
    with FakeOpenAIServer(
        echo_responder(), fault_rate=0.3, faults=["server_error_500", "rate_limit"], seed=seed
    ) as server:
        bodies = [
            {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]} for i in range(200)
        ]

        async def send_all() -> list[tuple[int, str]]:
            return await asyncio.gather(*(post_raw(server, body) for body in bodies))

        results = run_async(send_all())
    statuses = {status for status, _ in results}
    assert statuses <= {200, 429, 500}
    return {f"q{i}" for i, (status, _) in enumerate(results) if status != 200}


def test_injected_faults_follow_rate_and_seed(run_async: RunAsync[Any]) -> None:
    faulted = _faulted_prompts(seed=1, run_async=run_async)
    assert 30 <= len(faulted) <= 90  # 200 draws at p=0.3
    assert _faulted_prompts(seed=1, run_async=run_async) == faulted
    assert _faulted_prompts(seed=2, run_async=run_async) != faulted


def test_full_fault_rate_skips_the_responder() -> None:
    def responder(request: FakeRequest) -> ResponderResult:
        raise AssertionError("responder must not be called")

    with FakeOpenAIServer(responder, fault_rate=1.0, faults=["auth_error_401"]) as server:
        with pytest.raises(AuthenticationError):
            complete(server, "hi")
        assert server.responder_errors == []


# ------------------------------------------------------------------ responders


def test_scripted_and_by_model_responders() -> None:
    responder = by_model_responder(
        {
            "scripted": scripted_responder({"capital of France?": "Paris"}),
            "echo": echo_responder(">"),
        }
    )
    with FakeOpenAIServer(responder) as server:
        answer = complete(server, "capital of France?", model="scripted")
        assert answer.choices[0].message.content == "Paris"
        assert complete(server, "hi", model="echo").choices[0].message.content == ">hi"
        with pytest.raises(InternalServerError):
            complete(server, "unscripted", model="scripted")
        with pytest.raises(InternalServerError):
            complete(server, "hi", model="unknown")

        assert len(server.responder_errors) == 2
        assert server.request_count(lambda r: r.model == "scripted") == 2


def test_stream_requests_are_refused_and_models_are_listed(run_async: RunAsync[Any]) -> None:
    with FakeOpenAIServer() as server:
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]}
        status, _ = run_async(post_raw(server, body))
        assert status == 400

        async def get_models() -> Any:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{server.base_url}/models") as response:
                    return await response.json()

        models = run_async(get_models())
    assert models["object"] == "list"
    assert [model["id"] for model in models["data"]] == ["m"]


# ------------------------------------------------------------------ concurrency, lifecycle


def test_64_concurrent_calls_overlap_their_latency(run_async: RunAsync[Any]) -> None:
    # A latency of 1 s leaves room for a loaded machine: the property is that every request arrived before
    # the first reply went out (all in flight together), not how fast 64 requests are sent.
    with FakeOpenAIServer(echo_responder(), latency_s=1.0) as server:
        run_async(acomplete(server, "warm-up"))

        async def call_all() -> list[Any]:
            return await asyncio.gather(*(acomplete(server, f"p{i}") for i in range(64)))

        started = time.monotonic()
        responses = run_async(call_all())
        elapsed = time.monotonic() - started

    assert elapsed < 3.0, f"64 calls with 1 s latency took {elapsed:.2f} s"
    assert [r.choices[0].message.content for r in responses] == [f"p{i}" for i in range(64)]
    arrivals = [request.received_at for request in server.requests[1:]]
    assert len(arrivals) == 64
    assert max(arrivals) - min(arrivals) < 1.0  # all were in flight together


def test_twenty_servers_start_and_stop_without_leftover_threads() -> None:
    threads_before = set(threading.enumerate())
    started = time.monotonic()
    servers = [FakeOpenAIServer().start() for _ in range(20)]
    assert len({server.port for server in servers}) == 20
    for server in servers:
        server.stop()
        server.stop()  # idempotent
    assert time.monotonic() - started < 5
    assert set(threading.enumerate()) <= threads_before


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        FakeFault("not-a-fault")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FakeOpenAIServer(fault_rate=0.5)
    with pytest.raises(ValueError):
        FakeOpenAIServer(fault_rate=1.5, faults=["rate_limit"])
    with pytest.raises(RuntimeError):
        _ = FakeOpenAIServer().base_url
