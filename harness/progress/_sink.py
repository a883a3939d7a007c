"""Progress events of a round and the sinks that show them."""

from __future__ import annotations

import json
import sys
from typing import Protocol, TextIO

from ..llm import CallRecord
from ..plan import CallCounts

__all__ = ["ProgressSink", "QuietSink", "JsonLinesSink", "StageTally"]

STAGES = ("answer", "judge", "generate", "review")


class ProgressSink(Protocol):
    """Receives what happens during a round, in the order it happens."""

    def start(self, counts: CallCounts) -> None: ...

    def call_done(self, record: CallRecord, served: bool) -> None: ...

    def sandbox_done(self, task_id: str, passed: int, total: int) -> None: ...

    def close(self) -> None: ...


class StageTally:
    """Running totals a sink can show."""

    def __init__(self) -> None:
        self.expected: dict[str, int] = dict.fromkeys(STAGES, 0)
        self.done: dict[str, int] = dict.fromkeys(STAGES, 0)
        self.failed: dict[str, int] = dict.fromkeys(STAGES, 0)
        self.served = 0
        self.cost_usd = 0.0
        self.sandbox_expected = 0
        self.sandbox_done = 0

    def start(self, counts: CallCounts) -> None:
        self.expected = {
            "answer": counts.answer_calls,
            "judge": counts.judge_calls,
            "generate": counts.generate_calls,
            "review": counts.review_calls,
        }
        self.sandbox_expected = counts.sandbox_runs

    def call_done(self, record: CallRecord, served: bool) -> None:
        stage = record.meta.stage
        if record.meta.attempt == 0:
            self.done[stage] += 1
        if record.error:
            self.failed[stage] += 1
        self.served += served
        self.cost_usd += record.cost_usd or 0.0


class QuietSink:
    """Shows nothing."""

    def start(self, counts: CallCounts) -> None:
        pass

    def call_done(self, record: CallRecord, served: bool) -> None:
        pass

    def sandbox_done(self, task_id: str, passed: int, total: int) -> None:
        pass

    def close(self) -> None:
        pass


class JsonLinesSink:
    """One JSON object per event, for scripts."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    def _emit(self, event: dict[str, object]) -> None:
        self._stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._stream.flush()

    def start(self, counts: CallCounts) -> None:
        self._emit({"event": "start", **counts.model_dump()})

    def call_done(self, record: CallRecord, served: bool) -> None:
        meta = record.meta
        self._emit(
            {
                "event": "call",
                "stage": meta.stage,
                "model": meta.model_id,
                "task": meta.task_id,
                "respondent": meta.respondent_id,
                "repair": bool(meta.attempt),
                "served_from_cassette": served,
                "ok": record.error is None,
                "error": record.error,
                "tokens": record.usage.total_tokens,
                "cost_usd": record.cost_usd,
                "latency_s": record.latency_s,
            }
        )

    def sandbox_done(self, task_id: str, passed: int, total: int) -> None:
        self._emit({"event": "sandbox", "task": task_id, "passed": passed, "total": total})

    def close(self) -> None:
        self._emit({"event": "end"})
