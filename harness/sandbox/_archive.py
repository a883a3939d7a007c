"""Submissions as {relative path: text}: reading them and checking their paths."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from .._errors import SandboxInputError

__all__ = [
    "HIDDEN_TESTS_DIR",
    "Submission",
    "read_submission_dir",
    "check_submission_path",
    "read_tree_bytes",
]

HIDDEN_TESTS_DIR = "_eval_tests"
"""Name of the hidden tests folder inside the work tree (FORMATS.md C)."""

Submission = Mapping[str, str]
"""An implementation: relative POSIX path -> file text."""

_SKIPPED_DIR_NAMES = frozenset({"__pycache__", ".git", ".hg", ".svn", ".pytest_cache", ".mypy_cache"})


def check_submission_path(path: str) -> PurePosixPath:
    """The path as a safe relative path inside the work tree, or SandboxInputError."""
    pure = PurePosixPath(path)
    if not path or "\\" in path or "\0" in path or pure.is_absolute():
        raise SandboxInputError(f"submission path {path!r}: must be a relative POSIX path")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise SandboxInputError(f"submission path {path!r}: '.', '..' and empty parts are not allowed")
    if pure.parts[0] == HIDDEN_TESTS_DIR:
        raise SandboxInputError(f"submission path {path!r}: {HIDDEN_TESTS_DIR}/ is reserved for the hidden tests")
    return pure


def _iter_files(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if entry.name not in _SKIPPED_DIR_NAMES:
                yield from _iter_files(entry)
        elif entry.is_file() and not entry.name.endswith((".pyc", ".pyo")):
            yield entry


def read_submission_dir(folder: Path) -> dict[str, str]:
    """Every text file under `folder` as {relative path: text} (caches and VCS dirs skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SandboxInputError(f"{folder}: submission folder not found")
    files: dict[str, str] = {}
    for path in _iter_files(folder):
        relative = path.relative_to(folder).as_posix()
        try:
            files[relative] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise SandboxInputError(f"{path}: not UTF-8 text (submissions are text files)") from exc
    return files


def read_tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (caches and VCS dirs skipped) as {relative path: bytes}."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in _iter_files(folder)}
