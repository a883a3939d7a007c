"""`harness sandbox ...` and `harness task check` as a user runs them (subprocesses, real Docker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.sandbox import PUBLIC_RESULT_FIELDS

from ._helpers import SHIPPED_TASKS, TASKS, ProbeTaskFactory


def harness(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def test_cli_import_does_not_load_docker_or_the_sandbox() -> None:
    code = "import sys, harness.cli; bad = {'docker', 'harness.sandbox'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.docker
@pytest.mark.usefixtures("sandbox_image", "no_orphaned_containers")
class TestWithDocker:
    def test_build_is_idempotent(self) -> None:
        done = harness("sandbox", "build", "--offline")
        assert done.returncode == 0, done.stderr
        assert "already exists" in done.stdout

    @pytest.mark.parametrize("task_name", SHIPPED_TASKS)
    def test_sandbox_test_json_for_the_reference(self, task_name: str) -> None:
        done = harness("sandbox", "test", TASKS / task_name, TASKS / task_name / "reference", "--json")
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert list(result) == list(PUBLIC_RESULT_FIELDS)
        assert result["passed"] == result["total"] == len(result["tests"]) == 10
        assert result["exit_code"] == 0 and result["timed_out"] is False and result["duration_s"] > 0

    def test_sandbox_test_reports_failures_with_exit_code_1(self, tmp_path: Path) -> None:
        (tmp_path / "slugify.py").write_text("def slugify(text, **options):\n    return text\n")
        done = harness("sandbox", "test", TASKS / "build-slugify", tmp_path)
        assert done.returncode == 1, done.stderr
        assert "FAIL  test_slugify.py::test_spec_example" in done.stdout
        assert "hidden tests passed" in done.stdout

    @pytest.mark.parametrize("task_name", SHIPPED_TASKS)
    def test_task_check_accepts_the_shipped_tasks(self, task_name: str) -> None:
        done = harness("task", "check", TASKS / task_name)
        assert done.returncode == 0, done.stderr
        assert "10/10 hidden tests passed" in done.stdout

    def test_task_check_rejects_a_suite_that_cannot_fail(self, make_probe_task: ProbeTaskFactory) -> None:
        task = make_probe_task({"test_nothing.py": "def test_always():\n    assert True\n"})
        (task.folder / "reference").mkdir()
        (task.folder / "reference" / "solution.py").write_text("ANSWER = 42\n")
        done = harness("task", "check", task.folder)
        assert done.returncode == 2
        assert "cannot fail" in done.stderr and done.stderr.startswith("error: ")

    def test_task_check_rejects_a_failing_reference(self, make_probe_task: ProbeTaskFactory) -> None:
        task = make_probe_task({"test_answer.py": "def test_answer():\n    from solution import ANSWER\n    assert ANSWER == 42\n"})
        (task.folder / "reference").mkdir()
        (task.folder / "reference" / "solution.py").write_text("ANSWER = 41\n")
        done = harness("task", "check", task.folder)
        assert done.returncode == 2
        assert "reference solution does not pass" in done.stderr and "test_answer.py::test_answer" in done.stderr


def test_task_check_needs_a_reference(make_probe_task: ProbeTaskFactory) -> None:
    task = make_probe_task({"test_x.py": "def test_x():\n    pass\n"})
    done = harness("task", "check", task.folder)
    assert done.returncode == 2 and "no reference solution" in done.stderr
