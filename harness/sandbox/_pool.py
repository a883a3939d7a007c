"""Run many sandboxed test runs concurrently from asyncio code."""

from __future__ import annotations

import asyncio
import os
import threading

from .._errors import SandboxInfraError
from ..tasks import BuildTask
from ._archive import Submission
from ._backend import DEFAULT_SANDBOX_BACKEND, SandboxBackend, create_backend
from ._models import TestRunResult

__all__ = ["SandboxPool"]


class SandboxPool:
    """Runs up to `max_parallel` sandboxed runs at once, each in a worker thread.

    The first run prepares the backend (checks daemon and image, sweeps
    containers left by dead harness processes); that failing raises
    SandboxInfraError. A single run that fails for infrastructure reasons after
    the backend's retries comes back as a result with `infra_error` set, so one
    bad run does not abort a round; such a result must not be scored.
    Cancelling `run` (e.g. Ctrl-C in `asyncio.run`) kills its container.
    """

    def __init__(self, backend: SandboxBackend | str = DEFAULT_SANDBOX_BACKEND, *, max_parallel: int | None = None) -> None:
        """`backend`: a backend, or the name of one in `SANDBOX_BACKENDS`."""
        self.backend = create_backend(backend) if isinstance(backend, str) else backend
        self.max_parallel = max_parallel or os.cpu_count() or 1
        self._prepared = False
        self._prepare_lock = threading.Lock()
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _prepare_once(self) -> None:
        with self._prepare_lock:
            if not self._prepared:
                self.backend.prepare()
                self._prepared = True

    async def prepare(self) -> None:
        """Check the backend and sweep stale containers (done once; `run` calls it too)."""
        await asyncio.to_thread(self._prepare_once)

    def _slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._semaphore, self._loop = asyncio.Semaphore(self.max_parallel), loop
        return self._semaphore

    async def run(self, task: BuildTask, files: Submission, run_id: str) -> TestRunResult:
        """Run `task`'s hidden tests against `files` (relative path -> text) in a fresh sandbox."""
        await self.prepare()
        async with self._slots():
            cancel = threading.Event()
            try:
                return await asyncio.to_thread(self.backend.run, task, files, run_id, cancel=cancel)
            except SandboxInfraError as exc:
                return TestRunResult.from_infra_error(str(exc))
            except asyncio.CancelledError:
                cancel.set()
                raise
