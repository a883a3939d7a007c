"""From a config to a plan: the tasks, rubric and calls a round will make."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from .._errors import ConfigError, TaskError
from ..config import RoundConfig, load_round_config
from ..judging import PacketRubric, PointwiseRubric, load_packet_rubric, load_rubric
from ..llm import Stage
from ..tasks import BuildTask, QuestionTask, Task, load_task
from ._panel import question_panels, review_panels

__all__ = [
    "CallCounts",
    "JudgmentSlot",
    "PlannedCall",
    "RoundPlan",
    "full_matrix_counts",
    "load_plan",
    "make_plan",
    "plan_calls",
    "resolve_rubric_path",
    "resolve_task_dirs",
]


class PlannedCall(BaseModel):
    """One model call the round makes (before any repair re-ask)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage
    task_id: str
    model_id: str
    """The model that is called."""
    respondent_id: str | None = None
    """Judge calls: whose answer is judged."""
    sample: int = 0
    """Generate calls: the 1-based sample."""


class JudgmentSlot(NamedTuple):
    """A (judge, respondent) pair of a question task; `asked` is False for a self-judgment that is skipped."""

    judge_id: str
    respondent_id: str
    asked: bool


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
    calls: list[PlannedCall]
    """Every call the round makes, when every answer succeeds and no repair re-ask is needed (`plan_calls`)."""
    skipped_self_judgments: list[JudgmentSlot]
    """Self-judgments not asked (`self_judgment: skip`; none with a panel, which never assigns an author)."""

    @property
    def rubric_paths(self) -> list[Path]:
        return [p for p in (self.rubric_path, self.review_rubric_path) if p is not None]

    @property
    def question_tasks(self) -> list[QuestionTask]:
        return [t for t in self.tasks if isinstance(t, QuestionTask)]

    @property
    def build_tasks(self) -> list[BuildTask]:
        return [t for t in self.tasks if isinstance(t, BuildTask)]

    def calls_of(self, stage: Stage, task_id: str, model_id: str | None = None) -> list[PlannedCall]:
        """The planned calls of one stage and task (and model), in plan order."""
        return [c for c in self.calls if c.stage == stage and c.task_id == task_id and model_id in (None, c.model_id)]

    def judgment_slots(self, task_id: str) -> list[JudgmentSlot]:
        """The (judge, respondent) pairs of a question task, asked or skipped self-judgments, judge-major in pool order:
        the details file's order. With a panel, only the assigned pairs (none skipped)."""
        asked = {(c.model_id, c.respondent_id) for c in self.calls_of("judge", task_id)}
        skipped = {(s.judge_id, s.respondent_id) for s in self.skipped_self_judgments}
        return [
            JudgmentSlot(judge_id, model.id, (judge_id, model.id) in asked)
            for judge_id in self.config.judge_ids()
            for model in self.config.models
            if (judge_id, model.id) in asked or (judge_id, model.id) in skipped
        ]

    def counts(self) -> CallCounts:
        """Calls when every answer succeeds and no repair re-ask is needed."""
        return _counts(self.calls, self.skipped_self_judgments)

    def full_matrix_counts(self) -> CallCounts:
        """The calls without `judging.panel`: the full matrix a panel is measured against (`full_matrix_counts`)."""
        return full_matrix_counts(self.config, self.tasks)


def plan_calls(config: RoundConfig, tasks: list[Task]) -> tuple[list[PlannedCall], list[JudgmentSlot]]:
    """Who is asked what: the one place that decides who judges whom and which self-judgments are skipped.

    Without a panel every judge judges every answer (its own skipped or recorded, `self_judgment`); with
    `judging.panel` k judges per answer drawn by `question_panels` (never the author, so nothing is skipped and
    `self_judgment: record` asks nothing more), and k reviewers per build task by `review_panels`.
    """
    calls: list[PlannedCall] = []
    skipped: list[JudgmentSlot] = []
    judges = config.judge_ids()
    respondents = [m.id for m in config.models]
    panel = config.judging.panel
    questions = [t for t in tasks if isinstance(t, QuestionTask)]
    reviewed = [t for t in tasks if isinstance(t, BuildTask) and is_reviewed(config, t)]
    judge_panels = iter(question_panels(respondents, judges, panel, config.seed, [t.task_id for t in questions]) if panel and questions else [])
    reviewer_panels = iter(review_panels(judges, panel, config.seed, [t.task_id for t in reviewed]) if panel and reviewed else [])
    for task in tasks:
        if isinstance(task, QuestionTask):
            calls += [PlannedCall(stage="answer", task_id=task.task_id, model_id=m.id) for m in config.models]
            assigned = next(judge_panels) if panel else None
            for judge_id in judges:
                for model in config.models:
                    if assigned is not None:
                        if judge_id not in assigned[model.id]:
                            continue
                    elif judge_id == model.id and config.self_judgment == "skip":
                        skipped.append(JudgmentSlot(judge_id, model.id, False))
                        continue
                    calls.append(PlannedCall(stage="judge", task_id=task.task_id, model_id=judge_id, respondent_id=model.id))
        else:
            calls += [
                PlannedCall(stage="generate", task_id=task.task_id, model_id=m.id, sample=k)
                for m in config.models
                for k in range(1, config.samples + 1)
            ]
            if is_reviewed(config, task):
                reviewers = next(reviewer_panels) if panel else judges
                calls += [PlannedCall(stage="review", task_id=task.task_id, model_id=judge_id) for judge_id in reviewers]
    return calls, skipped


def full_matrix_counts(config: RoundConfig, tasks: list[Task]) -> CallCounts:
    """The calls of the same round without a panel (every judge judges every answer): what a panel saves."""
    full = config.model_copy(update={"judging": config.judging.model_copy(update={"panel": None})})
    calls, skipped = plan_calls(full, tasks)
    return _counts(calls, skipped)


def _counts(calls: list[PlannedCall], skipped: list[JudgmentSlot]) -> CallCounts:
    by_stage = Counter(c.stage for c in calls)
    return CallCounts(
        answer_calls=by_stage["answer"],
        judge_calls=by_stage["judge"],
        generate_calls=by_stage["generate"],
        review_calls=by_stage["review"],
        sandbox_runs=by_stage["generate"],
        self_judgments_skipped=len(skipped),
    )


def is_reviewed(config: RoundConfig, task: BuildTask) -> bool:
    """Whether the round's models review a build task: peer judging, and the task is not objective-only."""
    return config.judging.mode == "peer" and not task.objective_only


def _check_judging(config: RoundConfig, tasks: list[Task]) -> None:
    for task in tasks:
        if isinstance(task, QuestionTask) and config.judging.mode == "none":
            raise ConfigError(f"judging: a question task ({task.task_id}) is scored by its judges only; expected `peer` (got `none`)")
        if isinstance(task, BuildTask) and is_reviewed(config, task):
            for name, text in (("JUDGE_PROMPT.md", task.judge_prompt), ("JUDGE_RUBRIC.md", task.judge_rubric)):
                if text is None:
                    raise TaskError(
                        f"{task.folder / name}: missing, and the round reviews build task {task.task_id!r}; add it, "
                        "or score the task by its hidden tests alone (`objective_only: true` in its task.json, "
                        "or `judging: none` in the round config)"
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


def _check_sandbox(config: RoundConfig, tasks: list[Task]) -> None:
    """The backend exists, and it grants what every build task needs (before any call)."""
    from ..sandbox import SANDBOX_BACKENDS, check_needs

    if config.sandbox.backend not in SANDBOX_BACKENDS:
        known = ", ".join(sorted(SANDBOX_BACKENDS))
        raise ConfigError(f"sandbox.backend: expected one of {known} (got {config.sandbox.backend!r})")
    if config.sandbox.address is not None and config.sandbox.backend != "ray":
        raise ConfigError(f"sandbox.address: only `backend: ray` takes an address (backend is {config.sandbox.backend!r})")
    for task in tasks:
        if isinstance(task, BuildTask):
            check_needs(task, config.sandbox.allow_network)


def make_plan(config: RoundConfig, config_dir: Path) -> RoundPlan:
    """Load and check everything a round needs; fails before any call is made."""
    task_dirs = resolve_task_dirs(config, config_dir)
    tasks: list[Task] = []
    for task_dir in task_dirs:
        tasks.append(load_task(task_dir))
    _check_judging(config, tasks)
    has_questions = any(isinstance(t, QuestionTask) for t in tasks)
    has_builds = any(isinstance(t, BuildTask) for t in tasks)
    has_reviews = any(isinstance(t, BuildTask) and is_reviewed(config, t) for t in tasks)
    if has_builds:
        _check_sandbox(config, tasks)
    rubric_path = resolve_rubric_path(config, config_dir) if has_questions else None
    review_path = resolve_rubric_path(config, config_dir, "review_rubric") if has_reviews else None
    calls, skipped = plan_calls(config, tasks)
    return RoundPlan(
        config=config,
        calls=calls,
        skipped_self_judgments=skipped,
        tasks=tasks,
        rubric=load_rubric(rubric_path) if rubric_path else None,
        review_rubric=load_packet_rubric(review_path) if review_path else None,
        task_dirs=task_dirs,
        rubric_path=rubric_path,
        review_rubric_path=review_path,
    )


def load_plan(config_path: Path) -> RoundPlan:
    """The plan of a config file (paths in it are relative to the file)."""
    config_path = Path(config_path)
    return make_plan(load_round_config(config_path), config_path.resolve().parent)
