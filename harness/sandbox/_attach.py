"""The host end of a sandbox container's stdio: the payload in, PID 1's result document out.

Protocol with the container's PID 1 (see `_payload.py` and `_runtime/supervisor.py`):
  host -> stdin:   "<nonce> <size>\\n" then `size` bytes of JSON (work tree, runtime, limits)
  stderr -> host:  "harness-result-<nonce> <size>\\n", the result document (JSON), "\\nharness-end-<nonce>\\n"
  stdout -> host:  nothing in a normal run (anything there is kept as output)
Only PID 1 holds the container's stderr; the tests and the submission run under
other uids and can neither write to it nor read PID 1's memory.
"""

from __future__ import annotations

import json
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
    """What came back: PID 1's result document, or None when it never sent one (killed, crashed)."""

    def __init__(self) -> None:
        self.document: dict[str, Any] | None = None
        self.error: str | None = None


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
        self._header = re.compile(rb"harness-result-" + self._nonce.encode() + rb" (\d+)\n")
        self._end = b"\nharness-end-" + self._nonce.encode() + b"\n"

    def send_payload(self, payload: bytes) -> None:
        """Hand PID 1 the nonce and the payload; it lays out the work tree and starts the tests."""
        self._socket.sendall(f"{self._nonce} {len(payload)}\n".encode() + payload)

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

    def read_outcome(self, output: TailBuffer, max_document_bytes: int) -> RunOutcome:
        """Collect stdout into `output` and PID 1's result document from stderr.

        Stops early, with what it has, when the stream ends (container killed or dead).
        """
        outcome = RunOutcome()
        stderr = bytearray()
        size: int | None = None
        start = 0
        for stream, payload in self._frames():
            if stream != _STDERR:
                output.write(payload)
                continue
            stderr += payload
            if size is None:
                if not (match := self._header.search(stderr)):
                    del stderr[:-_MARKER_WINDOW]
                    continue
                size, start = int(match.group(1)), match.end()
                if size > max_document_bytes:
                    outcome.error = f"the sandbox's result document ({size} bytes) is over the limit"
                    return outcome
            if len(stderr) >= start + size + len(self._end):
                body = bytes(stderr[start : start + size])
                if stderr[start + size : start + size + len(self._end)] != self._end:
                    outcome.error = "the sandbox's result document is not framed as expected"
                    return outcome
                try:
                    document = json.loads(body)
                except ValueError as exc:
                    outcome.error = f"the sandbox's result document is not JSON: {exc}"
                    return outcome
                outcome.document = document if isinstance(document, dict) else None
                return outcome
        return outcome

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._handle.close()
