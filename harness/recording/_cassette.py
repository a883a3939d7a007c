"""The cassette: one JSON line per completed call, appended as calls finish."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from .._errors import CassetteError
from ..llm import CallRecord

__all__ = ["Cassette", "CassetteLoad", "UnreadableLine"]


@dataclass(frozen=True)
class UnreadableLine:
    """A cassette line that holds no usable record."""

    number: int
    """1-based line number in the file."""
    kind: Literal["torn", "damaged"]
    """`torn`: JSON cut short, what a process killed mid-write leaves; `damaged`: anything else (edited, corrupted)."""
    reason: str

    def describe(self) -> str:
        what = "cut short (a crash mid-write)" if self.kind == "torn" else "damaged"
        return f"line {self.number}: {what}: {self.reason}"


@dataclass
class CassetteLoad:
    """What loading found: the latest record of each call slot, every record in order, and unusable lines."""

    records: dict[str, CallRecord] = field(default_factory=dict)
    history: dict[str, list[CallRecord]] = field(default_factory=dict)
    unreadable: list[UnreadableLine] = field(default_factory=list)


def _read_line(raw: bytes, number: int) -> CallRecord | UnreadableLine:
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        # A line cut short fails at its very end (or inside a string the end cut open); damage fails earlier.
        cut_short = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        kind: Literal["torn", "damaged"] = "torn" if cut_short else "damaged"
        return UnreadableLine(number, kind, f"not JSON ({exc.msg} at character {exc.pos} of {len(text)})")
    try:
        return CallRecord.model_validate_json(raw)
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()
        detail = first[1].strip() + ": " + first[2].strip() if len(first) > 2 else str(exc)
        return UnreadableLine(number, "damaged", f"not a call record ({detail})")


class Cassette:
    """Append-only JSON-lines journal of call records, keyed by call slot (request hash).

    A slot may hold several records (a call made again with `--retry-failed`): the latest wins, the
    earlier ones are its history. A line cut short by a crash is dropped and reported; a line damaged
    otherwise stops the load (`CassetteError` naming it) unless `repair` is set, which drops it too.
    """

    def __init__(self, path: Path, *, repair: bool = False) -> None:
        self.path = Path(path)
        loaded = self._load(self.path)
        damaged = [line for line in loaded.unreadable if line.kind == "damaged"]
        if damaged and not repair:
            listing = "\n".join(f"  {line.describe()}" for line in damaged[:10])
            more = f"\n  ... and {len(damaged) - 10} more" if len(damaged) > 10 else ""
            raise CassetteError(
                f"{self.path}: {len(damaged)} damaged line(s), not the torn last line a crash leaves:\n{listing}{more}\n"
                "the calls on these lines cannot be served. Restore the file, or pass --repair to drop these lines "
                "(resume then makes those calls again; replay stops at the first call it lacks)"
            )
        self._records = loaded.records
        self.history = loaded.history
        self.unreadable = loaded.unreadable
        self._lock = threading.Lock()
        self._fd: int | None = None

    def set_aside_unreadable(self) -> Path | None:
        """Move the unreadable lines out of the cassette into `<cassette>.unreadable`, so the next load is clean.

        Called by a run or resume (which holds the run lock) after it has reported them; replay never writes.
        """
        if not self.unreadable:
            return None
        numbers = {line.number for line in self.unreadable}
        kept: list[bytes] = []
        dropped: list[bytes] = []
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                (dropped if number in numbers else kept).append(raw if raw.endswith(b"\n") else raw + b"\n")
        aside = self.path.with_name(self.path.name + ".unreadable")
        with aside.open("ab") as handle:
            handle.write(b"".join(dropped))
        scratch = self.path.with_name(self.path.name + ".rewrite")
        scratch.write_bytes(b"".join(kept))
        os.replace(scratch, self.path)
        return aside

    @property
    def dropped_lines(self) -> list[int]:
        return [line.number for line in self.unreadable]

    @staticmethod
    def _load(path: Path) -> CassetteLoad:
        result = CassetteLoad()
        if not path.exists():
            return result
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                read = _read_line(raw, number)
                if isinstance(read, UnreadableLine):
                    result.unreadable.append(read)
                    continue
                result.records[read.key] = read
                result.history.setdefault(read.key, []).append(read)
        return result

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def get(self, key: str) -> CallRecord | None:
        """The latest record of a call slot."""
        return self._records.get(key)

    def records(self) -> list[CallRecord]:
        """The latest record of every call slot."""
        return list(self._records.values())

    def superseded(self) -> list[CallRecord]:
        """Records that a later record of the same slot replaced, oldest first."""
        return [record for records in self.history.values() for record in records[:-1]]

    def append(self, record: CallRecord, *, supersede: bool = False) -> None:
        """Record a call; the line reaches the OS in one write, so a SIGKILL cannot split it.

        A slot already recorded is left alone unless `supersede` (a call made again): then the new
        record is appended and becomes the slot's latest.
        """
        line = (json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if record.key in self._records and not supersede:
                return
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._terminate_partial_line()
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, line)
            self._records[record.key] = record
            self.history.setdefault(record.key, []).append(record)

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
