"""`harness task ...` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._app import task_app

__all__ = ["task_app"]


@task_app.command("check")
def check(
    task_dir: Annotated[Path, typer.Argument(help="A build task folder (with a reference/ solution, or see --with).")],
    implementation: Annotated[
        Path | None,
        typer.Option("--with", help="A known-good implementation's folder, for a task folder without reference/."),
    ] = None,
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help='Grant a task that requires "network" an internal network with no route out.')
    ] = False,
) -> None:
    """Check a build task in the sandbox: its reference solution (or --with) must pass every hidden
    test, and an empty entrypoint must fail at least one (a suite that cannot fail is an error)."""
    from ..sandbox import check_needs, check_task, create_backend, load_build_task
    from ..tasks import SOURCE_DEFAULTS

    task = load_build_task(task_dir)
    if task.defaults_applied:
        filled = ", ".join(f"{key}={json.dumps(SOURCE_DEFAULTS[key])}" for key in task.defaults_applied)
        typer.echo(f"task.json leaves out {', '.join(task.defaults_applied)}: the source's defaults apply ({filled})")
    if not task.reviewable:
        why = "objective_only" if task.objective_only else "no JUDGE_PROMPT.md / JUDGE_RUBRIC.md"
        typer.echo(f"not reviewable ({why}): rounds score it by its hidden tests alone")
    check_needs(task, allow_network)
    if task.requires:
        typer.echo(f"requires: {', '.join(str(n) for n in task.requires)} (granted)")
    report = check_task(task_dir, create_backend("docker", allow_network=allow_network), implementation=implementation)
    ref, empty = report.reference, report.empty
    typer.echo(f"ok: {report.task_id}")
    label = "reference solution" if implementation is None else f"implementation {implementation}"
    typer.echo(f"  {label}: {ref.passed}/{ref.total} hidden tests passed ({ref.duration_s:.2f}s)")
    typer.echo(f"  empty entrypoint:   {empty.passed}/{empty.total} passed, so the suite can fail")
    _warn_scaffold_placeholders(task_dir)


def _warn_scaffold_placeholders(task_dir: Path) -> None:
    """On stderr, name each file still holding a placeholder line of `harness task new` (exit code unchanged)."""
    from ..tools import scaffold_placeholders

    found = scaffold_placeholders(task_dir)
    if not found:
        return
    typer.echo(
        f"warning: {len(found)} file{'s' if len(found) != 1 else ''} of {task_dir} still "
        f"hold{'' if len(found) != 1 else 's'} the scaffold's placeholder "
        "text (TODO lines of `harness task new`); until they are filled in, this check proves only the sample:",
        err=True,
    )
    for relative, lines in found.items():
        typer.echo(f"  {relative}: line{'s' if len(lines) != 1 else ''} {', '.join(map(str, lines))}", err=True)
