"""Call layer and hidden-test wrappers that report to a progress sink."""

from __future__ import annotations

from ..engine import HiddenTests
from ..formats import TestOutcome
from ..llm import CallMeta, CallRecord, ChatRequest
from ..recording import RecordingClient, ReplayClient
from ..tasks import BuildTask
from ._sink import ProgressSink

__all__ = ["ObservedClient", "ObservedHiddenTests"]


class ObservedClient:
    """Reports every finished call, telling served-from-cassette calls apart."""

    def __init__(self, inner: RecordingClient | ReplayClient, sink: ProgressSink) -> None:
        self._inner = inner
        self._sink = sink

    async def complete(self, request: ChatRequest, meta: CallMeta) -> CallRecord:
        record, served = await self._inner.complete_sourced(request, meta)
        self._sink.call_done(record, served=served)
        return record

    async def remake(self, request: ChatRequest, meta: CallMeta) -> CallRecord | None:
        """Forwards `RecordingClient.remake` (a recorded reply proved unusable; `--retry-failed all`)."""
        if not isinstance(self._inner, RecordingClient):
            return None
        sourced = await self._inner.remake(request, meta)
        if sourced is None:
            return None
        self._sink.call_done(sourced.record, served=False)
        return sourced.record

    async def aclose(self) -> None:
        await self._inner.aclose()


class ObservedHiddenTests:
    def __init__(self, inner: HiddenTests, sink: ProgressSink) -> None:
        self._inner = inner
        self._sink = sink

    async def prepare(self, tasks: list[BuildTask]) -> None:
        await self._inner.prepare(tasks)

    async def run_tests(self, task: BuildTask, files: dict[str, str], run_id: str) -> TestOutcome:
        outcome = await self._inner.run_tests(task, files, run_id)
        self._sink.sandbox_done(task.task_id, sum(passed for _, passed in outcome.tests), len(outcome.tests))
        return outcome
