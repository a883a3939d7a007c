"""`harness demo`: replay the recorded demo round offline and point to its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import HarnessError
from ._app import app

__all__ = ["demo_run_dir"]


def demo_run_dir() -> Path:
    """The recorded demo round shipped in the repository (rounds/demo/run)."""
    return Path(__file__).resolve().parents[2] / "rounds" / "demo" / "run"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the replayed files go.")] = Path("out/demo"),
) -> None:
    """Replay the demo round (three fixture models, a question and a build task) offline: no key, no network.

    Builds the sandbox image first if it is missing (the build task's hidden tests run again).
    """
    from ..sandbox import build_image
    from ..session import replay_run

    run_dir = demo_run_dir()
    if not (run_dir / "cassette.jsonl").is_file():
        raise HarnessError(f"{run_dir}: the demo round is not there (run `harness demo` from a clone of the repository)")
    build_image("auto", log=typer.echo)
    report = replay_run(run_dir, out / "results")
    typer.echo(f"replayed the demo round: {report.calls_served} recorded calls, 0 made")
    for path in report.files:
        typer.echo(f"wrote {path}")
    from ..report import write_report

    html = write_report(run_dir, out / "report.html", results_dir=out / "results")
    typer.echo(f"report: {html}  (open it in a browser)")
