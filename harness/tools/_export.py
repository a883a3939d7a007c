"""A run's results as one flat table: a row per (evaluation, model) or per (build round, implementation)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from .._errors import HarnessError
from ..formats import ResultsFolder, RunFolder

__all__ = [
    "BUILD_COLUMNS",
    "QUESTION_COLUMNS",
    "ExportFormat",
    "RoundKind",
    "RunTable",
    "find_results_dir",
    "read_run_table",
    "results_kinds",
    "table_text",
]

ExportFormat = Literal["csv", "jsonl"]
RoundKind = Literal["question", "build"]

QUESTION_COLUMNS: Final[tuple[str, ...]] = (
    "evaluation_id",
    "question_id",
    "category",
    "model_id",
    "model_name",
    "provider",
    "rank",
    "average_score",
    "score_count",
    "min_score",
    "max_score",
    "is_winner",
    "answer_error",
    "answer_latency_s",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "total_tokens",
    "cost_usd",
)
"""Columns of a question round's table, in order (see the `export` command's help)."""

BUILD_COLUMNS: Final[tuple[str, ...]] = (
    "round",
    "impl",
    "model_slug",
    "spec_peer",
    "quality_peer",
    "composite",
    "passed_hard_fail",
    "tests",
    "verdict",
    "samples",
    "total_cost_usd",
    "total_tokens",
    "median_wall_seconds",
    "median_loc",
)
"""Columns of a build round's table: the dataset file's `flat` rows, key for key."""

Row = dict[str, Any]


@dataclass(frozen=True)
class RunTable:
    """Rows of one kind, each with exactly `columns` as keys, in that order."""

    kind: RoundKind
    columns: tuple[str, ...]
    rows: list[Row]


def find_results_dir(run_dir: Path) -> Path:
    """`RUN_DIR/results`, or RUN_DIR itself when it is a results folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise HarnessError(f"{run_dir}: not a folder (expected a run folder with results/)")
    for candidate in (RunFolder(run_dir).results_dir, run_dir):
        if ResultsFolder(candidate).has_published_files():
            return candidate
    raise HarnessError(f"{run_dir}: no results (neither results/EVAL-*.json nor results/dataset.json)")


def results_kinds(results_dir: Path) -> list[RoundKind]:
    """The kinds of rounds whose published files are in `results_dir`, question first."""
    kinds: list[RoundKind] = []
    results = ResultsFolder(results_dir)
    if results.evaluation_paths():
        kinds.append("question")
    if results.dataset_path.is_file():
        kinds.append("build")
    return kinds


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise HarnessError(f"{path}: not a readable JSON file ({exc})") from exc


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise HarnessError(f"{where}: expected a JSON object (check it with `harness validate`)")
    return value


def _details_by_evaluation(results_dir: Path) -> dict[str, Mapping[str, Any]]:
    """Evaluation id -> the question's details file (answers with usage), via the run's run.json."""
    info_path = RunFolder(results_dir.parent).info_path
    if not info_path.is_file():
        return {}
    evaluations = _mapping(_read_json(info_path), str(info_path)).get("evaluations") or {}
    found: dict[str, Mapping[str, Any]] = {}
    for task_id, slot in _mapping(evaluations, f"{info_path}: evaluations").items():
        details_path = ResultsFolder(results_dir).details_path(str(task_id))
        if isinstance(slot, Mapping) and details_path.is_file():
            found[str(slot.get("evaluation_id"))] = _mapping(_read_json(details_path), str(details_path))
    return found


def _pool_names(results_dir: Path) -> dict[str, tuple[str, str]]:
    """Model id -> (name, provider) from the run's round.yaml, for models no published file names."""
    folder = RunFolder(results_dir.parent)
    if not folder.exists():
        return {}
    try:
        config = folder.load_config()
    except HarnessError:
        return {}
    return {model.id: (model.name, model.provider) for model in config.models}


def _answers_by_model(details: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    answers = details.get("answers") if details else None
    if not isinstance(answers, list):
        return {}
    return {str(a["model_id"]): a for a in answers if isinstance(a, Mapping) and "model_id" in a}


def _answer_cells(answer: Mapping[str, Any] | None) -> Row:
    usage = answer.get("usage") if answer else None
    usage = usage if isinstance(usage, Mapping) else {}
    return {
        "answer_error": answer.get("error") if answer else None,
        "answer_latency_s": answer.get("latency_s") if answer else None,
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "cached_tokens": usage.get("cached_tokens"),
        "total_tokens": usage.get("total_tokens"),
        "cost_usd": answer.get("cost_usd") if answer else None,
    }


def _winner_id(evaluation: Mapping[str, Any], rankings: Mapping[str, Any]) -> str | None:
    """The file names its winner by display name and provider: the first ranked model that matches."""
    winner = evaluation.get("winner")
    if not isinstance(winner, Mapping):
        return None
    for model_id, entry in rankings.items():
        if isinstance(entry, Mapping) and entry.get("display_name") == winner.get("name") and entry.get("provider") == winner.get("provider"):
            return str(model_id)
    return None


def _evaluation_rows(
    evaluation: Mapping[str, Any],
    details: Mapping[str, Any] | None,
    pool_names: Mapping[str, tuple[str, str]],
) -> Iterator[Row]:
    """Ranked models in rank order, then models that answered but were not ranked, in pool order."""
    rankings = _mapping(evaluation.get("rankings"), f"{evaluation.get('evaluation_id')}: rankings")
    answers = _answers_by_model(details)
    winner_id = _winner_id(evaluation, rankings)
    about = {key: evaluation.get(key) for key in ("evaluation_id", "question_id", "category")}
    for model_id, ranking in rankings.items():
        entry = _mapping(ranking, f"{evaluation.get('evaluation_id')}: rankings.{model_id}")
        yield {
            **about,
            "model_id": model_id,
            "model_name": entry.get("display_name"),
            "provider": entry.get("provider"),
            **{key: entry.get(key) for key in ("rank", "average_score", "score_count", "min_score", "max_score")},
            "is_winner": model_id == winner_id,
            **_answer_cells(answers.get(model_id)),
        }
    for model_id, answer in answers.items():
        if model_id in rankings:
            continue
        name, provider = pool_names.get(model_id, (None, None))
        yield {
            **about,
            "model_id": model_id,
            "model_name": name,
            "provider": provider,
            **dict.fromkeys(("rank", "average_score", "score_count", "min_score", "max_score")),
            "is_winner": False,
            **_answer_cells(answer),
        }


def _question_table(results_dir: Path) -> RunTable:
    details = _details_by_evaluation(results_dir)
    pool_names = _pool_names(results_dir)
    rows: list[Row] = []
    for path in ResultsFolder(results_dir).evaluation_paths():
        evaluation = _mapping(_read_json(path), str(path))
        evaluation_id = str(evaluation.get("evaluation_id"))
        for row in _evaluation_rows(evaluation, details.get(evaluation_id), pool_names):
            rows.append({column: row.get(column) for column in QUESTION_COLUMNS})
    return RunTable("question", QUESTION_COLUMNS, rows)


def _build_table(results_dir: Path) -> RunTable:
    path = ResultsFolder(results_dir).dataset_path
    flat = _mapping(_read_json(path), str(path)).get("flat")
    if not isinstance(flat, list):
        raise HarnessError(f"{path}: no `flat` list (check it with `harness validate`)")
    rows: list[Row] = []
    for index, row in enumerate(flat):
        cells = _mapping(row, f"{path}: flat[{index}]")
        rows.append({column: cells.get(column) for column in BUILD_COLUMNS})
    return RunTable("build", BUILD_COLUMNS, rows)


def read_run_table(results_dir: Path, kind: RoundKind) -> RunTable:
    """The flat table of the question or build rounds in `results_dir` (see `find_results_dir`)."""
    if kind not in results_kinds(results_dir):
        raise HarnessError(f"{results_dir}: this run has no {kind} round results")
    return _question_table(results_dir) if kind == "question" else _build_table(results_dir)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def table_text(table: RunTable, output_format: ExportFormat) -> str:
    """CSV (header row, empty cell for null, true/false) or JSON Lines (one object per row, columns in order)."""
    if output_format == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_cell(row[column]) for column in table.columns])
    return buffer.getvalue()
