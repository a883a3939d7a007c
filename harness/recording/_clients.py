"""Call layers around a cassette: record live calls, or serve them back offline."""

from __future__ import annotations

from typing import Literal, NamedTuple

from .._errors import CassetteError
from ..llm import CallMeta, CallRecord, ChatRequest, ModelClient, call_key
from ._cassette import Cassette

__all__ = ["RecordingClient", "ReplayClient", "RetryScope", "SourcedCall", "describe_call"]

RetryScope = Literal["none", "infra", "all"]
"""Which recorded failures a resume makes again: none, infrastructure failures, or model failures too."""


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

    This is both a fresh run (empty cassette) and a resume (partly filled one). With a `retry` scope, a
    recorded failure of that scope is made again once (`--retry-failed`): the new record is appended
    and supersedes the old one, which stays in the cassette as history.
    """

    def __init__(self, inner: ModelClient, cassette: Cassette, retry: RetryScope = "none") -> None:
        self._inner = inner
        self.cassette = cassette
        self.retry = retry
        self.served = 0
        self.made = 0
        self.remade = 0
        """Calls made again in place of a recorded failure (counted in `made` too)."""
        self._made_keys: set[str] = set()

    def _retries(self, recorded: CallRecord, key: str) -> bool:
        failure = recorded.failure_class
        if failure is None or key in self._made_keys:
            return False
        return self.retry == "all" or (self.retry == "infra" and failure == "infra")

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        return (await self.complete_sourced(request, meta)).record

    async def complete_sourced(self, request: ChatRequest, meta: CallMeta) -> SourcedCall:
        key = call_key(request, meta)
        recorded = self.cassette.get(key)
        if recorded is not None and not self._retries(recorded, key):
            self.served += 1
            return SourcedCall(recorded, served=True)
        return await self._make(request, meta, key, recorded)

    async def remake(self, request: ChatRequest, meta: CallMeta) -> SourcedCall | None:
        """Make a call again whose reply proved unusable (`--retry-failed all`); None when the scope
        does not cover model failures or the call was already made in this session."""
        key = call_key(request, meta)
        if self.retry != "all" or key in self._made_keys:
            return None
        return await self._make(request, meta, key, self.cassette.get(key))

    async def _make(self, request: ChatRequest, meta: CallMeta, key: str, recorded: CallRecord | None) -> SourcedCall:
        self._made_keys.add(key)
        record = await self._inner.complete(request, meta)
        self.cassette.append(record, supersede=recorded is not None)
        self.made += 1
        self.remade += recorded is not None
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
                f"(request key {call_key(request, meta)}); {self._why_missing()}"
            )
        self.served += 1
        return SourcedCall(recorded, served=True)

    def _why_missing(self) -> str:
        torn = [line for line in self.cassette.unreadable if line.kind == "torn"]
        damaged = [line for line in self.cassette.unreadable if line.kind == "damaged"]
        if damaged:
            return f"the cassette's dropped damaged lines ({', '.join(str(line.number) for line in damaged)}) may have held it"
        if torn:
            return (
                f"the cassette's last line {torn[-1].number} was cut short by a crash, and the run was not resumed "
                f"since: finish it with `harness resume {self.cassette.path.parent}`"
            )
        return "the round's config, tasks or rubric differ from the recording, or the run did not finish (`harness resume`)"

    async def aclose(self) -> None:
        return None
