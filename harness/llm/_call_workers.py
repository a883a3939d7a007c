"""Call workers: LiteLLM's CPU work of each attempt moved off the driver's event loop.

LiteLLM spends milliseconds of CPU per call (building the request, parsing and pricing the
reply, logging). In one event loop that work queues up behind itself and delays other calls'
requests; in worker processes it runs on the other cores. The driver keeps everything that
must be in one place (the cassette, retries, limits, prices, API keys); a worker makes single
attempts and answers with plain data (`AttemptOutcome`).

Each worker gets its share of the round's `concurrency` and keeps it with a `Wire` of its own,
so requests on the wire stay within the round's limit however the calls are spread, and the
whole-call slot rule of `_wire.py` holds for providers that send outside the shared session.
An attempt goes to the worker with the fewest attempts in hand.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from ._attempt import AttemptCall, AttemptOutcome
from ._call_worker import STREAM_LIMIT

__all__ = ["ProcessCallWorkers", "split_concurrency"]

_log = logging.getLogger("harness.llm.workers")

_START_TIMEOUT_S = 120.0
_STOP_TIMEOUT_S = 10.0


def split_concurrency(concurrency: int, workers: int) -> list[int]:
    """Each worker's share of the round's `concurrency`: together exactly `concurrency`, none empty."""
    workers = max(1, min(workers, concurrency))
    base, extra = divmod(concurrency, workers)
    return [base + (1 if index < extra else 0) for index in range(workers)]


class CallWorkerError(Exception):
    """A call worker could not be started."""


class _WorkerProcess:
    """One worker process and the attempts it has in hand."""

    def __init__(self, index: int, share: int) -> None:
        self.index = index
        self.share = share
        self.in_hand = 0
        self.cpu_s: float | None = None
        """CPU seconds of the process, as it said when it stopped."""
        self.start_cpu_s = 0.0
        """Of those, the seconds it took to start (importing LiteLLM)."""
        self._process: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[AttemptOutcome]] = {}
        self._ids = itertools.count(1)
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self.exited = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and not self.exited.is_set()

    def describe(self) -> str:
        return f"call worker {self.index} (pid {self.pid})"

    async def start(self, env: dict[str, str], models: list[str]) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness.llm._call_worker", str(self.share), *models,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env, limit=STREAM_LIMIT,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        self._tasks.append(asyncio.create_task(self._drain_stderr(self._process.stderr)))
        try:
            first = await asyncio.wait_for(self._process.stdout.readline(), _START_TIMEOUT_S)
        except TimeoutError:
            first = b""
        if b"\tready\t" not in first:
            self._process.kill()
            await self._process.wait()
            raise CallWorkerError(f"{self.describe()} did not start (exit code {self._process.returncode}): {self.stderr_tail()}")
        self.start_cpu_s = float(json.loads(first.split(b"\t", 2)[2])["cpu_s"])
        self._tasks.append(asyncio.create_task(self._read_outcomes(self._process.stdout)))

    def stderr_tail(self) -> str:
        return " | ".join(self._stderr_tail) or "(nothing on its standard error)"

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self._stderr_tail.append(line.decode(errors="replace").rstrip())

    async def _read_outcomes(self, stream: asyncio.StreamReader) -> None:
        try:
            while line := await stream.readline():
                message_id, kind, payload = line.rstrip(b"\n").split(b"\t", 2)
                if kind == b"outcome":
                    future = self._pending.pop(int(message_id), None)
                    if future is not None and not future.done():
                        future.set_result(AttemptOutcome.model_validate_json(payload))
                elif kind == b"bye":
                    self.cpu_s = float(json.loads(payload)["cpu_s"])
        finally:
            assert self._process is not None
            code = await self._process.wait()
            self.exited.set()
            reason = f"{self.describe()} exited (code {code}) with the attempt in hand: {self.stderr_tail()}"
            if not self._closing:
                in_hand = sum(1 for future in self._pending.values() if not future.done())
                _log.warning(
                    "%s exited (code %s) with %d attempt(s) in hand; they are made again and a new worker takes its place: %s",
                    self.describe(), code, in_hand, self.stderr_tail(),
                )
            for future in self._pending.values():
                if not future.done():  # the request may have gone out: retried like a dropped connection
                    future.set_result(AttemptOutcome.worker_lost(reason, retryable=True))
            self._pending.clear()

    async def attempt(self, call: AttemptCall) -> AttemptOutcome:
        assert self._process is not None and self._process.stdin is not None
        message_id = next(self._ids)
        future: asyncio.Future[AttemptOutcome] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        self.in_hand += 1
        try:
            self._process.stdin.write(b"%d\tcall\t%s\n" % (message_id, call.model_dump_json().encode()))
            return await future
        except asyncio.CancelledError:
            if self._pending.pop(message_id, None) is not None and self.alive:
                self._process.stdin.write(b"%d\tcancel\t{}\n" % message_id)
            raise
        except (BrokenPipeError, ConnectionResetError):
            self._pending.pop(message_id, None)
            await self.exited.wait()
            return AttemptOutcome.worker_lost(f"{self.describe()} exited before the attempt was sent: {self.stderr_tail()}", retryable=True)
        finally:
            self.in_hand -= 1

    async def stop(self) -> None:
        """Close its input (it finishes and says bye), then wait; kill it if it does not end."""
        if self._process is None:
            return
        self._closing = True
        if self._process.stdin is not None and not self._process.stdin.is_closing():
            self._process.stdin.close()
        try:
            await asyncio.wait_for(self.exited.wait(), _STOP_TIMEOUT_S)
        except TimeoutError:
            self._process.kill()
            await self.exited.wait()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class ProcessCallWorkers:
    """`workers` local worker processes sharing `concurrency`; a worker that dies is replaced.

    Each worker warms up LiteLLM for `warm_models` before it takes attempts. The workers' environment lacks the variables named in `secret_env_names` (the models' API
    keys): each attempt carries its key. At most `max_restarts` workers are started in place of
    dead ones; after that, attempts fail as infrastructure failures naming the cause (resumable).
    """

    name = "process"

    def __init__(
        self,
        workers: int,
        concurrency: int,
        *,
        secret_env_names: Iterable[str | None] = (),
        warm_models: Iterable[str] = (),
        max_restarts: int | None = None,
    ) -> None:
        self.shares = split_concurrency(concurrency, workers)
        self.warm_models = sorted(set(warm_models))
        self._secret_env_names = {name for name in secret_env_names if name}
        self.max_restarts = len(self.shares) * 2 if max_restarts is None else max_restarts
        self.restarts = 0
        self._workers: list[_WorkerProcess] = []
        self._lock: asyncio.Lock | None = None
        self._closed = False
        self._last_loss = ""
        self.stop_s = 0.0
        """Wall seconds `aclose` took (each worker flushes LiteLLM's logs)."""
        self.start_s = 0.0
        """Wall seconds the first start of the workers took (each imports LiteLLM)."""

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers alive now."""
        return [w.pid for w in self._workers if w.alive and w.pid is not None]

    @property
    def cpu_s(self) -> float:
        """CPU seconds the workers spent on attempts, as they reported when they stopped (after `aclose`)."""
        return sum(max(0.0, (w.cpu_s or 0.0) - w.start_cpu_s) for w in self._workers)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in self._secret_env_names}
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
        return env

    async def _started(self) -> list[_WorkerProcess]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._workers:
                started = time.perf_counter()
                self._workers = [_WorkerProcess(index, share) for index, share in enumerate(self.shares)]
                await asyncio.gather(*(w.start(self._env(), self.warm_models) for w in self._workers))
                self.start_s = time.perf_counter() - started
            for position, worker in enumerate(self._workers):
                if not worker.alive and self.restarts < self.max_restarts:
                    self._last_loss = f"{worker.describe()} exited: {worker.stderr_tail()}"
                    self.restarts += 1
                    replacement = _WorkerProcess(worker.index, worker.share)
                    await replacement.start(self._env(), self.warm_models)
                    self._workers[position] = replacement
            return [w for w in self._workers if w.alive]

    async def attempt(self, call: AttemptCall) -> AttemptOutcome:
        if self._closed:
            raise RuntimeError("the call workers were stopped")
        try:
            alive = await self._started()
        except CallWorkerError as exc:
            return AttemptOutcome.worker_lost(str(exc), retryable=False)
        if not alive:
            return AttemptOutcome.worker_lost(
                f"every call worker has exited and {self.restarts} were started in their place; last: {self._last_loss}",
                retryable=False,
            )
        worker = min(alive, key=lambda w: w.in_hand / w.share)
        return await worker.attempt(call)

    async def aclose(self) -> None:
        """Stop the workers; a second call waits for the same stop (and leaves `stop_s` as the first measured it)."""
        first = not self._closed
        self._closed = True
        stopping = time.perf_counter()
        await asyncio.gather(*(w.stop() for w in self._workers))
        if first:
            self.stop_s = time.perf_counter() - stopping
