"""`harness run`, `replay` and `rescore`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app

__all__ = ["app"]


def _print_report(verb: str, report: object) -> None:
    from ..runner import RunReport

    assert isinstance(report, RunReport)
    typer.echo(f"{verb}: {report.calls_made} calls made, {report.calls_served} served from the cassette")
    if report.dropped_cassette_lines:
        typer.echo(f"dropped unreadable cassette lines: {report.dropped_cassette_lines}", err=True)
    for path in report.files:
        typer.echo(f"wrote {path}")


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="Round config (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", help="Run folder; an unfinished run there is continued.")] = None,
) -> None:
    """Run a round: answers, sandboxed tests, blind judging, output files, all calls recorded."""
    from ..runner import run_round

    _print_report("run", run_round(config, out))


@app.command()
def replay(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (from `run` or `import`).")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default RUN_DIR/replay).")] = None,
) -> None:
    """Re-run a recorded round offline: every call is served from the cassette."""
    from ..runner import replay_run

    _print_report("replay", replay_run(run_dir, out))


@app.command()
def rescore(
    file: Annotated[Path, typer.Argument(help="An evaluation file or a dataset file.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the rescored file.")],
) -> None:
    """Recompute every derived field of an emitted file from its judgments."""
    from ..rescore import rescore_file

    kind = rescore_file(file, out)
    typer.echo(f"rescored {kind} file {file} -> {out}")


from ._app import import_app  # noqa: E402


@import_app.command("multivac")
def import_multivac(
    raw_files: Annotated[list[Path], typer.Argument(help="Raw Multivac round files (EVAL-*.json).")],
    out: Annotated[Path, typer.Option("--out", help="Folder receiving one run folder per round.")],
    rubric: Annotated[Path | None, typer.Option("--rubric", help="Rubric file (default: judges/multivac.yaml).")] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="YAML/JSON `model_key: {name, provider}`: published labels the raw files lack."),
    ] = None,
) -> None:
    """Import raw Multivac rounds as replayable run folders (DIR/<evaluation_id>/)."""
    from ..importers import import_multivac_round, load_labels

    label_map = load_labels(labels) if labels else None
    for raw in raw_files:
        run = import_multivac_round(raw, out, rubric, label_map)
        typer.echo(f"imported {raw} -> {run.root}")
