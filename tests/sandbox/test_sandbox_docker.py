"""The Docker sandbox on the real engine: results, limits, isolation, infrastructure errors."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from harness.sandbox import (
    DockerSandbox,
    SandboxPool,
    TestRunResult,
    load_build_task,
    read_submission_dir,
)

from ._helpers import SHIPPED_TASKS, TASKS, HostMonitor, ProbeTaskFactory

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftover_containers")]


def failed(result: TestRunResult) -> set[str]:
    return {t.name for t in result.tests if not t.passed}


def test_reference_solutions_pass_every_hidden_test(sandbox: DockerSandbox) -> None:
    async def run_all() -> list[TestRunResult]:
        pool = SandboxPool(sandbox, max_parallel=2)
        return await asyncio.gather(
            *(
                pool.run(task, read_submission_dir(task.reference_dir), f"reference-{task.task_id}")  # type: ignore[arg-type]
                for task in (load_build_task(TASKS / name) for name in SHIPPED_TASKS)
            )
        )

    for result in asyncio.run(run_all()):
        assert result.all_passed, result.output_tail
        assert result.total == 10 and result.exit_code == 0 and not result.timed_out
        assert all(t.name.startswith("test_") and ".py::test_" in t.name for t in result.tests)


@pytest.mark.parametrize(
    ("task_name", "entrypoint", "good", "bad", "expected_failures"),
    [
        (
            "build-lru-cache",
            "lru_cache.py",
            "        self._values.move_to_end(key)\n        return self._values[key]",
            "        return self._values[key]",
            {"test_lru_cache.py::test_get_hit_refreshes_recency_and_miss_does_not"},
        ),
        (
            "build-slugify",
            "slugify.py",
            'unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))',
            'unicodedata.normalize("NFKD", text)',
            {"test_slugify.py::test_apostrophes_vanish_without_a_separator"},
        ),
    ],
)
def test_broken_implementation_fails_exactly_the_tests_it_should(
    sandbox: DockerSandbox, task_name: str, entrypoint: str, good: str, bad: str, expected_failures: set[str]
) -> None:
    task = load_build_task(TASKS / task_name)
    reference = (TASKS / task_name / "reference" / entrypoint).read_text()
    assert good in reference
    result = sandbox.run(task, {entrypoint: reference.replace(good, bad)}, "broken")
    assert failed(result) == expected_failures
    assert (result.passed, result.total, result.exit_code) == (9, 10, 1)


def test_infinite_loop_is_interrupted_at_the_limit(sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory) -> None:
    task = make_probe_task(
        {"test_loop.py": "def test_fast():\n    assert True\n\ndef test_loops_forever():\n    while True:\n        pass\n"},
        timeout_s=4,  # room for pytest to start and reach the loop on a loaded machine (2 s was not, in one CI run)
    )
    started = time.monotonic()
    result = sandbox.run(task, {}, "loop")
    assert result.timed_out and result.exit_code == 2, result  # pytest's "interrupted", after the SIGINT at the limit
    assert 4.0 <= result.duration_s < 4.0 + sandbox.limits.kill_grace_s + 3
    assert time.monotonic() - started < 10
    # SIGINT first: pytest still reports the tests that finished.
    assert {t.name: t.passed for t in result.tests}.get("test_loop.py::test_fast") is True


def test_run_ignoring_sigint_is_killed(sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory) -> None:
    task = make_probe_task(
        {
            "test_stubborn.py": """
            import signal, time
            def test_ignores_interrupt():
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                while True:
                    time.sleep(0.05)
            """
        },
        timeout_s=1.5,
    )
    result = sandbox.run(task, {}, "stubborn")
    assert result.timed_out and result.exit_code == 137
    assert [(t.passed, t.reason) for t in result.tests] == [(False, "hit the time limit")]
    assert result.duration_s < 1.5 + sandbox.limits.kill_grace_s + 3


def test_escaped_process_is_killed_at_the_limit(sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory) -> None:
    # A child in its own session holds the output pipe open: PID 1 kills every
    # process but itself at the limit, whatever its session, before it reads the results.
    task = make_probe_task(
        {
            "test_escape.py": """
            import subprocess, time
            def test_escapes():
                subprocess.Popen(["sleep", "1000"], start_new_session=True)
                time.sleep(1000)
            """
        },
        timeout_s=1,
        extra_pytest_args=("-s",),
    )
    started = time.monotonic()
    result = sandbox.run(task, {}, "escape")
    elapsed = time.monotonic() - started
    assert result.timed_out and result.exit_code is not None
    assert elapsed < 1 + sandbox.limits.kill_grace_s + 3


def test_network_is_unreachable(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, docker_client: Any
) -> None:
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen()
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    gateway = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0].get("Gateway", "172.17.0.1")
    targets = [("1.1.1.1", 53), ("127.0.0.1", port), (gateway, port), (socket.gethostbyname(socket.gethostname()), port)]
    task = make_probe_task(
        {
            "test_net.py": f"""
            import socket
            import pytest

            @pytest.mark.parametrize("address", {targets!r})
            def test_tcp_connect_fails(address):
                with pytest.raises(OSError):
                    socket.create_connection(address, timeout=2).close()

            def test_udp_send_fails():
                with pytest.raises(OSError):
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("1.1.1.1", 53))

            def test_name_resolution_fails():
                with pytest.raises(OSError):
                    socket.getaddrinfo("deb.debian.org", 80)

            def test_loopback_is_the_only_interface():
                assert [name for _, name in socket.if_nameindex()] == ["lo"]
            """
        }
    )
    try:
        result = sandbox.run(task, {}, "network")
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing from the sandbox ever reached the host
    finally:
        listener.close()
    assert result.all_passed, result.output_tail
    assert result.total == len(targets) + 3


def test_filesystem_is_read_only_but_for_a_capped_tmp(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory
) -> None:
    task = make_probe_task(
        {
            "test_fs.py": """
            import errno, os
            import pytest

            @pytest.mark.parametrize("path", ["/probe", "/etc/probe", "/usr/probe", "/root/probe", "/var/tmp/probe",
                                              "/home/probe", "/usr/lib/python3/dist-packages/probe.py", "/work/../probe"])
            def test_writing_outside_the_work_dir_fails(path):
                with pytest.raises(OSError):
                    with open(path, "w") as handle:
                        handle.write("x")

            def test_only_tmp_is_writable():
                with open("/tmp/probe.txt", "w") as handle:
                    handle.write("x")
                for path in ("/work/probe.txt", "/work/_eval_tests/probe.py", "/work/.harness/probe.py"):
                    with pytest.raises(PermissionError):
                        open(path, "w").close()

            def test_tmp_is_size_capped():
                with pytest.raises(OSError) as error:
                    with open("/tmp/big.bin", "wb") as handle:
                        for _ in range(100):
                            handle.write(b"\\0" * 2**20)
                assert error.value.errno == errno.ENOSPC
                os.remove("/tmp/big.bin")

            def test_unprivileged_without_capabilities():
                assert os.getuid() == os.geteuid() == 10001
                status = dict(line.split(":", 1) for line in open("/proc/self/status"))
                assert int(status["CapEff"], 16) == int(status["CapPrm"], 16) == int(status["CapAmb"], 16) == 0
                assert status["NoNewPrivs"].strip() == "1"
                open("/tmp/owned.txt", "w").close()
                with pytest.raises(PermissionError):
                    os.chown("/tmp/owned.txt", 0, 0)
                with pytest.raises(PermissionError):
                    open("/proc/1/mem", "rb")  # PID 1 (root) is out of reach
                with pytest.raises(PermissionError):
                    open("/proc/1/fd/2", "wb")
            """
        }
    )
    result = sandbox.run(task, {}, "filesystem")
    assert result.all_passed, result.output_tail
    assert result.total == 11


def test_fork_bomb_is_contained(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, host_monitor: type[HostMonitor]
) -> None:
    task = make_probe_task(
        {
            "test_bomb.py": """
            import os, time

            def test_fork_bomb():
                if os.fork() == 0:
                    try:
                        while True:
                            try:
                                os.fork()
                            except OSError:
                                pass
                    finally:
                        os._exit(0)
                time.sleep(2)
                assert len([pid for pid in os.listdir("/proc") if pid.isdigit()]) <= 128
            """
        },
        timeout_s=4,
    )
    with host_monitor() as monitor:
        started = time.monotonic()
        result = sandbox.run(task, {}, "fork-bomb")
        elapsed = time.monotonic() - started
    assert elapsed < 4 + sandbox.limits.kill_grace_s + sandbox.limits.host_grace_s + 2
    assert monitor.max_tick_gap_s < 2.0, "the host stalled"
    # The bomb starves pytest of the container's one CPU, so the run usually hits the limit.
    assert result.timed_out or result.all_passed


def test_memory_hog_is_contained(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, host_monitor: type[HostMonitor]
) -> None:
    task = make_probe_task(
        {
            "test_hog.py": """
            def test_eats_memory():
                hoard = []
                for _ in range(80):  # 4 GB, far above the 512 MB limit
                    hoard.append(bytearray(50 * 2**20))
            """
        },
        timeout_s=20,
    )
    with host_monitor() as monitor:
        result = sandbox.run(task, {}, "memory-hog")
    assert not result.timed_out and not result.all_passed
    assert result.exit_code == 137, result.output_tail  # the OOM killer's SIGKILL
    assert result.duration_s < 10
    assert monitor.max_tick_gap_s < 2.0 and monitor.max_rss_growth_bytes < 50 * 2**20


def test_huge_output_keeps_only_a_bounded_tail(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, host_monitor: type[HostMonitor]
) -> None:
    task = make_probe_task(
        {
            "test_noise.py": """
            import os

            def test_prints_100_mb():
                line = b"x" * 1023 + b"\\n"
                for _ in range(100 * 1024):
                    os.write(1, line)
                os.write(1, b"THE-END-OF-THE-OUTPUT\\n")
            """
        },
        extra_pytest_args=("-s",),
    )
    with host_monitor() as monitor:
        result = sandbox.run(task, {}, "noise")
    assert result.all_passed
    assert len(result.output_tail.encode()) <= sandbox.limits.output_tail_bytes
    assert "THE-END-OF-THE-OUTPUT" in result.output_tail
    assert monitor.max_rss_growth_bytes < 50 * 2**20


def test_missing_image_is_an_infrastructure_error(sandbox_image: str) -> None:
    from harness.sandbox import SandboxInfraError

    box = DockerSandbox(image="harness-sandbox:does-not-exist")
    with pytest.raises(SandboxInfraError, match="does-not-exist.*missing"):
        box.prepare()

    async def pooled() -> TestRunResult:
        return await SandboxPool(DockerSandbox(image="harness-sandbox:does-not-exist")).run(
            load_build_task(TASKS / "build-slugify"), {}, "no-image"
        )

    with pytest.raises(SandboxInfraError):
        asyncio.run(pooled())


def test_unreachable_daemon_is_an_infrastructure_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from harness.sandbox import SandboxInfraError

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    box = DockerSandbox(retries=1, retry_delay_s=0.01)
    with pytest.raises(SandboxInfraError, match="Docker"):
        box.prepare()
