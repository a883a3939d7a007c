"""`harness task check`: a build task's hidden tests must pass the reference and fail an empty file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel

from .._errors import SandboxInfraError, TaskCheckError, TaskError
from ..tasks import BuildTask, load_task
from ._archive import read_submission_dir
from ._backend import DEFAULT_SANDBOX_BACKEND, SandboxBackend
from ._models import TestRunResult
from ._pool import SandboxPool

__all__ = ["TaskCheckReport", "check_task", "load_build_task"]


class TaskCheckReport(BaseModel):
    """Both runs of a task check: the reference solution and an empty entrypoint."""

    task_id: str
    reference: TestRunResult
    empty: TestRunResult


def load_build_task(folder: Path) -> BuildTask:
    """The build task in `folder`, or TaskError if it is a question task."""
    task = load_task(folder)
    if not isinstance(task, BuildTask):
        raise TaskError(f"{folder}: a {task.kind} task has no hidden tests to run (task_kind must be \"code\")")
    return task


def _failed_names(result: TestRunResult) -> str:
    names = [t.name for t in result.tests if not t.passed]
    shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
    return shown or "none reported"


def _verdict(task: BuildTask, report: TaskCheckReport, label: str = "reference solution") -> None:
    for run in (report.reference, report.empty):
        if run.infra_error:
            raise SandboxInfraError(run.infra_error)
    ref = report.reference
    if not ref.all_passed:
        why = "timed out" if ref.timed_out else f"exit code {ref.exit_code}, {ref.passed}/{ref.total} passed"
        raise TaskCheckError(
            f"{task.folder}: the {label} does not pass every hidden test ({why}; "
            f"failing: {_failed_names(ref)})\n--- output tail ---\n{ref.output_tail[-2000:]}"
        )
    if report.empty.all_passed:
        raise TaskCheckError(
            f"{task.folder}: an empty {task.entrypoint} passes all {report.empty.total} hidden tests: "
            "a suite that cannot fail is an error"
        )


async def _run_both(task: BuildTask, pool: SandboxPool, reference_dir: Path) -> TaskCheckReport:
    reference_files = read_submission_dir(reference_dir)
    reference, empty = await asyncio.gather(
        pool.run(task, reference_files, f"task-check-{task.task_id}-reference"),
        pool.run(task, {task.entrypoint: ""}, f"task-check-{task.task_id}-empty"),
    )
    return TaskCheckReport(task_id=task.task_id, reference=reference, empty=empty)


def check_task(
    folder: Path, backend: SandboxBackend | str = DEFAULT_SANDBOX_BACKEND, implementation: Path | None = None
) -> TaskCheckReport:
    """Run a known-good implementation (the task's reference solution, or `implementation`) and an
    empty entrypoint through the sandbox.

    Raises TaskCheckError unless the implementation passes every hidden test and the
    empty one fails at least one; TaskError for an invalid folder;
    SandboxInfraError when the sandbox cannot run.
    """
    task = load_build_task(folder)
    known_good = Path(implementation) if implementation is not None else task.reference_dir
    if known_good is None:
        raise TaskError(
            f"{task.folder}: no reference solution (a reference/ or solution/ folder); add one, or check the task "
            "against a known-good implementation with `harness task check TASK --with IMPL_DIR`"
        )
    if not known_good.is_dir():
        raise TaskError(f"{known_good}: no such folder (expected the implementation's work tree)")
    report = asyncio.run(_run_both(task, SandboxPool(backend, max_parallel=2), known_good))
    _verdict(task, report, "reference solution" if implementation is None else f"implementation in {known_good}")
    return report
