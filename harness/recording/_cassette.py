"""The cassette: one JSON line per completed call, appended as calls finish."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from pydantic import ValidationError

from ..llm import CallRecord

__all__ = ["Cassette", "CassetteLoad"]


class CassetteLoad:
    """What loading found: the records, and lines that could not be used."""

    def __init__(self) -> None:
        self.records: dict[str, CallRecord] = {}
        self.dropped_lines: list[int] = []


class Cassette:
    """Append-only JSON-lines journal of call records, keyed by request hash.

    A process killed mid-write leaves at most one partial last line; loading drops
    such lines (and reports them) instead of failing, so a run can always resume.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        loaded = self._load(self.path)
        self._records = loaded.records
        self.dropped_lines = loaded.dropped_lines
        self._lock = threading.Lock()
        self._fd: int | None = None

    @staticmethod
    def _load(path: Path) -> CassetteLoad:
        result = CassetteLoad()
        if not path.exists():
            return result
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    record = CallRecord.model_validate_json(raw)
                except (ValidationError, ValueError):
                    result.dropped_lines.append(number)
                    continue
                result.records.setdefault(record.key, record)
        return result

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def get(self, key: str) -> CallRecord | None:
        return self._records.get(key)

    def records(self) -> list[CallRecord]:
        return list(self._records.values())

    def append(self, record: CallRecord) -> None:
        """Record a call; the line reaches the OS in one write, so a SIGKILL cannot split it."""
        line = (json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if record.key in self._records:
                return
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._terminate_partial_line()
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, line)
            self._records[record.key] = record

    def _terminate_partial_line(self) -> None:
        """After a crash mid-line, start the next record on a fresh line."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            last = handle.read(1)
        if last != b"\n":
            with self.path.open("ab") as handle:
                handle.write(b"\n")

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
