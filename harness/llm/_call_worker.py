"""A call worker process: makes attempts with LiteLLM in an event loop of its own.

Started by `ProcessCallWorkers` as `python -m harness.llm._call_worker SHARE [MODEL...]`, where SHARE
is its part of the round's `concurrency` and the MODELs (LiteLLM model strings) are warmed up before
it says it is ready. It speaks lines on its standard streams, one message a line,
`ID<TAB>KIND<TAB>JSON` (JSON never holds a raw tab or newline):

- in: `call` (an `AttemptCall`), `cancel` (the driver gave up on that attempt);
- out: `ready` once LiteLLM is imported (with the CPU seconds that took), `outcome` (an `AttemptOutcome`) per call, and `bye` with the
  worker's CPU seconds when its input closes.

Anything else the process prints (LiteLLM's warnings) goes to standard error, so the protocol's
stream carries protocol only. The worker holds no secret: each call carries its own API key.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
from typing import BinaryIO

from ._attempt import AttemptCall, AttemptRunner

STREAM_LIMIT = 64 * 1024 * 1024
"""Longest message line either way (a long prompt or reply is one line)."""


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _serve(share: int, models: list[str], out: BinaryIO) -> None:
    runner = AttemptRunner(share)
    await runner.warm_up(models)
    # What LiteLLM's import and the warm-up leave live lasts the worker's life. Frozen, it is never
    # scanned again; else the first full collection stalls the worker's first calls (218-226 ms seen).
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=STREAM_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    in_flight: dict[bytes, asyncio.Task[None]] = {}

    def send(message_id: bytes, kind: bytes, payload: bytes) -> None:
        out.write(message_id + b"\t" + kind + b"\t" + payload + b"\n")
        out.flush()

    async def run(message_id: bytes, call: AttemptCall) -> None:
        try:
            outcome = await runner.attempt(call)
        except asyncio.CancelledError:
            return  # the driver no longer waits for it
        finally:
            in_flight.pop(message_id, None)
        send(message_id, b"outcome", outcome.model_dump_json().encode())

    send(b"0", b"ready", json.dumps({"pid": os.getpid(), "cpu_s": _cpu_seconds()}).encode())
    while line := await reader.readline():
        message_id, kind, payload = line.rstrip(b"\n").split(b"\t", 2)
        if kind == b"call":
            in_flight[message_id] = asyncio.create_task(run(message_id, AttemptCall.model_validate_json(payload)))
        elif kind == b"cancel" and message_id in in_flight:
            in_flight[message_id].cancel()
    for task in list(in_flight.values()):  # input closed: the driver is gone or done
        task.cancel()
    await asyncio.gather(*in_flight.values(), return_exceptions=True)
    await runner.aclose()
    send(b"0", b"bye", json.dumps({"cpu_s": _cpu_seconds()}).encode())


def main() -> None:
    share, models = int(sys.argv[1]), sys.argv[2:]
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() of any library lands on standard error, not in the protocol
    asyncio.run(_serve(share, models, out))
    out.close()
    # Its logs flushed and its session closed, the worker has nothing left to keep; the interpreter's
    # teardown of LiteLLM (about a second) would only delay the round's end.
    os._exit(0)


if __name__ == "__main__":
    main()
