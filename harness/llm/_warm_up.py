"""Warm a call worker's LiteLLM up before it takes attempts, sending nothing beyond this machine.

LiteLLM loads much of itself on a model's first call (its dispatch, pricing and logging modules,
then its HTTP handler on the first request). A worker pays that before it says it is ready: one
`mock_response` call per model, and for OpenAI-compatible models one real request to a server of
the worker's own on loopback, which also teaches the worker's `Wire` the route (`_wire.py`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ._types import ChatMessage, ChatRequest

if TYPE_CHECKING:
    from ._attempt import AttemptRunner

__all__ = ["warm_up"]

_OPENAI_COMPATIBLE = "openai"


async def warm_up(runner: AttemptRunner, models: list[str]) -> None:
    for model in models:
        try:
            await runner.litellm.acompletion(
                model=model, messages=[{"role": "user", "content": "warm-up"}], mock_response="warm-up", api_key="warm-up"
            )
        except Exception:  # a model LiteLLM cannot place: its real calls will say why
            pass
    if any(runner.route_of(model) == _OPENAI_COMPATIBLE for model in models):
        await _loopback_request(runner)


async def _loopback_request(runner: AttemptRunner) -> None:
    from aiohttp import web

    from ._attempt import AttemptCall

    async def completion(request: web.Request) -> web.Response:
        return web.json_response({
            "id": "warm-up", "object": "chat.completion", "created": int(time.time()), "model": "warm-up",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "warm-up"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completion)
    app_runner = web.AppRunner(app, access_log=None)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = app_runner.addresses[0][1]
        request = ChatRequest(model="openai/warm-up", messages=(ChatMessage(role="user", content="warm-up"),))
        await runner.attempt(
            AttemptCall(request=request, api_base=f"http://127.0.0.1:{port}/v1", api_key="warm-up", timeout_s=10, litellm_price=False)
        )
    finally:
        await app_runner.cleanup()
