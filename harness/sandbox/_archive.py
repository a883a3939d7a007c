"""Submissions as {relative path: text}, and the in-memory tars that carry them."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from ._errors import SandboxInputError

__all__ = [
    "HIDDEN_TESTS_DIR",
    "Submission",
    "read_submission_dir",
    "check_submission_path",
    "build_work_tree_tar",
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


def _read_tree_bytes(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in _iter_files(folder)}


class _TarWriter:
    """Adds files and their parent dirs, owned by the sandbox user, to an in-memory tar."""

    def __init__(self, uid: int, gid: int) -> None:
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode="w", format=tarfile.PAX_FORMAT)
        self._uid, self._gid = uid, gid
        self._dirs: set[str] = set()
        self._mtime = time.time()

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = kind, mode, self._mtime
        info.uid, info.gid = self._uid, self._gid
        return info

    def add_dir(self, name: str) -> None:
        if name in self._dirs:
            return
        parent = PurePosixPath(name).parent.as_posix()
        if parent != ".":
            self.add_dir(parent)
        self._dirs.add(name)
        self._tar.addfile(self._info(name, tarfile.DIRTYPE, 0o755))

    def add_file(self, name: str, data: bytes) -> None:
        parent = PurePosixPath(name).parent.as_posix()
        if parent != ".":
            self.add_dir(parent)
        info = self._info(name, tarfile.REGTYPE, 0o644)
        info.size = len(data)
        self._tar.addfile(info, io.BytesIO(data))

    def close(self) -> bytes:
        self._tar.close()
        return self._buffer.getvalue()


def build_work_tree_tar(
    submission: Submission, hidden_tests_dir: Path, *, uid: int, gid: int, max_bytes: int
) -> bytes:
    """The work tree as a tar: the submission at the root, the hidden tests under `_eval_tests/`."""
    encoded = {str(check_submission_path(path)): text.encode("utf-8") for path, text in submission.items()}
    hidden = _read_tree_bytes(hidden_tests_dir)
    size = sum(map(len, encoded.values())) + sum(map(len, hidden.values()))
    if size > max_bytes:
        raise SandboxInputError(f"submission and hidden tests hold {size} bytes; the work dir holds {max_bytes}")
    writer = _TarWriter(uid, gid)
    for name, data in encoded.items():
        writer.add_file(name, data)
    for name, data in hidden.items():
        writer.add_file(f"{HIDDEN_TESTS_DIR}/{name}", data)
    return writer.close()
