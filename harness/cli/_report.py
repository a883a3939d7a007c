"""`harness report`: one self-contained HTML report of a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app

__all__ = ["app"]


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (from `run` or `import`).")],
    out: Annotated[Path | None, typer.Option("--out", help="HTML file to write (default RUN_DIR/report.html).")] = None,
    results: Annotated[
        Path | None,
        typer.Option("--results", help="Results folder to report on instead of RUN_DIR/results (e.g. DIR/results of `replay --out DIR`)."),
    ] = None,
) -> None:
    """Write one self-contained HTML report: score matrices, leaderboards, judges, every answer, costs."""
    from ..report import write_report

    path = write_report(run_dir, out, results)
    typer.echo(f"wrote {path}")
