"""The cassette survives crashes: partial lines are dropped, appends start on a fresh line."""

from __future__ import annotations

import json
from pathlib import Path

from harness.llm import CallMeta, CallRecord, ChatMessage, ChatRequest, call_key
from harness.recording import Cassette


def _record(index: int) -> CallRecord:
    request = ChatRequest(model="openai/m", messages=(ChatMessage(role="user", content=f"question {index}"),))
    meta = CallMeta(stage="answer", model_id="m", task_id="t")
    return CallRecord(key=call_key(request, meta), meta=meta, request=request, reply=f"reply {index}")


def test_half_written_line_is_dropped_and_the_next_append_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "cassette.jsonl"
    cassette = Cassette(path)
    cassette.append(_record(1))
    cassette.append(_record(2))
    cassette.close()
    full = path.read_text()
    path.write_text(full + json.dumps(_record(3).model_dump(mode="json"))[:57])  # killed mid-write

    reopened = Cassette(path)
    assert len(reopened) == 2 and reopened.dropped_lines == [3]
    reopened.append(_record(3))
    reopened.close()
    final = Cassette(path)
    assert len(final) == 3 and final.dropped_lines == [3], "the torn line stays dropped, the new record is whole"
    assert final.get(_record(3).key) is not None


def test_same_prompt_in_two_slots_gets_two_keys() -> None:
    request = ChatRequest(model="openai/judge", messages=(ChatMessage(role="user", content="same text"),))
    first = CallMeta(stage="judge", model_id="j", task_id="t", respondent_id="a")
    second = CallMeta(stage="judge", model_id="j", task_id="t", respondent_id="b")
    assert call_key(request, first) != call_key(request, second)
