"""The run folder: config snapshot, task and rubric copies, run info, cassette, results.

    round.yaml       the round config as the run reads it (`config`)
    run.json         `RunInfo`: start time, evaluation ids, build date
    cassette.jsonl   every model call, one JSON record a line (`recording`)
    tasks/<task>/    copies of the task folders
    judges/          copies of the rubric files
    results/         the outputs (`ResultsFolder`, `_layout.py`)
    replay/          default output of `harness replay` (its results in replay/results/)

A run folder is self-contained: replaying or resuming it needs nothing else.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .. import __version__
from .._errors import ConfigError, HarnessError
from ..config import RoundConfig, dump_round_config, load_round_config
from ._json import write_atomic
from ._layout import ResultsFolder

__all__ = ["RunFolder", "RunInfo", "EvaluationSlot", "evaluation_slot", "utc_timestamp"]

CONFIG_NAME = "round.yaml"
INFO_NAME = "run.json"
CASSETTE_NAME = "cassette.jsonl"
RESULTS_NAME = "results"
REPLAY_NAME = "replay"


class EvaluationSlot(BaseModel):
    """Identity of one question's evaluation file, fixed when the run starts."""

    model_config = ConfigDict(extra="forbid")

    evaluation_id: str
    timestamp: str


class RunInfo(BaseModel):
    """`run.json`: facts about the run that outputs depend on."""

    model_config = ConfigDict(extra="forbid")

    harness_version: str
    origin: Literal["run", "import-multivac"] = "run"
    started_at: str
    """Round start, ISO 8601 UTC with milliseconds."""
    evaluations: dict[str, EvaluationSlot] = {}
    """Question task id -> its evaluation id and timestamp."""
    build_date: str | None = None
    """Build rounds: the round's date (YYYY-MM-DD)."""


def utc_timestamp(moment: datetime) -> str:
    """`2026-04-02T13:01:02.430Z`: milliseconds, truncated."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def evaluation_slot(start: datetime, index: int) -> EvaluationSlot:
    """Question `index` of a round gets the round start plus `index` seconds, so ids stay unique."""
    moment = start.astimezone(timezone.utc) + timedelta(seconds=index)
    return EvaluationSlot(evaluation_id=moment.strftime("EVAL-%Y%m%d-%H%M%S"), timestamp=utc_timestamp(moment))


class RunFolder:
    """Paths and files of one run."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def info_path(self) -> Path:
        return self.root / INFO_NAME

    @property
    def cassette_path(self) -> Path:
        return self.root / CASSETTE_NAME

    @property
    def results_dir(self) -> Path:
        return self.root / RESULTS_NAME

    @property
    def results(self) -> ResultsFolder:
        return ResultsFolder(self.results_dir)

    @property
    def replay_dir(self) -> Path:
        """Where `harness replay` writes when no `--out` is given."""
        return self.root / REPLAY_NAME

    @property
    def tasks_dir(self) -> Path:
        return self.root / "tasks"

    @property
    def judges_dir(self) -> Path:
        return self.root / "judges"

    def exists(self) -> bool:
        return self.config_path.is_file() and self.info_path.is_file()

    def load_config(self) -> RoundConfig:
        if not self.exists():
            raise HarnessError(f"{self.root}: not a run folder (needs {CONFIG_NAME} and {INFO_NAME})")
        return load_round_config(self.config_path)

    def load_info(self) -> RunInfo:
        try:
            return RunInfo.model_validate_json(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise HarnessError(f"{self.info_path}: unreadable run info: {exc}") from exc

    def write_info(self, info: RunInfo) -> None:
        write_atomic(self.info_path, info.model_dump_json(indent=2) + "\n")

    def snapshot(self, config: RoundConfig, task_dirs: list[Path], rubric_paths: list[Path], info: RunInfo) -> RoundConfig:
        """Copy the round's tasks and rubric in and write the config as the run will read it."""
        self.root.mkdir(parents=True, exist_ok=True)
        names: list[str] = []
        for task_dir in task_dirs:
            if task_dir.name in names:
                raise ConfigError(f"two tasks share the folder name {task_dir.name!r}; task folder names must be unique")
            names.append(task_dir.name)
            target = self.tasks_dir / task_dir.name
            if target.resolve() != task_dir.resolve():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(task_dir, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        stems: dict[str, str] = {}
        for rubric_path in rubric_paths:
            self.judges_dir.mkdir(parents=True, exist_ok=True)
            target = self.judges_dir / rubric_path.name
            if target.resolve() != rubric_path.resolve():
                shutil.copyfile(rubric_path, target)
            stems[str(rubric_path)] = rubric_path.stem
        update: dict[str, object] = {"tasks": names, "tasks_dir": "tasks", "judges_dir": "judges", "output": None}
        for field in ("rubric", "review_rubric"):
            named = [stem for path, stem in stems.items() if Path(path).stem == Path(str(getattr(config, field))).stem]
            if named:
                update[field] = named[0]
        snapshot = config.model_copy(update=update)
        write_atomic(self.config_path, dump_round_config(snapshot))
        self.write_info(info)
        return snapshot

    @staticmethod
    def new_info(start: datetime, question_task_ids: list[str], origin: Literal["run", "import-multivac"] = "run") -> RunInfo:
        return RunInfo(
            harness_version=__version__,
            origin=origin,
            started_at=utc_timestamp(start),
            evaluations={task_id: evaluation_slot(start, i) for i, task_id in enumerate(question_task_ids)},
            build_date=start.astimezone(timezone.utc).strftime("%Y-%m-%d"),
        )
