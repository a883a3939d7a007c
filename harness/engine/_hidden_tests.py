"""The sandbox as the build engine's hidden-test service."""

from __future__ import annotations

import asyncio

from .._errors import SandboxInfraError
from ..config import SandboxConfig
from ..formats import TestOutcome
from ..tasks import BuildTask

__all__ = ["SandboxHiddenTests"]


class SandboxHiddenTests:
    """Runs hidden tests in the round's sandbox backend (by its registry name), at most `max_parallel` at once."""

    def __init__(self, sandbox: SandboxConfig, max_parallel: int | None = None) -> None:
        from ..sandbox import SandboxPool, create_backend

        options: dict[str, object] = {"allow_network": sandbox.allow_network}
        if sandbox.address is not None:
            options["address"] = sandbox.address
        backend = create_backend(sandbox.backend, **options)
        self._pool = SandboxPool(backend, max_parallel=max_parallel)

    async def prepare(self, tasks: list[BuildTask]) -> None:
        await self._pool.prepare()
        for task in tasks:
            await asyncio.to_thread(self._pool.backend.prepare_task, task)

    async def run_tests(self, task: BuildTask, files: dict[str, str], run_id: str) -> TestOutcome:
        result = await self._pool.run(task, files, run_id)
        if result.infra_error is not None:
            raise SandboxInfraError(
                f"sandbox failed while testing task {task.task_id!r} (not scored; recorded calls are kept, "
                f"run again to resume): {result.infra_error}"
            )
        return TestOutcome(
            tests=[(t.name, t.passed) for t in result.tests],
            exit_code=result.exit_code,
            timed_out=result.timed_out,
            integrity=result.integrity,
            integrity_notes=result.integrity_notes,
            skipped=result.skipped,
            errors=result.errors,
            outcomes={t.name: t.outcome for t in result.tests if t.outcome not in ("passed", "failed")},
        )
