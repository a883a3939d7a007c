"""The one ask-parse-repair loop of every judge mode: ask, parse the reply, re-ask once with the parse error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..llm import CallMeta, CallRecord, ChatMessage, ChatRequest, ModelClient, Usage, exceeds_max_tokens
from ._parse import ReplyError

__all__ = ["JudgeAnswer", "ask_with_repair"]

ParsedT = TypeVar("ParsedT")


@dataclass(frozen=True)
class JudgeAnswer(Generic[ParsedT]):
    """What a judge's calls gave: the parsed reply or why there is none, and what the calls cost."""

    parsed: ParsedT | None
    error: str | None
    """Why there is no usable reply (call failed, unusable after the repair re-ask)."""
    repaired: bool
    latency_s: float
    usage: Usage
    cost_usd: float | None
    """None when a call has no price."""
    model_failure: bool = False
    """The failure was the model's (an unusable reply, after the repair re-ask), not the infrastructure's."""
    over_max_tokens: bool = False
    """A reply (the first or the repair's) used more completion tokens than the request's `max_tokens`."""


def _answer(
    parsed: ParsedT | None, error: str | None, repaired: bool, records: list[CallRecord], model_failure: bool = False
) -> JudgeAnswer[ParsedT]:
    usage = Usage()
    for record in records:
        usage = usage.plus(record.usage)
    costs = [record.cost_usd for record in records]
    latency = records[0].latency_s if len(records) == 1 else round(sum(r.latency_s for r in records), 3)
    cost = None if None in costs else sum(c for c in costs if c is not None)
    over = any(exceeds_max_tokens(record) for record in records)
    return JudgeAnswer(parsed, error, repaired, latency, usage, cost, model_failure, over)


Ask = Callable[[ChatRequest, CallMeta], Awaitable[CallRecord]]


async def ask_with_repair(
    client: ModelClient,
    request_of: Callable[[list[ChatMessage]], ChatRequest],
    messages: list[ChatMessage],
    meta: CallMeta,
    parse: Callable[[str], ParsedT],
    repair_prompt: Callable[[ReplyError], str],
    noun: str = "reply",
) -> JudgeAnswer[ParsedT]:
    """Ask; if the reply does not parse, re-ask once (attempt 1) with the error and the judge's own reply.

    When the judge's reply stays unusable and the call layer retries model failures (`--retry-failed
    all`), the ask is made once more from the start, with fresh calls in place of the recorded ones.
    `noun` names the reply in error texts ("reply", "review"): they are recorded in the details files.
    """
    answer = await _ask(client.complete, client.complete, request_of, messages, meta, parse, repair_prompt, noun)
    remake: Callable[[ChatRequest, CallMeta], Awaitable[CallRecord | None]] | None = getattr(client, "remake", None)
    if not answer.model_failure or remake is None:
        return answer
    first_request = request_of(messages)
    first_again = await remake(first_request, meta)
    if first_again is None:
        return answer

    async def served_first(request: ChatRequest, call_meta: CallMeta) -> CallRecord:
        return first_again

    async def repair_again(request: ChatRequest, call_meta: CallMeta) -> CallRecord:
        record = await remake(request, call_meta)
        return record if record is not None else await client.complete(request, call_meta)

    return await _ask(served_first, repair_again, request_of, messages, meta, parse, repair_prompt, noun)


async def _ask(
    ask_first: Ask,
    ask_repair: Ask,
    request_of: Callable[[list[ChatMessage]], ChatRequest],
    messages: list[ChatMessage],
    meta: CallMeta,
    parse: Callable[[str], ParsedT],
    repair_prompt: Callable[[ReplyError], str],
    noun: str,
) -> JudgeAnswer[ParsedT]:
    first = await ask_first(request_of(messages), meta)
    if not first.ok or first.reply is None:
        return _answer(None, first.error or "no reply", False, [first], first.failure_class == "model")
    try:
        return _answer(parse(first.reply), None, False, [first])
    except ReplyError as first_error:
        repair = [ChatMessage(role="assistant", content=first.reply), ChatMessage(role="user", content=repair_prompt(first_error))]
        second = await ask_repair(request_of(messages + repair), meta.model_copy(update={"attempt": 1}))
        if not second.ok or second.reply is None:
            error = f"unusable {noun} ({first_error}); repair call failed: {second.error}"
            return _answer(None, error, False, [first, second], second.failure_class == "model")
        try:
            return _answer(parse(second.reply), None, True, [first, second])
        except ReplyError as second_error:
            error = f"unusable {noun} after one repair re-ask: {second_error} (first reply: {first_error})"
            return _answer(None, error, False, [first, second], True)
