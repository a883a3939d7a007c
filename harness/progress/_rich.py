"""A live progress display on the terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ..llm import CallRecord
from ..plan import CallCounts
from ._sink import STAGES, StageTally

__all__ = ["RichSink"]


class RichSink:
    """Bars per stage and for sandbox runs, with failures and cost so far."""

    def __init__(self, console: Console | None = None) -> None:
        self.tally = StageTally()
        self._console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=self._console,
            transient=False,
        )
        self._bars: dict[str, TaskID] = {}

    def start(self, counts: CallCounts) -> None:
        self.tally.start(counts)
        for stage in STAGES:
            if self.tally.expected[stage]:
                self._bars[stage] = self._progress.add_task(stage, total=self.tally.expected[stage], note="")
        if self.tally.sandbox_expected:
            self._bars["sandbox"] = self._progress.add_task("sandbox", total=self.tally.sandbox_expected, note="")
        self._progress.start()

    def call_done(self, record: CallRecord, served: bool) -> None:
        self.tally.call_done(record, served)
        stage = record.meta.stage
        bar = self._bars.get(stage)
        if bar is not None:
            failed = self.tally.failed[stage]
            note = f"failed {failed}" if failed else ""
            if stage in ("judge", "review", "answer") and self.tally.cost_usd:
                note += f"  ${self.tally.cost_usd:.4f}"
            self._progress.update(bar, completed=self.tally.done[stage], note=note)

    def sandbox_done(self, task_id: str, passed: int, total: int) -> None:
        self.tally.sandbox_done += 1
        bar = self._bars.get("sandbox")
        if bar is not None:
            self._progress.update(bar, completed=self.tally.sandbox_done, note=f"last {passed}/{total}")

    def close(self) -> None:
        self._progress.stop()
