"""Call layers around a cassette: record live calls, or serve them back offline."""

from __future__ import annotations

from typing import NamedTuple

from .._errors import CassetteError
from ..llm import CallMeta, CallRecord, ChatRequest, ModelClient, call_key
from ._cassette import Cassette

__all__ = ["RecordingClient", "ReplayClient", "SourcedCall", "describe_call"]


class SourcedCall(NamedTuple):
    """A call's record and where it came from: served from the cassette, or made now."""

    record: CallRecord
    served: bool


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
        return (await self.complete_sourced(request, meta)).record

    async def complete_sourced(self, request: ChatRequest, meta: CallMeta) -> SourcedCall:
        recorded = self.cassette.get(call_key(request, meta))
        if recorded is not None:
            self.served += 1
            return SourcedCall(recorded, served=True)
        record = await self._inner.complete(request, meta)
        self.cassette.append(record)
        self.made += 1
        return SourcedCall(record, served=False)

    async def aclose(self) -> None:
        await self._inner.aclose()


class ReplayClient:
    """Serves every call from the cassette; never touches the network."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.served = 0

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        return (await self.complete_sourced(request, meta)).record

    async def complete_sourced(self, request: ChatRequest, meta: CallMeta) -> SourcedCall:
        recorded = self.cassette.get(call_key(request, meta))
        if recorded is None:
            raise CassetteError(
                f"{self.cassette.path}: no recorded reply for the {describe_call(meta)} "
                f"(request key {call_key(request, meta)}); the round's config, tasks or rubric differ from the recording"
            )
        self.served += 1
        return SourcedCall(recorded, served=True)

    async def aclose(self) -> None:
        return None
