"""Call layers around a cassette: record live calls, or serve them back offline."""

from __future__ import annotations

from .._errors import CassetteError
from ..llm import CallMeta, CallRecord, ChatRequest, ModelClient, call_key
from ._cassette import Cassette

__all__ = ["RecordingClient", "ReplayClient", "describe_call"]


def describe_call(meta: CallMeta) -> str:
    about = f" on {meta.respondent_id}'s answer" if meta.respondent_id else ""
    repair = " (repair re-ask)" if meta.attempt else ""
    return f"{meta.stage} call of model {meta.model_id!r} for task {meta.task_id!r}{about}{repair}"


class RecordingClient:
    """Serves calls already in the cassette; makes the others live and appends them.

    This is both a fresh run (empty cassette) and a resume (partly filled one).
    """

    def __init__(self, inner: ModelClient, cassette: Cassette) -> None:
        self._inner = inner
        self.cassette = cassette
        self.served = 0
        self.made = 0

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        recorded = self.cassette.get(call_key(request, meta))
        if recorded is not None:
            self.served += 1
            return recorded
        record = await self._inner.complete(request, meta)
        self.cassette.append(record)
        self.made += 1
        return record


class ReplayClient:
    """Serves every call from the cassette; never touches the network."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.served = 0

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        recorded = self.cassette.get(call_key(request, meta))
        if recorded is None:
            raise CassetteError(
                f"{self.cassette.path}: no recorded reply for the {describe_call(meta)} "
                f"(request key {call_key(request, meta)}); the round's config, tasks or rubric differ from the recording"
            )
        self.served += 1
        return recorded
