"""From a config to a plan: the tasks, rubric and calls a round will make."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .._errors import ConfigError
from ..config import RoundConfig
from ..judging import PacketRubric, PointwiseRubric, load_packet_rubric, load_rubric
from ..tasks import BuildTask, QuestionTask, Task, load_task

__all__ = ["RoundPlan", "CallCounts", "resolve_task_dirs", "resolve_rubric_path", "make_plan"]


class CallCounts(BaseModel):
    """How much work a round is, before any call."""

    answer_calls: int
    judge_calls: int
    generate_calls: int
    review_calls: int
    sandbox_runs: int
    self_judgments_skipped: int

    @property
    def model_calls(self) -> int:
        return self.answer_calls + self.judge_calls + self.generate_calls + self.review_calls


class RoundPlan(BaseModel):
    """A validated round: config plus loaded tasks and rubric."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    config: RoundConfig
    tasks: list[Task]
    rubric: PointwiseRubric | None
    review_rubric: PacketRubric | None
    task_dirs: list[Path]
    rubric_path: Path | None
    review_rubric_path: Path | None

    @property
    def rubric_paths(self) -> list[Path]:
        return [p for p in (self.rubric_path, self.review_rubric_path) if p is not None]

    @property
    def question_tasks(self) -> list[QuestionTask]:
        return [t for t in self.tasks if isinstance(t, QuestionTask)]

    @property
    def build_tasks(self) -> list[BuildTask]:
        return [t for t in self.tasks if isinstance(t, BuildTask)]

    def counts(self) -> CallCounts:
        """Calls when every answer succeeds and no repair re-ask is needed."""
        models = len(self.config.models)
        judges = self.config.judge_ids()
        self_pairs = sum(1 for m in self.config.models if m.id in judges)
        pairs = models * len(judges)
        judged_pairs = pairs if self.config.self_judgment == "record" else pairs - self_pairs
        questions, builds = len(self.question_tasks), len(self.build_tasks)
        generations = builds * models * self.config.samples
        return CallCounts(
            answer_calls=questions * models,
            judge_calls=questions * judged_pairs,
            generate_calls=generations,
            review_calls=builds * len(judges),
            sandbox_runs=generations,
            self_judgments_skipped=questions * (pairs - judged_pairs),
        )


def resolve_task_dirs(config: RoundConfig, config_dir: Path) -> list[Path]:
    """Each task entry: a folder under `tasks_dir`, or a path relative to the config file."""
    tasks_root = (config_dir / config.tasks_dir).resolve()
    dirs = []
    for index, entry in enumerate(config.tasks):
        candidates = [tasks_root / entry, (config_dir / entry).resolve()]
        found = next((c for c in candidates if (c / "task.json").is_file()), None)
        if found is None:
            raise ConfigError(
                f"tasks[{index}]: no task folder {entry!r} (looked in {tasks_root} and {config_dir}); "
                "expected a folder holding task.json"
            )
        dirs.append(found)
    return dirs


def resolve_rubric_path(config: RoundConfig, config_dir: Path, field: str = "rubric") -> Path:
    """A rubric named in the config: `<name>.yaml` under `judges_dir`, or a path."""
    name = str(getattr(config, field))
    judges_root = (config_dir / config.judges_dir).resolve()
    for candidate in (judges_root / f"{name}.yaml", judges_root / name, (config_dir / name).resolve()):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{field}: no rubric file {name!r} (looked for {judges_root / (name + '.yaml')})")


def _check_sandbox_backend(config: RoundConfig) -> None:
    from ..sandbox import SANDBOX_BACKENDS

    if config.sandbox_backend not in SANDBOX_BACKENDS:
        known = ", ".join(sorted(SANDBOX_BACKENDS))
        raise ConfigError(f"sandbox_backend: expected one of {known} (got {config.sandbox_backend!r})")


def make_plan(config: RoundConfig, config_dir: Path) -> RoundPlan:
    """Load and check everything a round needs; fails before any call is made."""
    task_dirs = resolve_task_dirs(config, config_dir)
    tasks: list[Task] = []
    for task_dir in task_dirs:
        tasks.append(load_task(task_dir))
    has_questions = any(isinstance(t, QuestionTask) for t in tasks)
    has_builds = any(isinstance(t, BuildTask) for t in tasks)
    if has_builds:
        _check_sandbox_backend(config)
    rubric_path = resolve_rubric_path(config, config_dir) if has_questions else None
    review_path = resolve_rubric_path(config, config_dir, "review_rubric") if has_builds else None
    return RoundPlan(
        config=config,
        tasks=tasks,
        rubric=load_rubric(rubric_path) if rubric_path else None,
        review_rubric=load_packet_rubric(review_path) if review_path else None,
        task_dirs=task_dirs,
        rubric_path=rubric_path,
        review_rubric_path=review_path,
    )
