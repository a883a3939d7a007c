"""Task definitions: what a round asks models to do."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["QuestionTaskFile", "BuildTaskFile", "QuestionTask", "BuildTask", "Task", "Isolation"]

Isolation = Literal["process", "inprocess"]
"""How the hidden tests reach the submission (see the README, "Integrity")."""


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

    task_kind: Literal["code", "build"]
    """"code" as the source writes it; "build" is accepted as a synonym."""
    entrypoint: str = Field(min_length=1)
    """File the model must produce, e.g. "atomic_write.py"."""
    language: str = "python"
    """Language of the implementation."""
    test_runner: Literal["pytest"] = "pytest"
    """Runner of the hidden tests; only pytest is supported."""
    test_invocation: list[str] = Field(
        default_factory=lambda: ["python3", "-m", "pytest", "_eval_tests/", "-v", "--tb=short"],
        min_length=1,
    )
    """Command run from the work tree root after `tests/` is copied in as `_eval_tests/`."""
    loc_method: Literal["non_blank_non_comment_lines"] = "non_blank_non_comment_lines"
    """How lines of code are counted for the dataset file."""
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
    loc_method: str
    timeout_s: float
    prompt: str
    spec: str
    judge_prompt: str
    judge_rubric: str
    tests_dir: Path
    reference_dir: Path | None
    isolation: Isolation = "inprocess"
    allowed_files: tuple[str, ...] = ()


Task = QuestionTask | BuildTask
