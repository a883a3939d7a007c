"""What the host sends into a sandbox container: the work tree with owners and modes, and the runtime.

Inside the container (see `_runtime/supervisor.py`):
  /work                 root, 0755: nothing in it is writable by the code under test
  /work/.harness        root: the runtime (supervisor, runner, report plugin, proxy, audit hook), pytest.ini
  /work/_eval_tests     the hidden tests: the runner uid's alone (0500/0400) with `isolation: process`,
                        root's and read-only (0755/0644) with `inprocess`
  /work/.subject        the submission, the subject uid's (`process`); with `inprocess` it sits in /work
"""

from __future__ import annotations

import base64
import json
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Literal

from .._errors import SandboxInputError
from ..tasks import BuildTask
from ._archive import (
    HIDDEN_TESTS_DIR,
    Submission,
    check_submission_path,
    read_tree_bytes,
)
from ._image import SANDBOX_UID, SANDBOX_WORKDIR
from ._models import SandboxLimits

__all__ = [
    "RUNNER_UID",
    "SUBJECT_UID",
    "RUNTIME_DIR",
    "TESTS_DIR",
    "SUBJECT_DIR",
    "RunMode",
    "boot_command",
    "build_payload",
    "pytest_arguments",
    "module_names",
    "select_declared_files",
]

RUNNER_UID = SANDBOX_UID
"""uid of pytest and the hidden tests."""
SUBJECT_UID = SANDBOX_UID + 1
"""uid of the submission's own process (`isolation: process`)."""
RUNTIME_DIR = f"{SANDBOX_WORKDIR}/.harness"
TESTS_DIR = f"{SANDBOX_WORKDIR}/{HIDDEN_TESTS_DIR}"
SUBJECT_DIR = f"{SANDBOX_WORKDIR}/.subject"
RunMode = Literal["test", "collect"]

_RUNTIME_FILES = ("supervisor.py", "runner.py", "subject.py", "proxy.py", "audit.py", "wire.py")
_PYTEST_INI = "[pytest]\naddopts =\npython_files = test_*.py\n"

# PID 1: read "<nonce> <size>\n" and the payload from stdin, then run the shipped supervisor.
_BOOT = """import sys, json
stdin = sys.stdin.buffer
header = stdin.readline().split()
if len(header) != 2:
    sys.exit(0)
payload = json.loads(stdin.read(int(header[1])))
scope = {"__name__": "harness_supervisor"}
exec(compile(payload["supervisor_source"], "/work/.harness/supervisor.py", "exec"), scope)
scope["main"](header[0].decode(), payload)
"""


def boot_command() -> list[str]:
    return ["python3", "-I", "-B", "-c", _BOOT]


def _runtime_source(name: str) -> bytes:
    return resources.files(__package__).joinpath("_runtime", name).read_bytes()


def pytest_arguments(task: BuildTask) -> list[str]:
    """The arguments the task's invocation gives pytest (`python3 -m pytest ARGS` or `pytest ARGS`)."""
    argv = task.test_invocation
    for index, word in enumerate(argv):
        if word == "-m" and index + 1 < len(argv) and argv[index + 1] == "pytest":
            return argv[index + 2 :]
        if PurePosixPath(word).name in ("pytest", "py.test") and index == 0:
            return argv[1:]
    raise SandboxInputError(f"{task.folder}: test_invocation {argv!r} does not run pytest (`python3 -m pytest ...`)")


def select_declared_files(task: BuildTask, submission: Submission) -> tuple[dict[str, str], list[str]]:
    """The files the task lets into the work tree (entrypoint, `allowed_files`), and the names of the rest."""
    declared = {task.entrypoint, *task.allowed_files}
    kept = {path: text for path, text in submission.items() if path in declared}
    return kept, sorted(set(submission) - declared)


def module_names(task: BuildTask) -> list[str]:
    """Top-level modules of the submission the hidden tests may import (the entrypoint first)."""
    names = []
    for path in (task.entrypoint, *task.allowed_files):
        pure = PurePosixPath(path)
        if pure.suffix == ".py" and len(pure.parts) == 1:
            names.append(pure.stem)
    return names


class _Layout:
    def __init__(self) -> None:
        self.dirs: dict[str, tuple[int, int]] = {}
        self.files: list[list[Any]] = []

    def add_dir(self, path: str, mode: int, uid: int) -> None:
        self.dirs[path] = (mode, uid)

    def add_file(self, path: str, data: bytes, mode: int, uid: int, dir_mode: int) -> None:
        parent = PurePosixPath(path).parent
        while str(parent) not in self.dirs and str(parent) != SANDBOX_WORKDIR:
            self.dirs[str(parent)] = (dir_mode, uid)
            parent = parent.parent
        self.files.append([path, base64.b64encode(data).decode("ascii"), mode, uid])


def build_payload(
    task: BuildTask,
    submission: Submission,
    *,
    mode: RunMode,
    key_hex: str,
    limits: SandboxLimits,
    limit_s: float,
) -> bytes:
    """The JSON document PID 1 reads after the header line."""
    encoded = {str(check_submission_path(path)): text.encode("utf-8") for path, text in submission.items()}
    hidden = read_tree_bytes(task.tests_dir)
    size = sum(map(len, encoded.values())) + sum(map(len, hidden.values()))
    if size > limits.work_dir_mb * 2**20:
        raise SandboxInputError(
            f"submission and hidden tests hold {size} bytes; the work dir holds {limits.work_dir_mb * 2**20}"
        )
    layout = _Layout()
    layout.add_dir(RUNTIME_DIR, 0o755, 0)
    for name in _RUNTIME_FILES:
        layout.add_file(f"{RUNTIME_DIR}/{name}", _runtime_source(name), 0o644, 0, 0o755)
    layout.add_file(f"{RUNTIME_DIR}/pytest.ini", _PYTEST_INI.encode(), 0o644, 0, 0o755)
    process = task.isolation == "process"
    tests_owner, tests_dir_mode, tests_mode = (RUNNER_UID, 0o500, 0o400) if process else (0, 0o755, 0o644)
    layout.add_dir(TESTS_DIR, tests_dir_mode, tests_owner)
    for name, data in hidden.items():
        layout.add_file(f"{TESTS_DIR}/{name}", data, tests_mode, tests_owner, tests_dir_mode)
    if process:
        layout.add_dir(SUBJECT_DIR, 0o700, SUBJECT_UID)
        for name, data in encoded.items():
            layout.add_file(f"{SUBJECT_DIR}/{name}", data, 0o600, SUBJECT_UID, 0o700)
    else:
        for name, data in encoded.items():
            layout.add_file(f"{SANDBOX_WORKDIR}/{name}", data, 0o644, 0, 0o755)
    pytest_args = [
        *pytest_arguments(task),
        "-c",
        f"{RUNTIME_DIR}/pytest.ini",
        f"--rootdir={SANDBOX_WORKDIR}",
        f"--confcutdir={TESTS_DIR}",
        "-p",
        "no:cacheprovider",
    ]
    if mode == "collect":
        pytest_args += ["--collect-only", "-q"]
    payload = {
        "supervisor_source": _runtime_source("supervisor.py").decode("utf-8"),
        "dirs": [[path, dir_mode, uid] for path, (dir_mode, uid) in layout.dirs.items()],
        "files": layout.files,
        "runner_script": f"{RUNTIME_DIR}/runner.py",
        "subject_script": f"{RUNTIME_DIR}/subject.py",
        "runner_config_path": f"{RUNTIME_DIR}/run.json",
        "runner_uid": RUNNER_UID,
        "subject_uid": SUBJECT_UID,
        "subject_dir": SUBJECT_DIR,
        "work_dir": SANDBOX_WORKDIR,
        "key": key_hex,
        "limit_s": limit_s,
        "kill_grace_s": limits.kill_grace_s,
        "tail_bytes": limits.output_tail_bytes,
        "max_report_bytes": limits.max_report_bytes,
        "runner_config": {
            "isolation": task.isolation,
            "pytest_args": pytest_args,
            "modules": module_names(task),
            "work_dir": SANDBOX_WORKDIR,
            "tests_dir": TESTS_DIR,
        },
    }
    return json.dumps(payload).encode("utf-8")
