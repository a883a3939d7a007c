"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

The server runs aiohttp on its own event loop in a background thread, so sync
tests and async code (including LiteLLM) can talk to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from harness.testing._fake_types import (
    ALL_FAULTS,
    FakeFault,
    FakeReply,
    FakeRequest,
    Fault,
    Responder,
    ResponderResult,
)
from harness.testing._http_replies import (
    completion_json,
    drop_connection,
    error_response,
    instant_fault_response,
)
from harness.testing._responders import echo_responder

_STARTUP_TIMEOUT_S = 10.0
_ALL_MODELS = "\0all"
_SHUTDOWN_TIMEOUT_S = 10.0


class FakeOpenAIServer:
    """OpenAI chat-completions endpoint whose replies come from ``responder``.

    Besides faults a responder returns, ``fault_rate`` injects faults drawn from
    ``faults``. Whether a request is hit, and by which fault, is a hash of
    (``seed``, model, messages, attempt number), so runs are reproducible even
    when concurrent requests arrive in a different order, and a retry of the
    same request gets a fresh draw.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency_s: float = 0.0,
        fault_rate: float = 0.0,
        faults: Sequence[Fault] = (),
        seed: int = 0,
        retry_after_s: float = 1.0,
        timeout_hang_s: float = 30.0,
    ) -> None:
        if latency_s < 0 or retry_after_s < 0 or timeout_hang_s < 0:
            raise ValueError("latency_s, retry_after_s and timeout_hang_s must be >= 0")
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be within [0, 1], got {fault_rate}")
        unknown = [fault for fault in faults if fault not in ALL_FAULTS]
        if unknown:
            raise ValueError(f"unknown faults {unknown}; expected some of {ALL_FAULTS}")
        if fault_rate > 0 and not faults:
            raise ValueError("fault_rate > 0 needs at least one fault in `faults`")
        self._responder = responder if responder is not None else echo_responder()
        self._latency_s = latency_s
        self._fault_rate = fault_rate
        self._faults: tuple[Fault, ...] = tuple(faults)
        self._seed = seed
        self._retry_after_s = retry_after_s
        self._timeout_hang_s = timeout_hang_s

        self._lock = threading.Lock()
        self._requests: list[FakeRequest] = []
        self._attempts_by_key: dict[str, int] = {}
        self._responder_errors: list[str] = []
        self._in_flight: dict[str, int] = {}
        self._peak_in_flight: dict[str, int] = {}

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._port: int | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeOpenAIServer:
        """Bind a free port on 127.0.0.1 and start serving; returns ``self``."""
        if self._thread is not None:
            raise RuntimeError("FakeOpenAIServer is already started")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=_run_loop_forever, args=(loop,), name="fake-openai-server", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            future = asyncio.run_coroutine_threadsafe(self._start_serving(), loop)
            self._port = future.result(timeout=_STARTUP_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, end hanging requests at once, and join the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if self._runner is not None:
                future = asyncio.run_coroutine_threadsafe(self._stop_serving(), loop)
                future.result(timeout=_SHUTDOWN_TIMEOUT_S)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=_SHUTDOWN_TIMEOUT_S)
            self._loop = self._thread = None
            self._runner = self._stopping = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --------------------------------------------------------------- inspection

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeOpenAIServer is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """What to pass as LiteLLM's ``api_base``: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[FakeRequest]:
        """Snapshot of every chat-completion request received, faulted ones included."""
        with self._lock:
            return list(self._requests)

    @property
    def responder_errors(self) -> list[str]:
        """Exceptions the responder raised (each was answered with a 500)."""
        with self._lock:
            return list(self._responder_errors)

    def request_count(self, predicate: Callable[[FakeRequest], bool] | None = None) -> int:
        """How many requests were received (that satisfy ``predicate``, if given)."""
        requests = self.requests
        if predicate is None:
            return len(requests)
        return sum(1 for request in requests if predicate(request))

    def times_seen(self, request: FakeRequest) -> int:
        """How many requests with this request's model and messages arrived so far."""
        key = _request_key(request.model, request.messages)
        with self._lock:
            return self._attempts_by_key.get(key, 0)

    # ------------------------------------------------------------ serving

    async def _start_serving(self) -> int:
        app = web.Application()
        for prefix in ("/v1", ""):
            app.router.add_post(f"{prefix}/chat/completions", self._handle_chat_completions)
            app.router.add_get(f"{prefix}/models", self._handle_models)
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            site = web.SockSite(runner, sock, backlog=1024)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        self._stopping = asyncio.Event()
        port: int = sock.getsockname()[1]
        return port

    async def _stop_serving(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _pause(self, seconds: float) -> bool:
        """Sleep without blocking the loop; False if the server began stopping."""
        stopping = self._stopping
        if seconds <= 0 or stopping is None:
            return stopping is None or not stopping.is_set()
        try:
            await asyncio.wait_for(stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def _handle_models(self, http_request: web.Request) -> web.Response:
        models = sorted({request.model for request in self.requests}) or ["fake-model"]
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in models
        ]
        return web.json_response({"object": "list", "data": data})

    def peak_in_flight(self, model: str | None = None) -> int:
        """The most requests this server held at once: for `model`, or all together."""
        with self._lock:
            return self._peak_in_flight.get(_ALL_MODELS if model is None else model, 0)

    def _count_in_flight(self, model: str, step: int) -> None:
        with self._lock:
            for key in (_ALL_MODELS, model):
                now = self._in_flight.get(key, 0) + step
                self._in_flight[key] = now
                self._peak_in_flight[key] = max(now, self._peak_in_flight.get(key, 0))

    async def _handle_chat_completions(self, http_request: web.Request) -> web.StreamResponse:
        model = await _model_of(http_request)
        self._count_in_flight(model, +1)
        try:
            return await self._answer_chat_completion(http_request)
        finally:
            self._count_in_flight(model, -1)

    async def _answer_chat_completion(self, http_request: web.Request) -> web.StreamResponse:
        try:
            body = await http_request.json()
        except ValueError:
            return error_response(400, "request body is not valid JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return error_response(
                400, "request body must be a JSON object", "invalid_request_error"
            )
        try:
            request = self._record(body, http_request)
        except ValidationError as exc:
            return error_response(400, f"malformed request: {exc}", "invalid_request_error")
        if body.get("stream"):
            return error_response(400, "the fake server does not stream", "invalid_request_error")

        if not await self._pause(self._latency_s):
            return drop_connection(http_request)
        result: ResponderResult | None = self._injected_fault(request)
        if result is None:
            try:
                result = self._responder(request)
                if not isinstance(result, (str, FakeReply, FakeFault)):
                    raise TypeError(
                        f"responder returned {type(result).__name__}; "
                        "expected str, FakeReply or FakeFault"
                    )
            except Exception as exc:
                with self._lock:
                    self._responder_errors.append(f"request {request.index}: {exc!r}")
                return error_response(500, f"responder raised {exc!r}", "server_error")

        if isinstance(result, FakeFault):
            return await self._fault_response(result.kind, request, http_request)
        reply = FakeReply(result) if isinstance(result, str) else result
        return web.json_response(completion_json(request, reply))

    def _record(self, body: dict[str, Any], http_request: web.Request) -> FakeRequest:
        model = str(body.get("model", ""))
        model = model.removeprefix("openai/")
        messages = body.get("messages", [])
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        key = _request_key(model, messages)
        with self._lock:
            attempt = self._attempts_by_key.get(key, 0) + 1
            request = FakeRequest(
                model=model,
                messages=messages,
                temperature=body.get("temperature"),
                max_tokens=max_tokens,
                headers={name.lower(): value for name, value in http_request.headers.items()},
                body=body,
                index=len(self._requests),
                attempt=attempt,
                received_at=time.monotonic(),
            )
            self._attempts_by_key[key] = attempt
            self._requests.append(request)
        return request

    def _injected_fault(self, request: FakeRequest) -> FakeFault | None:
        if self._fault_rate <= 0:
            return None
        key = _request_key(request.model, request.messages)
        digest = hashlib.sha256(f"{self._seed}\0{request.attempt}\0{key}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self._fault_rate:
            return None
        choice = int.from_bytes(digest[8:16], "big") % len(self._faults)
        return FakeFault(self._faults[choice])

    async def _fault_response(
        self, fault: Fault, request: FakeRequest, http_request: web.Request
    ) -> web.StreamResponse:
        if fault == "connection_reset":
            return drop_connection(http_request, reset=True)
        if fault == "timeout":
            if not await self._pause(self._timeout_hang_s):
                return drop_connection(http_request)
            return error_response(504, "Gateway timeout (fake)", "server_error")
        return instant_fault_response(fault, request, retry_after_s=self._retry_after_s)


# ---------------------------------------------------------------- helpers


def _run_loop_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _model_of(http_request: web.Request) -> str:
    try:
        body = await http_request.json()  # aiohttp keeps the body: the handler reads it again
    except ValueError:
        return ""
    return str(body.get("model", "")).removeprefix("openai/") if isinstance(body, dict) else ""


def _request_key(model: str, messages: Any) -> str:
    return json.dumps([model, messages], sort_keys=True, default=str)
