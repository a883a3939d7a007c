"""HTTP responses the fake OpenAI server sends: completions, errors, and faults."""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

from aiohttp import web

from harness.testing._fake_types import FakeReply, FakeRequest, Fault, content_text


def instant_fault_response(
    fault: Fault, request: FakeRequest, *, retry_after_s: float
) -> web.Response:
    """The response for a fault that needs no waiting and no transport tricks."""
    if fault == "rate_limit":
        return _rate_limit_response()
    if fault == "rate_limit_retry_after":
        response = _rate_limit_response()
        response.headers["Retry-After"] = format_seconds(retry_after_s)
        # The OpenAI SDK prefers this header, and it carries sub-second delays.
        response.headers["retry-after-ms"] = str(round(retry_after_s * 1000))
        return response
    if fault == "server_error_500":
        return error_response(500, "The server had an error (fake)", "server_error")
    if fault == "bad_gateway_502":
        # Gateways answer with HTML, not an OpenAI error object.
        html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        return web.Response(status=502, text=html, content_type="text/html")
    if fault == "unavailable_503":
        return error_response(503, "The engine is currently overloaded (fake)", "server_error")
    if fault == "not_json":
        return web.Response(
            status=200, text="<html>this is not JSON</html>", content_type="application/json"
        )
    if fault == "empty_choices":
        return web.json_response({**completion_json(request, FakeReply("")), "choices": []})
    if fault == "auth_error_401":
        return error_response(
            401, "Incorrect API key provided (fake)", "invalid_request_error", "invalid_api_key"
        )
    if fault == "bad_request_400":
        return error_response(400, "Invalid request (fake)", "invalid_request_error")
    raise ValueError(f"fault {fault!r} is not an instant fault")


def _rate_limit_response() -> web.Response:
    return error_response(429, "Rate limit reached (fake)", "requests", "rate_limit_exceeded")


def error_response(
    status: int, message: str, error_type: str, code: str | None = None
) -> web.Response:
    """An OpenAI-style ``{"error": {...}}`` JSON response."""
    error = {"message": message, "type": error_type, "param": None, "code": code}
    return web.json_response({"error": error}, status=status)


def drop_connection(http_request: web.Request, *, reset: bool = False) -> web.Response:
    """Close the connection without answering; with ``reset`` send a TCP RST."""
    transport = http_request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if reset and sock is not None:
            # Linger on with a zero timeout makes close() send RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # aiohttp cannot write this to the aborted transport; it is never sent.
    return web.Response(status=500)


def completion_json(request: FakeRequest, reply: FakeReply) -> dict[str, Any]:
    """A ``chat.completion`` object; missing token counts are estimated from text."""
    prompt_tokens = reply.prompt_tokens
    if prompt_tokens is None:
        prompt_tokens = sum(
            estimate_tokens(content_text(message.get("content"))) for message in request.messages
        )
    completion_tokens = reply.completion_tokens
    if completion_tokens is None:
        completion_tokens = estimate_tokens(reply.content)
    return {
        "id": f"chatcmpl-fake-{request.index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def estimate_tokens(text: str) -> int:
    """Rough token count: about four characters per token."""
    return (len(text) + 3) // 4


def format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
