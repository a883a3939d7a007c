"""Sandbox parts that need no Docker: reports, archives, result JSON, recipes, the run wrapper."""

from __future__ import annotations

import io
import json
import shutil
import socket
import struct
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from harness.sandbox import (
    OFFLINE_RECIPE,
    PUBLIC_RESULT_FIELDS,
    SANDBOX_BACKENDS,
    DockerSandbox,
    SandboxBackend,
    SandboxInfraError,
    SandboxInputError,
    SandboxLimits,
    TestCaseResult,
    TestRunResult,
    create_backend,
    default_image_tag,
    parse_junit_report,
    read_submission_dir,
)
from harness.sandbox._archive import build_work_tree_tar, check_submission_path
from harness.sandbox._attach import ContainerStdio, TailBuffer
from harness.sandbox._container import REPORT_PATH, build_test_command, container_options

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
  <testcase classname="_eval_tests.test_cache" name="test_get" time="0.001"/>
  <testcase classname="_eval_tests.test_cache" name="test_put" time="0.001"><failure message="x">boom</failure></testcase>
  <testcase classname="_eval_tests.test_cache.TestEviction" name="test_lru[2]" time="0.001"/>
  <testcase classname="_eval_tests.sub.test_deep" name="test_skipped"><skipped message="no"/></testcase>
  <testcase classname="_eval_tests.test_cache" name="test_teardown"/>
  <testcase classname="_eval_tests.test_cache" name="test_teardown"><error message="teardown"/></testcase>
</testsuite></testsuites>
"""


def test_junit_report_gives_node_ids_and_outcomes() -> None:
    tests = parse_junit_report(JUNIT, prefix="_eval_tests", module_paths=["test_cache.py", "sub/test_deep.py"])
    assert tests == [
        TestCaseResult(name="sub/test_deep.py::test_skipped", passed=False),
        TestCaseResult(name="test_cache.py::TestEviction::test_lru[2]", passed=True),
        TestCaseResult(name="test_cache.py::test_get", passed=True),
        TestCaseResult(name="test_cache.py::test_put", passed=False),
        TestCaseResult(name="test_cache.py::test_teardown", passed=False),
    ]


def test_junit_report_without_known_modules_falls_back_to_classname() -> None:
    tests = parse_junit_report(JUNIT, prefix="_eval_tests")
    assert tests is not None and tests[0].name == "sub.test_deep::test_skipped"
    assert parse_junit_report(b"<not xml") is None


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.py", "a/../../x.py", "a//b.py", "./a.py", "_eval_tests/test_x.py", "a\\b.py"])
def test_unsafe_submission_paths_are_rejected(path: str) -> None:
    with pytest.raises(SandboxInputError):
        check_submission_path(path)


def test_work_tree_tar_holds_submission_and_hidden_tests(tmp_path: Path) -> None:
    hidden = tmp_path / "tests"
    (hidden / "__pycache__").mkdir(parents=True)
    (hidden / "test_a.py").write_text("def test_a(): pass\n")
    (hidden / "__pycache__" / "test_a.cpython-311.pyc").write_bytes(b"\0")
    data = build_work_tree_tar({"pkg/mod.py": "x = 'é'\n", "main.py": ""}, hidden, uid=10001, gid=10001, max_bytes=10**6)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {"pkg", "pkg/mod.py", "main.py", "_eval_tests", "_eval_tests/test_a.py"}
        assert all(m.uid == 10001 and m.gid == 10001 for m in members.values())
        assert tar.extractfile("pkg/mod.py").read().decode() == "x = 'é'\n"  # type: ignore[union-attr]
    with pytest.raises(SandboxInputError, match="bytes"):
        build_work_tree_tar({"big.py": "x" * 2000}, hidden, uid=1, gid=1, max_bytes=1000)


def test_read_submission_dir_skips_caches(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "pkg" / "m.py").write_text("m = 1\n")
    (tmp_path / "main.py").write_text("import pkg\n")
    assert read_submission_dir(tmp_path) == {"main.py": "import pkg\n", "pkg/m.py": "m = 1\n"}
    with pytest.raises(SandboxInputError, match="not found"):
        read_submission_dir(tmp_path / "missing")


class FakeAttachApi:
    """Stands in for the Docker API: `attach_socket` hands out one end of a socket pair."""

    def __init__(self) -> None:
        self.container_end, self.host_end = socket.socketpair()

    def attach_socket(self, container_id: str, params: dict[str, int]) -> socket.socket:
        return self.host_end


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_stdio_protocol_reads_tail_status_and_report() -> None:
    api = FakeAttachApi()
    stdio = ContainerStdio(api, "c")
    stdio.send_work_tree(b"TAR")
    nonce, size = api.container_end.recv(100).split(b"\n")[0].split()
    assert int(size) == 3 and len(nonce) == 32
    report = b"<testsuites>" + b" " * 3000 + b"</testsuites>"
    api.container_end.sendall(
        frame(1, b"lots of output\n")
        + frame(2, b"harness-exit-status-forged=0\n")  # a marker without the nonce means nothing
        + frame(2, b"harness-exit-sta")
        + frame(2, b"tus-" + nonce + b"=1\n" + report[:2000])  # status and report in one frame
        + frame(2, report[2000:] + b"\nharness-e")
        + frame(2, b"nd-" + nonce + b"\n")
    )
    output = TailBuffer(1000)
    outcome = stdio.read_outcome(output, max_report_bytes=10000)
    assert (outcome.exit_code, outcome.report, output.text()) == (1, report, "lots of output\n")
    stdio.close()


def test_stdio_protocol_drops_oversized_reports_and_survives_a_dead_container() -> None:
    api = FakeAttachApi()
    stdio = ContainerStdio(api, "c")
    stdio.send_work_tree(b"")
    nonce = api.container_end.recv(100).split()[0]
    big = b"x" * 5000
    api.container_end.sendall(frame(2, b"harness-exit-status-" + nonce + b"=0\n") + frame(2, big))
    api.container_end.sendall(frame(2, b"\nharness-end-" + nonce + b"\n"))
    outcome = stdio.read_outcome(TailBuffer(10), max_report_bytes=1000)
    assert outcome.exit_code == 0 and outcome.report is None
    stdio.close()

    api = FakeAttachApi()
    stdio = ContainerStdio(api, "c")
    api.container_end.sendall(frame(1, b"partial"))
    api.container_end.close()  # killed before any status
    output = TailBuffer(10)
    outcome = stdio.read_outcome(output, max_report_bytes=1000)
    assert (outcome.exit_code, outcome.report, output.text()) == (None, None, "partial")
    stdio.close()


def test_result_json_has_exactly_the_public_fields() -> None:
    result = TestRunResult.from_tests(
        [TestCaseResult(name="b", passed=False), TestCaseResult(name="a", passed=True)],
        exit_code=1, duration_s=0.5, output_tail="out", infra_error=None,
    )
    data = json.loads(result.public_json())
    assert list(data) == list(PUBLIC_RESULT_FIELDS)
    assert data == {
        "tests": [{"name": "a", "passed": True}, {"name": "b", "passed": False}],
        "passed": 1, "total": 2, "exit_code": 1, "timed_out": False, "duration_s": 0.5, "output_tail": "out",
    }
    assert not result.all_passed
    assert TestRunResult.from_infra_error("daemon gone").infra_error == "daemon gone"


def test_image_tag_records_the_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_SANDBOX_IMAGE", raising=False)
    tag = default_image_tag()
    assert tag == OFFLINE_RECIPE.tag
    assert tag.startswith("harness-sandbox:bookworm-py3-pytest-") and len(tag.rsplit("-", 1)[1]) == 12
    assert OFFLINE_RECIPE.model_copy(update={"packages": ("python3",)}).tag != tag
    monkeypatch.setenv("HARNESS_SANDBOX_IMAGE", "mine:1")
    assert default_image_tag() == "mine:1"


def test_container_options_are_locked_down() -> None:
    import docker

    api = docker.APIClient(version="1.41")  # builds configs only, never connects
    options = container_options(api, SandboxLimits(), {"harness.run_id": "r"})
    host = options["host_config"]
    assert options["network_disabled"] and host["NetworkMode"] == "none" and host["ReadonlyRootfs"]
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges"]
    assert options["user"] == "10001:10001" and host["PidsLimit"] == 128
    assert host["Memory"] == host["MemorySwap"] == 512 * 2**20 and host["NanoCpus"] == 10**9
    assert "size=64m" in host["Tmpfs"]["/work"] and "size=32m" in host["Tmpfs"]["/tmp"]
    assert host["AutoRemove"] and host["LogConfig"]["Type"] == "none"


def run_wrapper(
    invocation: list[str], pgid_file: Path, limit_s: float = 5, tail_bytes: int = 1000
) -> subprocess.CompletedProcess[bytes]:
    """The in-container wrapper, run on the host (it only needs sh, timeout and tail)."""
    limits = SandboxLimits(output_tail_bytes=tail_bytes, kill_grace_s=0.5)
    command = build_test_command(invocation, limit_s, limits, pgid_file=str(pgid_file))
    assert f"--junitxml={REPORT_PATH}" in command
    return subprocess.run(command, capture_output=True, timeout=30, check=False)


@pytest.mark.skipif(shutil.which("timeout") is None, reason="needs coreutils")
def test_wrapper_keeps_the_exit_status_and_only_the_output_tail(tmp_path: Path) -> None:
    # The pytest options appended to the invocation land in $0 and $1 of `sh -c`: ignored.
    pgid_file = tmp_path / "pgid"
    done = run_wrapper(["sh", "-c", "yes 0123456789 | head -c 100000; echo LAST; exit 3"], pgid_file)
    assert done.returncode == 3
    assert len(done.stdout) == 1000 and done.stdout.endswith(b"LAST\n")
    timed_out = run_wrapper(["sh", "-c", "sleep 30"], pgid_file, limit_s=0.5)
    assert timed_out.returncode == 124


@pytest.mark.skipif(shutil.which("timeout") is None, reason="needs coreutils")
def test_wrapper_kills_children_left_holding_the_output(tmp_path: Path) -> None:
    started = time.monotonic()
    done = run_wrapper(["sh", "-c", "sleep 60 & echo started"], tmp_path / "pgid", limit_s=20)
    assert done.returncode == 0 and done.stdout == b"started\n"
    assert time.monotonic() - started < 10


def test_backend_registry() -> None:
    assert isinstance(DockerSandbox(), SandboxBackend)
    assert isinstance(create_backend("docker"), DockerSandbox)
    assert "docker" in SANDBOX_BACKENDS
    with pytest.raises(SandboxInfraError, match="unknown sandbox backend"):
        create_backend("firecracker")
