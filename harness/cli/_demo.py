"""`harness demo`: replay the recorded demo round offline and point to its files.

`demo --out DIR` and `replay --out DIR` lay DIR out as a run folder's outputs are laid out:
the results folder is `DIR/results/`, the report (the demo makes one) `DIR/report.html`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import HarnessError
from ._app import app

__all__ = ["demo_run_dir", "replay_results_dir"]


def demo_run_dir() -> Path:
    """The recorded demo round shipped in the repository (rounds/demo/run)."""
    return Path(__file__).resolve().parents[2] / "rounds" / "demo" / "run"


def replay_results_dir(run_dir: Path, out: Path | None) -> Path:
    """Where a replay's results folder goes: `OUT/results/`, or `RUN_DIR/replay/results/` without `--out`."""
    from ..formats import RunFolder

    return RunFolder(out if out is not None else RunFolder(run_dir).replay_dir).results_dir


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Output folder: the files go to DIR/results/, the report to DIR/report.html.")
    ] = Path("out/demo"),
) -> None:
    """Replay the demo round (three fixture models, a question and a build task) offline: no key, no network.

    Builds the sandbox image first if it is missing (the build task's hidden tests run again).
    """
    from ..report import REPORT_FILE_NAME, write_report
    from ..sandbox import build_image
    from ..session import replay_run

    run_dir = demo_run_dir()
    if not (run_dir / "cassette.jsonl").is_file():
        raise HarnessError(f"{run_dir}: the demo round is not there (run `harness demo` from a clone of the repository)")
    build_image("auto", log=typer.echo)
    results = replay_results_dir(run_dir, out)
    report = replay_run(run_dir, results)
    typer.echo(f"replayed the demo round: {report.calls_served} recorded calls, 0 made")
    for path in report.files:
        typer.echo(f"wrote {path}")
    html = write_report(run_dir, out / REPORT_FILE_NAME, results_dir=results)
    typer.echo(f"report: {html}  (open it in a browser)")
