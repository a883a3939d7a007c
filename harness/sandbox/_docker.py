"""The Docker sandbox: one fresh, locked-down container per submission."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from ..tasks import BuildTask
from ._archive import HIDDEN_TESTS_DIR, Submission, build_work_tree_tar
from ._attach import ContainerStdio, TailBuffer
from ._container import container_command, container_options
from ._errors import SandboxInfraError
from ._image import SANDBOX_UID, resolve_image
from ._junit import parse_junit_report
from ._models import SandboxLimits, TestCaseResult, TestRunResult
from ._sweep import owner_labels, sweep_stale_containers

__all__ = ["DockerSandbox"]

_TIMEOUT_EXIT_CODES = (124, 137)  # `timeout`: limit reached; limit reached and SIGKILL needed


class _Watchdog:
    """Kills the container when the run outlives its deadline or is cancelled (host-side limit)."""

    def __init__(self, kill: Callable[[], object], seconds: float, cancel: threading.Event | None) -> None:
        self._kill, self._seconds, self._cancel = kill, seconds, cancel
        self._finished = threading.Event()
        self.fired = False
        self._thread = threading.Thread(target=self._watch, name="sandbox-watchdog", daemon=True)

    def _watch(self) -> None:
        deadline = time.monotonic() + self._seconds
        while not self._finished.wait(0.05):
            if time.monotonic() >= deadline or (self._cancel is not None and self._cancel.is_set()):
                self.fired = True
                try:
                    self._kill()
                except Exception:  # noqa: BLE001 - the container may be gone already
                    pass
                return

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._finished.set()
        self._thread.join()


class DockerSandbox:
    """Runs hidden tests in Docker: no network, read-only root, capped /work and /tmp,
    non-root, no capabilities, pid/memory/CPU limits, wall-clock limit inside and outside.

    Thread-safe: `SandboxPool` calls `run` from several threads at once.
    """

    name = "docker"

    def __init__(
        self,
        *,
        image: str | None = None,
        limits: SandboxLimits | None = None,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        api_timeout_s: float = 60.0,
        client: Any = None,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self._requested_image = image
        self._image: str | None = None
        self._api_timeout_s = api_timeout_s
        self._client = client
        self._stream_client: Any = None
        self._lock = threading.Lock()

    # Clients and image are made lazily so that constructing a sandbox never touches Docker.
    def _clients(self) -> tuple[Any, Any]:
        import docker

        with self._lock:
            if self._stream_client is None:
                try:
                    if self._client is None:
                        self._client = docker.from_env(timeout=int(self._api_timeout_s), max_pool_size=32)
                    # Test output arrives only when the run ends (it goes through `tail`),
                    # so reading the attach stream must not time out; the watchdog bounds it.
                    self._stream_client = docker.from_env(timeout=None, max_pool_size=32)
                except docker.errors.DockerException as exc:
                    raise SandboxInfraError(f"Docker daemon not reachable: {exc}") from exc
            return self._client, self._stream_client

    @property
    def image(self) -> str:
        """The image runs use (resolved on first use; SandboxInfraError if missing)."""
        if self._image is None:
            client, _ = self._clients()
            self._image = resolve_image(client, self._requested_image)
        return self._image

    def prepare(self) -> None:
        """Check daemon and image, and remove containers left by dead harness processes."""
        import docker

        client, _ = self._clients()
        try:
            client.ping()
            sweep_stale_containers(client)
        except docker.errors.DockerException as exc:
            raise SandboxInfraError(f"Docker daemon not usable: {exc}") from exc
        _ = self.image

    def run(
        self,
        task: BuildTask,
        files: Submission,
        run_id: str,
        *,
        cancel: threading.Event | None = None,
        timeout_s: float | None = None,
    ) -> TestRunResult:
        """Run `task`'s hidden tests against `files` in a fresh container (blocking).

        Docker failures are retried `retries` times, then raised as SandboxInfraError.
        """
        import docker

        limit_s = timeout_s if timeout_s is not None else task.timeout_s
        work_tree = build_work_tree_tar(
            files, task.tests_dir, uid=SANDBOX_UID, gid=SANDBOX_UID, max_bytes=self.limits.work_dir_mb * 2**20
        )
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay_s * attempt)
            try:
                return self._run_once(task, work_tree, run_id, limit_s, cancel)
            except docker.errors.ImageNotFound as exc:
                self._image = None
                raise SandboxInfraError(
                    f"sandbox image {self.image} disappeared during the run: {exc}"
                ) from exc
            except (docker.errors.DockerException, OSError) as exc:
                # requests' connection errors are OSErrors; all mean the sandbox, not the code, failed.
                last_error = exc
                if cancel is not None and cancel.is_set():
                    break
        raise SandboxInfraError(
            f"sandbox run {run_id!r} failed after {self.retries + 1} attempt(s): {last_error}"
        ) from last_error

    def _run_once(
        self, task: BuildTask, work_tree: bytes, run_id: str, limit_s: float, cancel: threading.Event | None
    ) -> TestRunResult:
        client, stream_client = self._clients()
        api = client.api
        container_id: str = api.create_container(
            self.image,
            container_command(task.test_invocation, limit_s, self.limits),
            **container_options(api, self.limits, owner_labels(run_id)),
        )["Id"]
        output = TailBuffer(self.limits.output_tail_bytes)
        stdio: ContainerStdio | None = None
        try:
            stdio = ContainerStdio(stream_client.api, container_id)
            api.start(container_id)
            host_limit = limit_s + self.limits.kill_grace_s + self.limits.host_grace_s
            with _Watchdog(lambda: api.kill(container_id), host_limit, cancel) as watchdog:
                started = time.monotonic()
                stdio.send_work_tree(work_tree)
                outcome = stdio.read_outcome(output, self.limits.max_report_bytes)
                duration_s = time.monotonic() - started
            if watchdog.fired and cancel is not None and cancel.is_set():
                raise SandboxInfraError(f"sandbox run {run_id!r} was cancelled")
            if outcome.exit_code is None and not watchdog.fired:
                api.ping()  # the stream ended early: a dead daemon is an infra error, a dead container is not
        finally:
            # Remove first: closing stdin would make the container exit and remove itself
            # asynchronously, and the caller is promised it is gone when `run` returns.
            self._remove(api, container_id)
            if stdio is not None:
                stdio.close()
        exit_code = outcome.exit_code
        timed_out = watchdog.fired or (exit_code in _TIMEOUT_EXIT_CODES and duration_s >= limit_s)
        return TestRunResult.from_tests(
            self._tests_in_report(outcome.report, task) or [],
            exit_code=exit_code,
            timed_out=timed_out,
            duration_s=round(duration_s, 3),
            output_tail=output.text(),
        )

    @staticmethod
    def _tests_in_report(report: bytes | None, task: BuildTask) -> list[TestCaseResult] | None:
        if not report:
            return None  # the tests never got to write one
        modules = [p.relative_to(task.tests_dir).as_posix() for p in task.tests_dir.rglob("*.py")]
        return parse_junit_report(report, prefix=HIDDEN_TESTS_DIR, module_paths=modules)

    @staticmethod
    def _wait_until_removed(api: Any, container_id: str, timeout_s: int = 30) -> None:
        import docker

        try:
            api.wait(container_id, timeout=timeout_s, condition="removed")
        except (docker.errors.DockerException, OSError):
            pass  # gone already, or the daemon is slow: the sweep catches stragglers

    @staticmethod
    def _remove(api: Any, container_id: str) -> None:
        """Remove the container (and anything it holds). Runs in `finally`, also on KeyboardInterrupt,
        so it never raises: a container it cannot remove is left to `sweep_stale_containers`."""
        import docker

        error: Exception | None = None
        for attempt in range(3):
            try:
                api.remove_container(container_id, force=True, v=True)
                return
            except docker.errors.NotFound:
                return  # removed itself already (auto_remove)
            except docker.errors.APIError as exc:
                if exc.status_code == 409:  # already being removed (auto_remove after an exit or kill)
                    DockerSandbox._wait_until_removed(api, container_id)
                    return
                error = exc
            except OSError as exc:
                error = exc
            time.sleep(0.2 * (attempt + 1))
        warnings.warn(f"could not remove sandbox container {container_id[:12]}: {error}", stacklevel=2)
