"""`harness task new`: a new task folder that loads as it is and, for a build task, passes `harness task check`."""

from __future__ import annotations

import json
import keyword
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Final, Literal

from .._errors import TaskError

__all__ = ["ScaffoldKind", "TaskNames", "scaffold_placeholders", "scaffold_task", "task_names"]

ScaffoldKind = Literal["build", "question"]

_NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

_KIND_PREFIXES: Final[dict[ScaffoldKind, str]] = {"build": "build-", "question": "q-"}
"""Folder-name prefixes of the shipped tasks (`build-slugify`, `q-cap-theorem`); not part of derived names."""

_RESERVED_MODULES: Final = frozenset({"conftest", "pytest", "_pytest", "pluggy"})
"""Entrypoint modules that would break the hidden-test run (pytest and its conftest)."""

_TEST_INVOCATION: Final = ["python3", "-m", "pytest", "_eval_tests/", "-v", "--tb=short"]

_CONFTEST: Final = '''"""Put the work tree root (the parent of this folder) on sys.path."""

import sys
from pathlib import Path

WORK_TREE = str(Path(__file__).resolve().parent.parent)
if WORK_TREE not in sys.path:
    sys.path.insert(0, WORK_TREE)
'''

_SAMPLE_TEST: Final = Template('''"""Hidden tests for $entrypoint (see SPEC.md)."""

import importlib

import pytest


@pytest.fixture
def module():
    # Imported per test, so a broken module fails each test instead of the whole file.
    return importlib.import_module("$module")


# TODO: one test per SPEC rule and checklist item; this sample only fixes the interface.
def test_solve_returns_the_answer(module):
    assert module.solve() == 42
''')

_REFERENCE: Final = Template('''"""$title (reference solution)."""


def solve() -> int:
    """The answer the sample hidden test expects (TODO: the real interface of SPEC.md)."""
    return 42
''')


@dataclass(frozen=True)
class TaskNames:
    """Everything derived from a task's folder name."""

    folder: str
    """The folder name as given, e.g. "build-word-count"."""
    stem: str
    """The name without its kind prefix, e.g. "word-count"."""
    module: str
    """Python module of a build task's entrypoint, e.g. "word_count"."""
    title: str
    """Human title, e.g. "Word count"."""

    @property
    def entrypoint(self) -> str:
        return f"{self.module}.py"

    @property
    def question_id(self) -> str:
        return self.stem.upper()


def task_names(name: str, kind: ScaffoldKind) -> TaskNames:
    """Validate a task name (lowercase letters, digits, single '-' between words) and derive the rest."""
    if not _NAME_PATTERN.fullmatch(name):
        raise TaskError(
            f"invalid task name {name!r}: use lowercase letters, digits and '-' between words, "
            "starting with a letter (e.g. build-word-count)"
        )
    prefix = _KIND_PREFIXES[kind]
    stem = name[len(prefix):] if name.startswith(prefix) and len(name) > len(prefix) else name
    if not stem[0].isalpha():
        raise TaskError(f"invalid task name {name!r}: the part after {prefix!r} must start with a letter")
    module = stem.replace("-", "_")
    if kind == "build" and (
        keyword.iskeyword(module) or module in sys.stdlib_module_names or module in _RESERVED_MODULES
    ):
        raise TaskError(
            f"invalid task name {name!r}: its entrypoint {module}.py would shadow the module {module!r} "
            "in the hidden-test run; choose another name"
        )
    return TaskNames(folder=name, stem=stem, module=module, title=stem.replace("-", " ").capitalize())


def _template(kind: ScaffoldKind, file_name: str) -> Template:
    return Template(resources.files(__package__).joinpath("templates", kind, file_name).read_text(encoding="utf-8"))


def _json_text(manifest: dict[str, object]) -> str:
    """One key per line, values compact, as the shipped task.json files are written."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in manifest.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _question_files(names: TaskNames) -> dict[str, str]:
    values = {"task_name": names.folder, "title": names.title}
    manifest: dict[str, object] = {"task_kind": "question", "question_id": names.question_id, "category": "general"}
    return {"task.json": _json_text(manifest), "PROMPT.md": _template("question", "PROMPT.md").substitute(values)}


def _build_files(names: TaskNames) -> dict[str, str]:
    values = {"task_name": names.folder, "title": names.title, "entrypoint": names.entrypoint, "module": names.module}
    manifest: dict[str, object] = {
        "task_kind": "code",
        "entrypoint": names.entrypoint,
        "language": "python",
        "test_runner": "pytest",
        "test_invocation": _TEST_INVOCATION,
        "loc_method": "non_blank_non_comment_lines",
        "timeout_s": 60,
    }
    files = {"task.json": _json_text(manifest)}
    for doc in ("PROMPT.md", "SPEC.md", "JUDGE_PROMPT.md", "JUDGE_RUBRIC.md"):
        files[doc] = _template("build", doc).substitute(values)
    files["tests/conftest.py"] = _CONFTEST
    files[f"tests/test_{names.module}.py"] = _SAMPLE_TEST.substitute(values)
    files[f"reference/{names.entrypoint}"] = _REFERENCE.substitute(values)
    return files


def scaffold_task(name: str, kind: ScaffoldKind, parent_dir: Path) -> tuple[Path, list[str]]:
    """Create `parent_dir/name` with a task skeleton; return the folder and its files (relative, sorted).

    Never touches an existing folder: the files are written to a temporary folder
    beside it and moved into place in one rename.
    """
    names = task_names(name, kind)
    parent_dir = Path(parent_dir)
    target = parent_dir / names.folder
    if target.exists() or target.is_symlink():
        raise TaskError(f"{target}: already exists; choose another name or remove it first")
    if parent_dir.exists() and not parent_dir.is_dir():
        raise TaskError(f"{parent_dir}: not a folder")
    files = _question_files(names) if kind == "question" else _build_files(names)
    parent_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent_dir, prefix=f".{names.folder}."))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError as exc:
            raise TaskError(f"{target}: could not be created ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, sorted(files)


_PLACEHOLDER_MARK: Final = "TODO"
"""Every line the scaffold leaves for the author to fill in holds this word."""

_TEMPLATE_VARIABLE: Final = re.compile(r"\$(\w+)")


def _placeholder_patterns() -> list[re.Pattern[str]]:
    """One pattern per placeholder line the scaffold writes (template variables match any text)."""
    sources = [_SAMPLE_TEST.template, _REFERENCE.template]
    for kind in ("build", "question"):
        folder = resources.files(__package__).joinpath("templates", kind)
        sources += [entry.read_text(encoding="utf-8") for entry in folder.iterdir() if entry.name.endswith(".md")]
    patterns: dict[str, re.Pattern[str]] = {}
    for source in sources:
        for line in source.splitlines():
            line = line.strip()
            if _PLACEHOLDER_MARK in line:
                literal = "(?:.+?)".join(re.escape(part) for part in _TEMPLATE_VARIABLE.split(line)[::2])
                patterns.setdefault(line, re.compile(literal))
    return list(patterns.values())


def scaffold_placeholders(task_dir: Path) -> dict[str, list[int]]:
    """The files of a task folder that still hold a placeholder line of `harness task new`.

    Maps each file (relative, with '/') to the numbers of its placeholder lines. Only lines the
    scaffold wrote count (a line of the author's own mentioning TODO does not); undecodable and
    hidden files are skipped.
    """
    task_dir = Path(task_dir)
    patterns = _placeholder_patterns()
    found: dict[str, list[int]] = {}
    for path in sorted(task_dir.rglob("*")):
        relative = path.relative_to(task_dir)
        if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = [
            number
            for number, line in enumerate(text.splitlines(), start=1)
            if _PLACEHOLDER_MARK in line and any(p.fullmatch(line.strip()) for p in patterns)
        ]
        if lines:
            found[relative.as_posix()] = lines
    return found
