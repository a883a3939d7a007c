"""`harness task ...` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import task_app

__all__ = ["task_app"]


@task_app.command("check")
def check(
    task_dir: Annotated[Path, typer.Argument(help="A build task folder with a reference/ solution.")],
) -> None:
    """Check a build task in the sandbox: its reference solution must pass every hidden
    test, and an empty entrypoint must fail at least one (a suite that cannot fail is an error)."""
    from ..sandbox import check_task

    report = check_task(task_dir)
    ref, empty = report.reference, report.empty
    typer.echo(f"ok: {report.task_id}")
    typer.echo(f"  reference solution: {ref.passed}/{ref.total} hidden tests passed ({ref.duration_s:.2f}s)")
    typer.echo(f"  empty entrypoint:   {empty.passed}/{empty.total} passed, so the suite can fail")
