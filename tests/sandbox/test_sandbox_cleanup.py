"""The Docker sandbox on the real engine: every container goes away, however a run ends."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from harness.sandbox import (
    LABEL_PID,
    LABEL_RUN_ID,
    DockerSandbox,
    SandboxPool,
    load_build_task,
    sweep_stale_containers,
)
from harness.sandbox._attach import ContainerStdio
from harness.sandbox._sweep import owner_labels

from ._helpers import (
    TASKS,
    ProbeTaskFactory,
    own_containers,
    wait_for_no_own_containers,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("no_leftover_containers")]



def _interrupt_after(real: Any, *, in_background: bool = False) -> Any:
    """`real`, then a Ctrl-C as the call returns: the daemon has done (or, `in_background`, is doing) the
    work, but the caller never hears back. Only the first call is interrupted."""
    calls = []

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) > 1:
            return real(*args, **kwargs)
        if in_background:
            threading.Thread(target=real, args=args, kwargs=kwargs, daemon=True).start()
            time.sleep(0.02)
        else:
            real(*args, **kwargs)
        raise KeyboardInterrupt

    return interrupted


@pytest.mark.parametrize("call", ["create_container", "remove_container"])
def test_keyboard_interrupt_inside_a_docker_call_leaves_no_container(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, docker_client: Any,
    monkeypatch: pytest.MonkeyPatch, call: str,
) -> None:
    """A Ctrl-C landing while the daemon creates the container (its id never returned) or removes it
    (the removal goes on after the request is cut) still ends with the container gone."""
    task = make_probe_task({"test_quick.py": "def test_quick():\n    assert True\n"})
    api = sandbox._clients()[0].api
    monkeypatch.setattr(api, call, _interrupt_after(getattr(api, call), in_background=call == "remove_container"))
    with pytest.raises(KeyboardInterrupt):
        sandbox.run(task, {}, f"ctrl-c-in-{call}")
    assert own_containers(docker_client) == []

def test_keyboard_interrupt_during_a_run_removes_the_container(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, docker_client: Any
) -> None:
    task = make_probe_task({"test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(60)\n"}, timeout_s=60)
    main_thread = threading.get_ident()

    def interrupt_when_running() -> None:
        deadline = time.monotonic() + 20
        while not own_containers(docker_client) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        signal.pthread_kill(main_thread, signal.SIGINT)

    threading.Thread(target=interrupt_when_running, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        sandbox.run(task, {}, "ctrl-c")
    assert time.monotonic() - started < 10
    assert own_containers(docker_client) == []


def test_exception_during_a_run_removes_the_container(
    sandbox: DockerSandbox, monkeypatch: pytest.MonkeyPatch, docker_client: Any
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        assert own_containers(docker_client), "the container exists while the run is under way"
        raise RuntimeError("boom")

    monkeypatch.setattr(ContainerStdio, "read_outcome", explode)
    task = load_build_task(TASKS / "build-slugify")
    with pytest.raises(RuntimeError, match="boom"):
        sandbox.run(task, {"slugify.py": ""}, "exception")
    assert own_containers(docker_client) == []


def test_cancelled_pool_run_kills_and_removes_the_container(
    sandbox: DockerSandbox, make_probe_task: ProbeTaskFactory, docker_client: Any
) -> None:
    task = make_probe_task({"test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(60)\n"}, timeout_s=60)

    async def run_then_cancel() -> None:
        run = asyncio.ensure_future(SandboxPool(sandbox).run(task, {}, "cancelled"))
        deadline = time.monotonic() + 20
        while not own_containers(docker_client) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    started = time.monotonic()
    asyncio.run(run_then_cancel())  # returns once the worker thread has finished
    assert wait_for_no_own_containers(docker_client, within_s=5) == []
    assert time.monotonic() - started < 10


def test_container_of_a_killed_harness_removes_itself(
    make_probe_task: ProbeTaskFactory, docker_client: Any, sandbox_image: str
) -> None:
    # SIGKILL leaves no finally-block: the container notices its stdin closing instead.
    task = make_probe_task({"test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(60)\n"}, timeout_s=60)
    script = (
        "import sys\nfrom pathlib import Path\nfrom harness.sandbox import DockerSandbox, load_build_task\n"
        "DockerSandbox(image=sys.argv[2]).run(load_build_task(Path(sys.argv[1])), {}, 'killed-harness')\n"
    )
    harness = subprocess.Popen([sys.executable, "-c", script, str(task.folder), sandbox_image])
    try:
        label = {"label": f"{LABEL_PID}={harness.pid}"}
        # The run's own container, not the one that collects the expected tests before it: a kill between
        # that one's end and the next one's start would leave a container that never ran, which nothing
        # inside can notice (the next harness's sweep removes it: test_stale_containers_of_dead_processes_are_swept).
        running_tests = {"label": [f"{LABEL_PID}={harness.pid}", f"{LABEL_RUN_ID}=killed-harness"]}
        deadline = time.monotonic() + 20
        while not docker_client.api.containers(filters=running_tests) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert docker_client.api.containers(filters=running_tests), "the run never started"
        time.sleep(0.5)
    finally:
        harness.kill()
        harness.wait()
    deadline = time.monotonic() + 10
    while docker_client.api.containers(all=True, filters=label) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert docker_client.api.containers(all=True, filters=label) == []


def test_stale_containers_of_dead_processes_are_swept(sandbox: DockerSandbox, docker_client: Any) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = {**owner_labels("stale"), LABEL_PID: str(finished.pid)}
    stale = docker_client.containers.create(sandbox.image, ["sleep", "60"], labels=dead)
    alive = docker_client.containers.create(sandbox.image, ["sleep", "60"], labels=owner_labels("alive"))
    try:
        removed = sweep_stale_containers(docker_client)
        assert stale.id in removed and alive.id not in removed
        remaining = {c.id for c in docker_client.containers.list(all=True, filters={"label": LABEL_PID})}
        assert stale.id not in remaining and alive.id in remaining
    finally:
        for container in (stale, alive):
            try:
                container.remove(force=True, v=True)
            except Exception:  # noqa: BLE001 - already swept
                pass
