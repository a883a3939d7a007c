"""`harness schema`, `validate`, `export` and `task new`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from ._app import app, task_app

if TYPE_CHECKING:
    from ..tools import RoundKind

__all__ = ["app", "task_app"]


class SchemaKind(str, Enum):
    evaluation = "evaluation"
    dataset = "dataset"


class ExportFormatChoice(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


class ExportKindChoice(str, Enum):
    auto = "auto"
    question = "question"
    build = "build"


class NewTaskKind(str, Enum):
    build = "build"
    question = "question"


_SCHEMA_HELP = (
    "Print the JSON Schema of a published format.\n\n"
    "`evaluation`: a question round's EVAL-*.json; `dataset`: build rounds' dataset.json. "
    "Draft 2020-12, generated from the harness's models of the formats, plus the FORMATS.md rules "
    "on identifiers, timestamps and score ranges."
)


@app.command("schema", help=_SCHEMA_HELP)
def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="Which published format.", show_default=False)],
) -> None:
    import json

    from ..tools import format_json_schema

    typer.echo(json.dumps(format_json_schema(kind.value), indent=2, ensure_ascii=False))


_VALIDATE_HELP = (
    "Check published files against the JSON Schema of their format.\n\n"
    "The format is told from the top-level keys: `evaluation_id` means an evaluation file, "
    "`rounds` and `flat` a dataset file. Each problem is printed on its own line as "
    "`$.json.path: what is wrong`.\n\n"
    "Exit code 0 when every file is valid, 1 otherwise."
)


@app.command("validate", help=_VALIDATE_HELP)
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Evaluation or dataset files.", exists=True, dir_okay=False, readable=True, show_default=False),
    ],
) -> None:
    from ..tools import validate_published_file

    all_valid = True
    for path in files:
        result = validate_published_file(path)
        prefix = f"{path}: " if len(files) > 1 else ""
        if result.valid:
            typer.echo(f"{prefix}valid {result.kind} file")
            continue
        all_valid = False
        what = f"invalid {result.kind} file" if result.kind else "not an evaluation or dataset file"
        count = len(result.errors)
        typer.echo(f"{path}: {what}, {count} error{'s' if count != 1 else ''}:")
        for line in result.errors:
            typer.echo(line)
    if not all_valid:
        raise typer.Exit(1)


_EXPORT_HELP = """Write a run's results as one flat table, for pandas and spreadsheets.

Question rounds (--kind question): one row per (evaluation, model). Ranked
models come in rank order, then models whose answer was not ranked (failed
answers), with empty ranking cells. Columns:
  evaluation_id, question_id, category   the evaluation file
  model_id, model_name, provider         the model
  rank, average_score, score_count,
  min_score, max_score                   its entry in `rankings`
  is_winner                              true for the evaluation's winner
  answer_error, answer_latency_s         its answer (results/details)
  prompt_tokens, completion_tokens,
  cached_tokens, total_tokens, cost_usd  usage and cost of its answer

Build rounds (--kind build): the `flat` rows of results/dataset.json, one per
(round, implementation). Columns: round, impl, model_slug, spec_peer,
quality_peer, composite, passed_hard_fail, tests, verdict, samples,
total_cost_usd, total_tokens, median_wall_seconds, median_loc.

CSV: a header row; empty cell for null; booleans as true/false.
JSON Lines: one object per row with the same keys in the same order.
--kind auto exports question rounds when the run has any, else build rounds.
"""


@app.command("export", help=_EXPORT_HELP)
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (or its results/ folder).", show_default=False)],
    output_format: Annotated[ExportFormatChoice, typer.Option("--format", help="Table format.")] = ExportFormatChoice.csv,
    kind: Annotated[ExportKindChoice, typer.Option("--kind", help="Which rounds of the run to export.")] = ExportKindChoice.auto,
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of to stdout.")] = None,
) -> None:
    from ..formats import write_atomic
    from ..tools import find_results_dir, read_run_table, results_kinds, table_text

    results_dir = find_results_dir(run_dir)
    available = results_kinds(results_dir)
    chosen = available[0] if kind is ExportKindChoice.auto else cast("RoundKind", kind.value)
    if kind is ExportKindChoice.auto and len(available) > 1:
        others = ", ".join(k for k in available if k != chosen)
        typer.echo(f"note: exporting the {chosen} rounds; this run also has {others} rounds (--kind {others})", err=True)
    table = read_run_table(results_dir, chosen)
    text = table_text(table, output_format.value)
    if out is None:
        typer.echo(text, nl=False)
        return
    write_atomic(out, text)
    typer.echo(f"wrote {len(table.rows)} {table.kind} rows to {out}", err=True)


_NEW_TASK_HELP = (
    "Scaffold a task folder; never overwrites an existing one.\n\n"
    "A build task gets task.json, PROMPT.md, SPEC.md (checklist skeleton), JUDGE_PROMPT.md, "
    "JUDGE_RUBRIC.md, tests/ (conftest.py and a sample test) and a reference/ solution that passes it, "
    "so `harness task check` accepts it as generated. Its entrypoint is the name without a `build-` "
    "prefix, with underscores: build-word-count -> word_count.py.\n\n"
    "A question task gets task.json (question_id: the name without a `q-` prefix, upper-cased; "
    "category \"general\") and PROMPT.md.\n\n"
    "Then fill in the TODOs."
)


@task_app.command("new", help=_NEW_TASK_HELP)
def new(
    name: Annotated[
        str,
        typer.Argument(
            help="Folder name: lowercase letters, digits and '-' (e.g. build-word-count, q-cap-theorem).",
            show_default=False,
        ),
    ],
    kind: Annotated[NewTaskKind, typer.Option("--kind", help="build: hidden tests and a reference; question: one prompt.")],
    parent_dir: Annotated[Path, typer.Option("--dir", help="Folder to create the task in.")] = Path("tasks"),
) -> None:
    from ..tools import scaffold_task

    folder, files = scaffold_task(name, kind.value, parent_dir)
    typer.echo(f"created {kind.value} task {folder}")
    for relative in files:
        typer.echo(f"  {relative}")
    if kind is NewTaskKind.build:
        typer.echo(f"next: fill in the TODOs, then `harness task check {folder}`")
