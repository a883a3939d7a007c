"""Load task folders, with errors that name the file and what is wrong."""

from __future__ import annotations

import json
import sys
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from .._errors import TaskError
from .._validation import describe_validation_error
from ._models import BuildTask, BuildTaskFile, QuestionTask, QuestionTaskFile, Task
from ._needs import parse_need

__all__ = ["load_task", "REFERENCE_DIR_NAMES", "RUNNER_OWNED_NAMES", "SOURCE_DEFAULTS"]

SOURCE_DEFAULTS: dict[str, object] = {
    "task_kind": "code",
    "entrypoint": "sandbox.py",
    "language": "python",
    "test_runner": "pytest",
    "test_invocation": ["python3", "-m", "pytest", "_eval_tests/", "-v", "--tb=short"],
    "loc_method": "non_blank_non_comment_lines",
}
"""What the source's task loader fills in for a key `task.json` leaves out (FORMATS.md C)."""

REFERENCE_DIR_NAMES = ("reference", "solution")
"""Folder names (inside a task) that hold the reference solution."""


def _read_text(folder: Path, name: str) -> str:
    """File text without the one final newline a text file ends with."""
    path = folder / name
    if not path.is_file():
        raise TaskError(f"{path}: missing (a task of this kind needs {name})")
    text = path.read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text


def _read_optional(folder: Path, name: str) -> str | None:
    return _read_text(folder, name) if (folder / name).is_file() else None


RUNNER_OWNED_NAMES = frozenset(
    {"conftest.py", "pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "sitecustomize.py", "usercustomize.py"}
)
"""Files that configure or start up the test runner: the harness's alone, never a submission's."""


def _check_submission_files(manifest: Path, names: list[str]) -> list[str]:
    """The entrypoint and allowed files, refused when one could steer the runner or shadow a module."""
    for name in names:
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts or parts[0] == "_eval_tests":
            raise TaskError(f"{manifest}: {name!r}: a submission file must be a relative path inside the work tree")
        base = parts[-1]
        module = parts[0].removesuffix(".py")
        if base in RUNNER_OWNED_NAMES or base.endswith(".pth"):
            raise TaskError(f"{manifest}: {name!r}: the test runner's configuration is the harness's, not a submission file")
        if module in sys.stdlib_module_names or module in ("pytest", "_pytest", "pluggy", "py"):
            raise TaskError(f"{manifest}: {name!r}: would shadow the module {module!r} the tests rely on")
    return names


def load_task(folder: Path) -> Task:
    """Load the task in `folder` (question or build, by `task.json`'s `task_kind`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TaskError(f"{folder}: task folder not found")
    manifest = folder / "task.json"
    if not manifest.is_file():
        raise TaskError(f"{manifest}: missing (every task folder needs a task.json)")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TaskError(f"{manifest}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TaskError(f"{manifest}: expected a JSON object")
    kind = data.get("task_kind", SOURCE_DEFAULTS["task_kind"])
    try:
        if kind == "question":
            qfile = QuestionTaskFile.model_validate(data)
            return QuestionTask(
                task_id=folder.name,
                folder=folder.resolve(),
                question_id=qfile.question_id,
                category=qfile.category,
                prompt=_read_text(folder, "PROMPT.md"),
            )
        if kind in ("code", "build"):
            bfile = BuildTaskFile.model_validate(data)
        else:
            raise TaskError(
                f"{manifest}: task_kind: expected \"question\", \"code\" or \"build\" (got {kind!r})"
            )
    except ValidationError as exc:
        raise TaskError(describe_validation_error(manifest, exc)) from exc
    tests_dir = folder / "tests"
    if not tests_dir.is_dir() or not any(tests_dir.glob("test_*.py")):
        raise TaskError(f"{tests_dir}: a build task needs hidden tests (tests/test_*.py)")
    reference = next((folder / n for n in REFERENCE_DIR_NAMES if (folder / n).is_dir()), None)
    return BuildTask(
        task_id=bfile.name or folder.name,
        folder=folder.resolve(),
        entrypoint=bfile.entrypoint,
        language=bfile.language,
        test_invocation=bfile.test_invocation,
        loc_method=bfile.loc_method,
        timeout_s=bfile.timeout_s,
        prompt=_read_text(folder, "PROMPT.md"),
        spec=_read_text(folder, "SPEC.md"),
        judge_prompt=_read_optional(folder, "JUDGE_PROMPT.md"),
        judge_rubric=_read_optional(folder, "JUDGE_RUBRIC.md"),
        tests_dir=tests_dir.resolve(),
        reference_dir=reference.resolve() if reference else None,
        isolation=bfile.isolation,
        allowed_files=tuple(_check_submission_files(manifest, [bfile.entrypoint, *bfile.allowed_files])[1:]),
        objective_only=bfile.objective_only,
        requires=tuple(parse_need(entry) for entry in bfile.requires),
        defaults_applied=tuple(key for key in SOURCE_DEFAULTS if key not in data),
    )
