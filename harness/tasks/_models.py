"""Task definitions: what a round asks models to do."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._needs import Need, NeedKind, parse_need

__all__ = ["QuestionTaskFile", "BuildTaskFile", "QuestionTask", "BuildTask", "Task", "Isolation"]

Isolation = Literal["process", "inprocess"]
"""How the hidden tests reach the submission (see the README, "Integrity")."""


LocMethod = Literal["non_blank_non_comment_lines", "wc_l"]
"""How lines of code are counted (the source's two methods)."""


class QuestionTaskFile(BaseModel):
    """`task.json` of a question task."""

    model_config = ConfigDict(extra="forbid")

    task_kind: Literal["question"]
    """Always "question"."""
    question_id: str = Field(min_length=1)
    """Identifier published in the evaluation file (e.g. "CODE-011")."""
    category: str = Field(min_length=1)
    """Category published in the evaluation file (e.g. "code", "reasoning")."""


class BuildTaskFile(BaseModel):
    """`task.json` of a build task, in the source's own layout (FORMATS.md C)."""

    model_config = ConfigDict(extra="forbid")

    task_kind: Literal["code", "build"] = "code"
    """"code" as the source writes it; "build" is accepted as a synonym. Missing means "code", as in the source."""
    entrypoint: str = Field(default="sandbox.py", min_length=1)
    """File the model must produce, e.g. "atomic_write.py" (the source's default: "sandbox.py")."""
    language: str = "python"
    """Language of the implementation."""
    test_runner: Literal["pytest"] = "pytest"
    """Runner of the hidden tests; only pytest is supported."""
    test_invocation: list[str] = Field(
        default_factory=lambda: ["python3", "-m", "pytest", "_eval_tests/", "-v", "--tb=short"],
        min_length=1,
    )
    """Command run from the work tree root after `tests/` is copied in as `_eval_tests/`."""
    loc_method: LocMethod = "non_blank_non_comment_lines"
    """How lines of code are counted for the dataset file: non-blank lines that are not `#` comments, or every line (`wc_l`)."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Wall-clock limit for one run of the hidden tests (ours; the source has none)."""
    name: str | None = None
    """Task name used in the dataset file; defaults to the folder name."""
    isolation: Isolation = "inprocess"
    """Ours. `process`: the tests run in a trusted interpreter and call the submission in another
    process and uid, plain data crossing (its score cannot be forged); `inprocess`: the source's way,
    the submission imported into pytest (needed by tests that patch what it calls), guarded by audit
    hooks and a static scan that mark attempts `tampered`."""
    allowed_files: list[str] = Field(default_factory=list)
    """Ours. Files besides the entrypoint that a reply may add to the work tree (e.g. "helpers.py");
    any other file of a reply is recorded and ignored."""
    objective_only: bool = False
    """Ours. Scored by its hidden tests alone: no model reviews it, and JUDGE_PROMPT.md / JUDGE_RUBRIC.md
    are not needed."""
    requires: list[str] = Field(default_factory=list)
    """Ours. What the hidden tests need beyond plain Python: "network", "container-runtime",
    "apt:<Debian package>", "pip:<PyPI requirement>". A need the sandbox cannot grant is refused before any call."""

    @field_validator("requires")
    @classmethod
    def _known_needs(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_need(entry)
        return value


class QuestionTask(BaseModel):
    """A loaded question task."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["question"] = "question"
    task_id: str
    folder: Path
    question_id: str
    category: str
    prompt: str


class BuildTask(BaseModel):
    """A loaded build task. `tests_dir` and `reference_dir` never reach a prompt."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["build"] = "build"
    task_id: str
    folder: Path
    entrypoint: str
    language: str
    test_invocation: list[str]
    loc_method: LocMethod
    timeout_s: float
    prompt: str
    spec: str
    judge_prompt: str | None
    """None when the folder has no JUDGE_PROMPT.md (a task only its hidden tests score)."""
    judge_rubric: str | None
    """None when the folder has no JUDGE_RUBRIC.md."""
    tests_dir: Path
    reference_dir: Path | None
    isolation: Isolation = "inprocess"
    allowed_files: tuple[str, ...] = ()
    objective_only: bool = False
    requires: tuple[Need, ...] = ()
    """What the hidden tests need beyond plain Python (`task.json`'s `requires`)."""
    defaults_applied: tuple[str, ...] = ()
    """`task.json` keys the folder left out, filled with the source loader's defaults (`SOURCE_DEFAULTS`)."""

    @property
    def packages(self) -> tuple[Need, ...]:
        """The `apt` and `pip` needs: what a derived sandbox image must hold."""
        return tuple(n for n in self.requires if n.kind in ("apt", "pip"))

    def needs(self, kind: NeedKind) -> bool:
        return any(n.kind == kind for n in self.requires)

    @property
    def reviewable(self) -> bool:
        """Whether models can review it: not objective-only, and both judge files present."""
        return not self.objective_only and self.judge_prompt is not None and self.judge_rubric is not None


Task = QuestionTask | BuildTask
