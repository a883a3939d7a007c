"""`harness analyze`: many rounds in, rankings with uncertainty and judge bias out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app

__all__ = ["app"]


@app.command()
def analyze(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Evaluation files, raw Multivac rounds, dataset files, run folders, or folders of them (recursively)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder receiving the CSV tables, analysis.json and analysis.html.")],
    families: Annotated[
        Path | None,
        typer.Option("--families", help="YAML/JSON `family: [model keys]` (default: the Multivac paper's mapping, plus LiteLLM prefixes)."),
    ] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples of rounds for every CI (0: none).")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap: the same seed gives the same CIs.")] = 0,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Leave out unreadable or foreign files (listed) instead of stopping.")] = False,
) -> None:
    """Analyse many rounds: leaderboard, Bradley-Terry with CIs, judge leniency, family and self bias,
    agreement, fragility of the #1, and judges against hidden tests."""
    from rich.console import Console
    from rich.table import Table

    from ..analysis import analyze as run_analysis
    from ..analysis import load_families, load_inputs, write_analysis

    found = load_inputs(inputs, skip_bad=skip_bad)
    if not found.questions and not found.builds:
        raise typer.BadParameter("no question or build rounds found in the inputs", param_hint="INPUTS")
    result = run_analysis(found, families=load_families(families) if families else None, n_boot=bootstrap, seed=seed)
    written = write_analysis(result, out)
    console = Console()
    for reason in found.skipped:
        console.print(f"[yellow]skipped[/yellow] {reason}")
    if "leaderboard" in result:
        table = Table("model", "avg score", "evaluations", "avg rank", "wins", title=f"Leaderboard of {len(found.questions)} rounds")
        for row in result["leaderboard"][:20]:
            table.add_row(str(row["display_name"]), str(row["avg_score"]), str(row["evaluations"]), str(row["avg_rank"]), str(row["wins_rank1"]))
        console.print(table)
    typer.echo(f"wrote {len(written)} files to {out}")
