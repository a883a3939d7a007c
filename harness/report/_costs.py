"""Calls, tokens, cost and latency per model and per judge, summed from the cassette's call records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..config import RoundConfig
from ..llm import CallRecord, exceeds_max_tokens
from ._format import usd
from ._question_facts import model_labeler
from ._views import Column, CostSection, Table, TableCell, cell, number_cell

__all__ = ["cost_section"]

STAGES = ("answer", "judge", "generate", "review")
JUDGING_STAGES = ("judge", "review")


@dataclass
class _Tally:
    calls: int = 0
    failed: int = 0
    repairs: int = 0
    tokens: int = 0
    cost_usd: float | None = None
    unpriced: int = 0
    latency_s: float = 0.0

    def add(self, record: CallRecord) -> None:
        self.calls += 1
        self.failed += record.error is not None
        self.repairs += record.meta.attempt > 0
        self.tokens += record.usage.total_tokens
        self.latency_s += record.latency_s
        if record.cost_usd is None:
            self.unpriced += 1
        else:
            self.cost_usd = (self.cost_usd or 0.0) + record.cost_usd

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> _Tally:
        tally = cls()
        for record in records:
            tally.add(record)
        return tally

    def cost_cell(self) -> TableCell:
        title = f"{self.unpriced} of {self.calls} calls have no known price" if self.unpriced else ""
        sort = "" if self.cost_usd is None else repr(self.cost_usd)
        return TableCell(text=usd(self.cost_usd, self.unpriced) if self.calls else "", title=title, css="num", sort=sort)

    def latency_cell(self) -> TableCell:
        return TableCell(text=f"{self.latency_s:,.1f} s", css="num", sort=repr(self.latency_s))


def _model_order(config: RoundConfig, records: list[CallRecord]) -> list[str]:
    return list(dict.fromkeys([m.id for m in config.models] + [r.meta.model_id for r in records]))


def _by_model(config: RoundConfig, records: list[CallRecord]) -> Table:
    label = model_labeler(config)
    stages = [s for s in STAGES if any(r.meta.stage == s for r in records)]
    rows = []
    for model_id in _model_order(config, records):
        own = [r for r in records if r.meta.model_id == model_id]
        total = _Tally.of(own)
        per_stage = [_Tally.of(r for r in own if r.meta.stage == stage) for stage in stages]
        stage_cells = [c for t in per_stage for c in (number_cell(t.tokens, 0) if t.calls else cell(""), t.cost_cell())]
        rows.append(
            [
                cell(label(model_id).name, model_id),
                number_cell(total.calls, 0),
                number_cell(total.failed, 0, css="bad" if total.failed else ""),
                *stage_cells,
                number_cell(total.tokens, 0, css="strong"),
                total.cost_cell(),
                total.latency_cell(),
            ]
        )
    stage_columns = [c for s in stages for c in (Column(f"{s} tokens", numeric=True), Column(f"{s} cost", numeric=True))]
    columns = [
        Column("model"),
        Column("calls", "every recorded call, repair re-asks included", numeric=True),
        Column("failed", "calls that ended in an error after their retries", numeric=True),
        *stage_columns,
        Column("total tokens", numeric=True),
        Column("total cost", numeric=True),
        Column("total latency", "sum over calls (calls overlap in time)", numeric=True),
    ]
    return Table(caption="Per model (every call made to it, by stage)", columns=columns, rows=rows, sortable=True)


def _by_judge(config: RoundConfig, records: list[CallRecord]) -> Table:
    label = model_labeler(config)
    rows = []
    for model_id in _model_order(config, records):
        own = [r for r in records if r.meta.model_id == model_id and r.meta.stage in JUDGING_STAGES]
        if not own:
            continue
        tally = _Tally.of(own)
        mean_latency = tally.latency_s / tally.calls
        rows.append(
            [
                cell(label(model_id).name, model_id),
                number_cell(tally.calls, 0),
                number_cell(tally.repairs, 0),
                number_cell(tally.failed, 0, css="bad" if tally.failed else ""),
                number_cell(tally.tokens, 0, css="strong"),
                number_cell(round(tally.tokens / tally.calls), 0),
                tally.cost_cell(),
                tally.latency_cell(),
                TableCell(text=f"{mean_latency:.2f} s", css="num", sort=repr(mean_latency)),
            ]
        )
    columns = [
        Column("judge"),
        Column("judging calls", "judge (questions) and review (builds) calls", numeric=True),
        Column("repair re-asks", numeric=True),
        Column("failed", numeric=True),
        Column("tokens", numeric=True),
        Column("tokens per call", numeric=True),
        Column("cost", numeric=True),
        Column("total latency", numeric=True),
        Column("mean latency", numeric=True),
    ]
    return Table(caption="Per judge (judge and review calls)", columns=columns, rows=rows, sortable=True)


def _history(records: list[CallRecord], superseded: list[CallRecord]) -> Table | None:
    """Each record a later one of the same call replaced, and what that call's latest record says."""
    if not superseded:
        return None
    latest = {record.key: record for record in records}
    rows = []
    for old in superseded:
        now = latest.get(old.key)
        outcome = "ok" if now is not None and now.ok else (now.error if now is not None else None) or "failed"
        about = old.meta.respondent_id or ""
        rows.append([
            cell(old.meta.model_id), cell(old.meta.stage), cell(old.meta.task_id), cell(about),
            cell(old.error or "ok (an unusable reply)", css="bad"), cell(outcome, css="" if outcome == "ok" else "bad"),
        ])
    columns = [Column("model"), Column("stage"), Column("task"), Column("on the answer of"), Column("recorded first"), Column("latest")]
    note = (
        f"{len(superseded)} recorded calls were made again with `--retry-failed`; the cassette keeps every record, "
        "the latest of a call is the one the results use, and replay serves it."
    )
    return Table(caption="Calls made again", columns=columns, rows=rows, note=note)


def cost_section(config: RoundConfig, records: list[CallRecord], superseded: list[CallRecord] | None = None) -> CostSection:
    total = _Tally.of(records)
    totals = [
        ("calls", f"{total.calls:,}"),
        ("failed calls", f"{total.failed:,}"),
        ("tokens", f"{total.tokens:,}"),
        ("cost", usd(total.cost_usd, total.unpriced)),
        ("summed latency", f"{total.latency_s:,.1f} s"),
    ]
    note = "From the run's cassette: one record per model call, repair re-asks included."
    if total.unpriced:
        note += f" {total.unpriced} of {total.calls} calls have no known price: their cost is unknown, and sums marked ≥ leave them out."
    over = [r for r in records if exceeds_max_tokens(r)]
    if over:
        totals.insert(3, ("replies over max_tokens", f"{len(over):,}"))
        per_model = ", ".join(f"{m}: {n}" for m, n in Counter(r.meta.model_id for r in over).items())
        note += f" {len(over)} replies used more completion tokens than their requested max_tokens ({per_model}); they cost more than planned."
    history = _history(records, superseded or [])
    if history is not None:
        totals.insert(2, ("calls made again", f"{len(superseded or []):,}"))
    return CostSection(
        by_model=_by_model(config, records), by_judge=_by_judge(config, records), totals=totals, note=note, history=history
    )
