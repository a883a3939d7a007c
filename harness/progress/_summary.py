"""The table printed at the end of a round: calls, failures, tokens and cost per model."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from ..llm import CallRecord

__all__ = ["ModelSummary", "summarize", "print_summary"]


class ModelSummary(BaseModel):
    model_id: str
    calls: int = 0
    failed: int = 0
    """Calls that failed, of either class."""
    infra_failed: int = 0
    """Calls that failed outside the model (auth, connection, timeout, 429/5xx after the retries)."""
    model_failed: int = 0
    """Calls whose reply was the problem (empty, filtered, too long)."""
    unusable_replies: int = 0
    """Judge and review replies that stayed unusable after the repair re-ask."""
    tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0


def summarize(
    records: Iterable[CallRecord], model_order: list[str], unusable_replies: dict[str, int] | None = None
) -> list[ModelSummary]:
    """Per model, the latest record of each call (`Cassette.records()`), and its unusable judge replies."""
    rows = {model_id: ModelSummary(model_id=model_id) for model_id in model_order}
    for model_id, count in (unusable_replies or {}).items():
        rows.setdefault(model_id, ModelSummary(model_id=model_id)).unusable_replies = count
    for record in records:
        row = rows.setdefault(record.meta.model_id, ModelSummary(model_id=record.meta.model_id))
        row.calls += 1
        failure = record.failure_class
        row.failed += failure is not None
        row.infra_failed += failure == "infra"
        row.model_failed += failure == "model"
        row.tokens += record.usage.total_tokens
        row.latency_s += record.latency_s
        if record.cost_usd is not None:
            row.cost_usd = (row.cost_usd or 0.0) + record.cost_usd
    return list(rows.values())


def print_summary(rows: list[ModelSummary], console: Console | None = None) -> None:
    table = Table(
        "model", "calls", "failed: outside the model", "failed: empty or refused", "unusable judge replies",
        "tokens", "cost (USD)", "call time (s)", title="Round summary",
    )
    for row in rows:
        cost = "unknown" if row.cost_usd is None else f"{row.cost_usd:.4f}"
        table.add_row(
            row.model_id, str(row.calls), str(row.infra_failed), str(row.model_failed), str(row.unusable_replies),
            f"{row.tokens:,}", cost, f"{row.latency_s:.1f}",
        )
    (console or Console(stderr=True)).print(table)
