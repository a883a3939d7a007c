"""Read what a report needs from a run folder: config, run info, results, details and the cassette."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .._errors import FormatError, HarnessError, ReportError
from .._validation import describe_validation_error
from ..config import RoundConfig
from ..formats import (
    BuildOutcome,
    DatasetFile,
    DatasetRound,
    EvaluationFile,
    FlatRow,
    QuestionOutcome,
    ResultsFolder,
    RunFolder,
    RunInfo,
    detect_file_kind,
    load_dataset_file,
)
from ..llm import CallRecord
from ..recording import Cassette

__all__ = ["BuildResult", "QuestionResult", "ReportError", "RunMaterial", "load_run_material"]

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class QuestionResult:
    task_id: str
    evaluation: EvaluationFile
    outcome: QuestionOutcome


@dataclass(frozen=True)
class BuildResult:
    task_id: str
    dataset_round: DatasetRound
    flat: list[FlatRow]
    outcome: BuildOutcome


@dataclass(frozen=True)
class RunMaterial:
    """Everything read from disk; the views are computed from this alone."""

    run_dir: Path
    results_dir: Path
    tasks_dir: Path
    config: RoundConfig
    info: RunInfo
    questions: list[QuestionResult]
    builds: list[BuildResult]
    records: list[CallRecord] | None
    """The cassette's call records (the latest of each call slot); None when the run folder has no cassette."""
    missing_tasks: list[str]
    """Tasks of the config with no details file in the results."""
    superseded: list[CallRecord] = field(default_factory=list)
    """Records a later record of the same call slot replaced (`--retry-failed`), oldest first."""


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not a readable JSON file ({exc})") from exc


def _validate(model: type[ModelT], data: object, path: Path) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ReportError(describe_validation_error(path, exc)) from exc


def _task_order(config: RoundConfig, found: list[str]) -> list[str]:
    configured = [Path(name).name for name in config.tasks]
    return [t for t in configured if t in found] + sorted(t for t in found if t not in configured)


def _load_dataset(results: ResultsFolder) -> DatasetFile:
    path = results.dataset_path
    if not path.is_file():
        raise ReportError(f"{path}: missing, but the results hold build-task details; re-run `harness replay` to regenerate it")
    try:
        return load_dataset_file(path)
    except FormatError as exc:
        raise ReportError(str(exc)) from exc


def _question_result(task_id: str, data: object, details: Path, info: RunInfo, results: ResultsFolder) -> QuestionResult:
    outcome = _validate(QuestionOutcome, data, details)
    slot = info.evaluations.get(task_id)
    if slot is None:
        raise ReportError(f"{details}: question task {task_id!r} has no evaluation id in run.json")
    path = results.evaluation_path(slot.evaluation_id)
    if not path.is_file():
        raise ReportError(f"{path}: evaluation file of question task {task_id!r} is missing")
    return QuestionResult(task_id=task_id, evaluation=_validate(EvaluationFile, _read_json(path), path), outcome=outcome)


def _build_result(task_id: str, data: object, details: Path, dataset: DatasetFile) -> BuildResult:
    outcome = _validate(BuildOutcome, data, details)
    matching = [r for r in dataset.rounds if r.task == task_id]
    if not matching:
        raise ReportError(f"{details}: the dataset file has no round for build task {task_id!r}")
    dataset_round = matching[-1]
    flat = [row for row in dataset.flat if row.round == dataset_round.date and row.impl in {s.impl for s in dataset_round.scoreboard}]
    return BuildResult(task_id=task_id, dataset_round=dataset_round, flat=flat, outcome=outcome)


def _load_records(run: RunFolder) -> tuple[list[CallRecord] | None, list[CallRecord]]:
    if not run.cassette_path.is_file():
        return None, []
    cassette = Cassette(run.cassette_path, repair=True)
    return cassette.records(), cassette.superseded()


def load_run_material(run_dir: Path, results_dir: Path | None = None) -> RunMaterial:
    """Read a run folder (and its results, or the replay output in `results_dir`)."""
    run = RunFolder(Path(run_dir))
    if not run.root.is_dir():
        raise ReportError(f"{run.root}: no such folder")
    if not run.exists():
        raise ReportError(f"{run.root}: not a run folder (needs round.yaml and run.json, as written by `harness run` or `harness import`)")
    try:
        config = run.load_config()
    except HarnessError as exc:
        raise ReportError(str(exc)) from exc
    info = run.load_info()
    results = ResultsFolder(Path(results_dir)) if results_dir is not None else run.results
    detail_files = results.detail_paths()
    if not detail_files:
        hint = "pass --results with a replay output folder, or finish the run with `harness resume`"
        raise ReportError(f"{results.root}: no results yet (no details/*.json); {hint}")
    by_task = {path.stem: path for path in detail_files}
    questions: list[QuestionResult] = []
    builds: list[BuildResult] = []
    dataset: DatasetFile | None = None
    for task_id in _task_order(config, list(by_task)):
        path = by_task[task_id]
        data = _read_json(path)
        kind = detect_file_kind(data)
        if kind == "question-details":
            questions.append(_question_result(task_id, data, path, info, results))
        elif kind == "build-details":
            dataset = dataset or _load_dataset(results)
            builds.append(_build_result(task_id, data, path, dataset))
        else:
            raise ReportError(f"{path}: neither question nor build details (no `answers` or `samples`)")
    missing = [Path(name).name for name in config.tasks if Path(name).name not in by_task]
    records, superseded = _load_records(run)
    return RunMaterial(
        run_dir=run.root,
        results_dir=results.root,
        tasks_dir=run.tasks_dir,
        config=config,
        info=info,
        questions=questions,
        builds=builds,
        records=records,
        superseded=superseded,
        missing_tasks=missing,
    )
