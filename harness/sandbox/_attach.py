"""The host end of a sandbox container's stdio: work tree in, output tail, exit status and report out.

Protocol with the container's PID 1 (see `_container.py`):
  host -> stdin:   "<nonce> <size>\\n" then a tar of `size` bytes (the work tree)
  stdout -> host:  the tail of the tests' combined output
  stderr -> host:  "harness-exit-status-<nonce>=<N>\\n", the JUnit report, "\\nharness-end-<nonce>\\n"
The nonce is random per run and only PID 1 reads it, so the tests cannot forge the markers.
"""

from __future__ import annotations

import re
import secrets
import socket
import struct
from typing import Any

__all__ = ["ContainerStdio", "RunOutcome", "TailBuffer"]

_STDERR = 2
_HEADER = struct.Struct(">BxxxL")  # Docker's multiplexed stream: stream id, payload size
_MARKER_WINDOW = 256


class TailBuffer:
    """Keeps only the last `limit` bytes written to it (the container caps its output already;
    this bounds host memory even if something bypasses that)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._data = bytearray()

    def write(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > 2 * self._limit:
            del self._data[: len(self._data) - self._limit]

    def text(self) -> str:
        return bytes(self._data[-self._limit :]).decode("utf-8", errors="replace")


class RunOutcome:
    """What came back: the exit status (None if PID 1 never reported one) and the report bytes."""

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self.report: bytes | None = None


class ContainerStdio:
    """An attach connection to a container made with `stdin_open` (and so `StdinOnce`).

    Attach before `start`, so no output is missed. Closing it closes the
    container's stdin, which makes PID 1 stop everything and exit.
    """

    def __init__(self, api: Any, container_id: str) -> None:
        params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        self._handle = api.attach_socket(container_id, params=params)
        self._socket: socket.socket = getattr(self._handle, "_sock", self._handle)
        self._nonce = secrets.token_hex(16)
        self._status = re.compile(rb"harness-exit-status-" + self._nonce.encode() + rb"=(\d+)\n")
        self._end = b"\nharness-end-" + self._nonce.encode() + b"\n"

    def send_work_tree(self, tar: bytes) -> None:
        """Hand PID 1 the nonce and the work tree; it unpacks it into /work and starts the tests."""
        self._socket.sendall(f"{self._nonce} {len(tar)}\n".encode() + tar)

    def _read_exactly(self, size: int) -> bytes | None:
        data = bytearray()
        while len(data) < size:
            chunk = self._socket.recv(min(size - len(data), 65536))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def _frames(self) -> Any:
        try:
            while (header := self._read_exactly(_HEADER.size)) is not None:
                stream, size = _HEADER.unpack(header)
                payload = self._read_exactly(size)
                if payload is None:
                    return
                yield stream, payload
        except OSError:
            return  # the connection broke: the container is gone

    def read_outcome(self, output: TailBuffer, max_report_bytes: int) -> RunOutcome:
        """Collect stdout into `output` and the status and report from stderr, until the end marker.

        A report larger than `max_report_bytes` is dropped (not one pytest wrote).
        Stops early, with what it has, when the stream ends (container killed or dead).
        """
        outcome = RunOutcome()
        stderr = bytearray()
        report = bytearray()
        overflow = False
        for stream, payload in self._frames():
            if stream != _STDERR:
                output.write(payload)
                continue
            if outcome.exit_code is None:
                stderr += payload
                if not (match := self._status.search(stderr)):
                    del stderr[:-_MARKER_WINDOW]  # keep enough to find a marker split across frames
                    continue
                outcome.exit_code = int(match.group(1))
                payload = bytes(stderr[match.end() :])
            report += payload
            if self._end in report[-(len(payload) + len(self._end)) :]:
                body = bytes(report[: report.rfind(self._end)])
                outcome.report = None if overflow else body
                return outcome
            if len(report) > max_report_bytes + _MARKER_WINDOW:
                overflow = True
                del report[: len(report) - _MARKER_WINDOW]
        return outcome

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._handle.close()
