"""The Typer application all command modules register on."""

from __future__ import annotations

import typer

__all__ = ["app", "sandbox_app", "task_app", "import_app"]

app = typer.Typer(
    name="harness",
    help="Run LLM evaluation rounds: dispatch, sandboxed hidden tests, blind peer judging, published files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sandbox_app = typer.Typer(help="Build the sandbox image and run hidden tests in it.", no_args_is_help=True)
task_app = typer.Typer(help="Check and scaffold task folders.", no_args_is_help=True)
import_app = typer.Typer(help="Import past rounds as replayable run folders.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(task_app, name="task")
app.add_typer(import_app, name="import")
