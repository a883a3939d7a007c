"""The adversarial suite: no trick raises a submission's hidden-test score, and attempts show.

Each trick (`_tricks.py`) is run under both isolation modes against a copy of
`tasks/build-slugify`: with `process` the score must never beat the same wrong
code without the trick; with `inprocess` it must not either, or the run must be
marked `tampered`/`error` (and then counts 0 passed).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.sandbox import (
    DockerSandbox,
    SandboxLimits,
    SandboxPool,
    TestRunResult,
    load_build_task,
    read_submission_dir,
)
from harness.tasks import BuildTask

from ._helpers import TASKS
from ._tricks import TRICKS, WRONG, Trick

pytestmark = pytest.mark.docker

HONEST = {
    "slugify.py": (TASKS / "build-slugify" / "reference" / "slugify.py").read_text()
    + "\n\nimport functools, inspect, os, sys\n\n\n@functools.lru_cache(maxsize=None)\ndef _described():\n"
    "    return str(inspect.signature(slugify)), sys.version_info[:2], os.sep\n"
}
MODES = ("process", "inprocess")
BEHAVIOURAL = {"hangs-in-a-call", "huge-failure-message", "keyboard-interrupt", "exit-status-lies", "floods-a-forged-count"}
"""Tricks whose code runs in the submission's process but reaches nothing there (odd failures, writes to
file descriptors it does not have): prevented, and nothing to flag."""


def _task_copy(root: Path, name: str, isolation: str, timeout_s: float) -> BuildTask:
    folder = root / f"{name}-{isolation}"
    shutil.copytree(TASKS / name, folder)
    manifest = json.loads((folder / "task.json").read_text())
    manifest.update(isolation=isolation, timeout_s=timeout_s)
    (folder / "task.json").write_text(json.dumps(manifest))
    return load_build_task(folder)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, sandbox_image: str) -> Mapping[tuple[str, str], TestRunResult]:
    root = tmp_path_factory.mktemp("integrity")
    tasks = {mode: _task_copy(root, "build-slugify", mode, timeout_s=6) for mode in MODES}
    lru = {mode: _task_copy(root, "build-lru-cache", mode, timeout_s=20) for mode in MODES}
    runs: dict[tuple[str, str], tuple[BuildTask, Mapping[str, str]]] = {}
    for mode in MODES:
        runs[("baseline", mode)] = (tasks[mode], {"slugify.py": WRONG})
        runs[("reference", mode)] = (tasks[mode], read_submission_dir(TASKS / "build-slugify" / "reference"))
        runs[("lru-reference", mode)] = (lru[mode], read_submission_dir(TASKS / "build-lru-cache" / "reference"))
        runs[("honest-imports", mode)] = (tasks[mode], HONEST)
        for trick in TRICKS:
            runs[(trick.name, mode)] = (tasks[mode], trick.files)
    pool = SandboxPool(DockerSandbox(image=sandbox_image, limits=SandboxLimits(kill_grace_s=1.0, host_grace_s=5.0)), max_parallel=2)

    async def run_all() -> list[TestRunResult]:
        return await asyncio.gather(*(pool.run(task, files, f"integrity-{k[0]}-{k[1]}") for k, (task, files) in runs.items()))

    return dict(zip(runs, asyncio.run(run_all())))


def test_the_suite_is_large_enough() -> None:
    assert len(TRICKS) >= 20 and len({t.name for t in TRICKS}) == len(TRICKS)


@pytest.mark.parametrize("mode", MODES)
def test_honest_code_is_never_flagged(results: Mapping[tuple[str, str], TestRunResult], mode: str) -> None:
    for name in ("reference", "lru-reference", "honest-imports"):
        result = results[(name, mode)]
        assert result.integrity == "ok" and result.integrity_notes == [], (name, result.integrity_notes)
        assert result.all_passed and result.passed == result.total == 10, (name, result.output_tail[-2000:])
    baseline = results[("baseline", mode)]
    assert baseline.integrity == "ok" and 0 < baseline.passed < baseline.total == 10


@pytest.mark.parametrize("trick", TRICKS, ids=[t.name for t in TRICKS])
def test_process_isolation_prevents_the_trick(results: Mapping[tuple[str, str], TestRunResult], trick: Trick) -> None:
    result = results[(trick.name, "process")]
    baseline = results[("baseline", "process")]
    assert result.total == baseline.total == 10, result.integrity_notes
    assert result.passed <= baseline.passed, (result.passed, result.integrity_notes, result.output_tail[-1500:])
    if trick.name not in BEHAVIOURAL:
        assert result.integrity != "ok", "the attempt must be visible in the result"


@pytest.mark.parametrize("trick", TRICKS, ids=[t.name for t in TRICKS])
def test_inprocess_detects_what_it_cannot_prevent(results: Mapping[tuple[str, str], TestRunResult], trick: Trick) -> None:
    result = results[(trick.name, "inprocess")]
    baseline = results[("baseline", "inprocess")]
    assert result.total == baseline.total == 10
    flagged = result.integrity in ("tampered", "error")
    assert flagged or result.passed <= baseline.passed, (result.passed, result.integrity_notes)
    if trick.inprocess_flag:
        assert flagged, (result.passed, result.integrity, result.output_tail[-1500:])
    if flagged:
        assert result.passed == 0 and any(n.startswith(("tampered", "error")) for n in result.integrity_notes)


def test_ignored_files_and_evidence_are_recorded(results: Mapping[tuple[str, str], TestRunResult]) -> None:
    conftest = results[("conftest-hookwrapper", "process")]
    assert conftest.integrity == "suspicious"
    assert any("conftest.py" in note and "ignored" in note for note in conftest.integrity_notes)
    oracle = results[("test-oracle-from-files", "inprocess")]
    assert any("_eval_tests" in note for note in oracle.integrity_notes), oracle.integrity_notes
    daemon = results[("detached-daemon-rewrites-report", "process")]
    assert daemon.duration_s < 5, "stray processes are killed at once, not waited for"
    hang = results[("hangs-in-a-call", "process")]
    assert hang.timed_out and {t.reason for t in hang.tests if not t.passed} >= {"hit the time limit"}
