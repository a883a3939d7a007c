"""Fixtures for the sandbox tests: the real Docker engine, the image, throwaway probe tasks."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.sandbox import DockerSandbox, SandboxLimits, build_image, load_build_task
from harness.tasks import BuildTask

from ._helpers import (
    TASKS,
    HostMonitor,
    ProbeTaskFactory,
    orphaned_containers,
    own_containers,
)


@pytest.fixture(scope="session")
def docker_client() -> Any:
    """The Docker engine; the only reason to skip is that there is no daemon at all."""
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker daemon: {exc}")
    return client


@pytest.fixture(scope="session")
def sandbox_image(docker_client: Any) -> str:
    """The default sandbox image, built offline first if it is missing (~1 minute, once)."""
    return build_image("offline", log=lambda line: print(f"[sandbox build] {line}")).tag


@pytest.fixture(scope="session")
def sandbox(sandbox_image: str) -> DockerSandbox:
    """A sandbox with short graces, so that timeout tests stay quick."""
    box = DockerSandbox(image=sandbox_image, limits=SandboxLimits(kill_grace_s=1.0, host_grace_s=3.0))
    box.prepare()
    return box


@pytest.fixture
def no_leftover_containers(docker_client: Any) -> Iterator[None]:
    """Fails the test if any container it made is still there afterwards."""
    yield
    left = own_containers(docker_client)
    for container_id in left:
        docker_client.api.remove_container(container_id, force=True, v=True)
    assert not left, f"sandbox containers left behind: {[c[:12] for c in left]}"


@pytest.fixture
def no_orphaned_containers(docker_client: Any) -> Iterator[None]:
    """Fails the test if a process it started (a CLI run) left a container behind."""
    yield
    left = orphaned_containers(docker_client)
    for container_id in left:
        docker_client.api.remove_container(container_id, force=True, v=True)
    assert not left, f"containers of finished processes left behind: {[c[:12] for c in left]}"


@pytest.fixture
def make_probe_task(tmp_path: Path) -> ProbeTaskFactory:
    """Writes a task folder whose hidden tests are `tests` ({file name: source}) and loads it."""

    def make(tests: dict[str, str], *, timeout_s: float = 20, extra_pytest_args: tuple[str, ...] = ()) -> BuildTask:
        folder = tmp_path / f"probe-{len(list(tmp_path.iterdir()))}"
        (folder / "tests").mkdir(parents=True)
        invocation = ["python3", "-m", "pytest", "_eval_tests/", "-v", "--tb=short", *extra_pytest_args]
        manifest = {"task_kind": "code", "entrypoint": "solution.py", "test_invocation": invocation, "timeout_s": timeout_s}
        (folder / "task.json").write_text(json.dumps(manifest))
        for name in ("PROMPT.md", "SPEC.md", "JUDGE_PROMPT.md", "JUDGE_RUBRIC.md"):
            (folder / name).write_text(f"# {name}\n")
        (folder / "tests" / "conftest.py").write_text((TASKS / "build-lru-cache" / "tests" / "conftest.py").read_text())
        for name, source in tests.items():
            (folder / "tests" / name).write_text(textwrap.dedent(source))
        return load_build_task(folder)

    return make


@pytest.fixture
def host_monitor() -> type[HostMonitor]:
    return HostMonitor
