"""A call layer that answers from a past round's recorded data instead of a provider."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from ..llm import CallMeta, CallRecord, ChatRequest, Usage, call_key

__all__ = ["ScriptedReply", "ScriptedClient"]


@dataclass(frozen=True)
class ScriptedReply:
    """What the past round recorded for one call: a reply or an error."""

    reply: str | None
    error: str | None
    latency_s: float = 0.0
    total_tokens: int = 0


class ScriptedClient:
    """Answers by (stage, model, respondent); repair re-asks get the same reply again."""

    def __init__(self, answers: Mapping[str, ScriptedReply], judgments: Mapping[tuple[str, str], ScriptedReply]) -> None:
        self._answers = dict(answers)
        self._judgments = dict(judgments)

    def _lookup(self, meta: CallMeta) -> ScriptedReply:
        if meta.stage == "answer":
            found = self._answers.get(meta.model_id)
        else:
            found = self._judgments.get((meta.model_id, meta.respondent_id or ""))
        return found or ScriptedReply(reply=None, error="the source round holds no record of this call")

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        scripted = self._lookup(meta)
        return CallRecord(
            key=call_key(request, meta),
            meta=meta,
            request=request,
            reply=scripted.reply if scripted.error is None else None,
            usage=Usage(total_tokens=scripted.total_tokens),
            latency_s=scripted.latency_s,
            error=scripted.error,
        )

    async def aclose(self) -> None:
        return None


def judge_reply_json(scores: Mapping[str, object], justification_field: str, justification: object) -> str:
    """The JSON a judge would have returned for recorded criteria and justification."""
    body = dict(scores)
    body[justification_field] = justification
    return json.dumps(body, ensure_ascii=False)
