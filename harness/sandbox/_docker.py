"""The Docker sandbox: one fresh, locked-down container per run, and the trusted verdict on it."""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from .._errors import SandboxInfraError, SandboxInputError
from ..tasks import RUNNER_OWNED_NAMES, BuildTask
from ._archive import Submission, read_submission_dir, read_tree_bytes
from ._attach import ContainerStdio, RunOutcome, TailBuffer
from ._container import container_options
from ._image import resolve_image
from ._models import SandboxLimits, TestCaseResult, TestRunResult
from ._needs import check_needs
from ._network import create_internal_network, remove_network
from ._payload import boot_command, build_payload, select_declared_files
from ._scan import scan_submission
from ._sweep import owner_labels, sweep_stale_containers
from ._task_image import ensure_task_image
from ._verdict import IntegrityLog, judge_run, read_report

__all__ = ["DockerSandbox"]


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


def _steers_runner(name: str) -> bool:
    """Whether a file could configure, start up or shadow the test runner if it reached the work tree."""
    base = name.rsplit("/", 1)[-1]
    module = name.split("/", 1)[0].removesuffix(".py")
    return base in RUNNER_OWNED_NAMES or base.endswith(".pth") or module in _SHADOWED or module in sys.stdlib_module_names


_SHADOWED = frozenset({"pytest", "_pytest", "pluggy", "py"})


class _ContainerRun:
    """What one container run gave back."""

    def __init__(self, outcome: RunOutcome, killed_from_host: bool, duration_s: float, output: str) -> None:
        self.outcome, self.killed_from_host, self.duration_s, self.output = outcome, killed_from_host, duration_s, output


class DockerSandbox:
    """Runs hidden tests in Docker: no network, read-only root, capped /work and /tmp, the tests and
    the submission under their own unprivileged uids, pid/memory/CPU limits, wall-clock limits
    inside and outside, and a verdict that the code under test cannot write.

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
        allow_network: bool = False,
    ) -> None:
        """`allow_network`: grant tasks that require "network" an internal network of the run's own (no route out)."""
        self.allow_network = allow_network
        self._task_images: dict[str, str] = {}
        self._task_image_lock = threading.Lock()
        self.limits = limits or SandboxLimits()
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self._requested_image = image
        self._image: str | None = None
        self._api_timeout_s = api_timeout_s
        self._client = client
        self._stream_client: Any = None
        self._lock = threading.Lock()
        self._expected: dict[str, list[str] | None] = {}
        self._expected_locks: dict[str, threading.Lock] = {}

    # Clients and image are made lazily so that constructing a sandbox never touches Docker.
    def _clients(self) -> tuple[Any, Any]:
        import docker

        with self._lock:
            if self._stream_client is None:
                try:
                    if self._client is None:
                        self._client = docker.from_env(timeout=int(self._api_timeout_s), max_pool_size=32)
                    # The result arrives only when the run ends, so reading the attach
                    # stream must not time out; the watchdog bounds it.
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
        limit_s = timeout_s if timeout_s is not None else task.timeout_s
        check_needs(task, self.allow_network)
        log = IntegrityLog()
        if task.needs("network"):
            log.notes.append("network: granted, an internal network of this run's own with no route out (sandbox.allow_network)")
        if task.packages:
            log.notes.append(f"image: {self.image_for(task)} ({', '.join(str(n) for n in task.packages)})")
        kept, ignored = select_declared_files(task, files)
        if ignored:
            steering = [name for name in ignored if _steers_runner(name)]
            if steering:
                log.add("suspicious", f"the submission carried test-runner files, ignored: {', '.join(steering)}")
            log.notes.append(f"files the task does not declare were ignored: {', '.join(ignored)}")
        for finding in scan_submission(kept):
            log.add("tampered" if task.isolation == "inprocess" else "suspicious", f"static scan: {finding}")
        expected = self.expected_test_ids(task, cancel)
        key = secrets.token_bytes(32)
        payload = build_payload(task, kept, mode="test", key_hex=key.hex(), limits=self.limits, limit_s=limit_s)
        container = self._run_with_retries(payload, run_id, limit_s, cancel, task)
        document = container.outcome.document
        if document is None:
            return self._without_document(task, container, expected, log)
        return judge_run(task, document, key, expected, log)

    def expected_test_ids(self, task: BuildTask, cancel: threading.Event | None = None) -> list[str] | None:
        """The hidden tests' node ids, collected once per task with its reference solution, in a sandbox.

        Without a reference, an empty entrypoint is collected; None when that does not
        collect either (the run's own collection is used then, and says so).
        """
        reference = read_submission_dir(task.reference_dir) if task.reference_dir is not None else None
        files = reference if reference is not None else {task.entrypoint: ""}
        fingerprint = hashlib.sha256(
            json.dumps(
                [
                    sorted((k, hashlib.sha256(v).hexdigest()) for k, v in read_tree_bytes(task.tests_dir).items()),
                    sorted(files.items()),
                    task.test_invocation,
                    task.isolation,
                    self.image_for(task),
                ]
            ).encode()
        ).hexdigest()
        with self._lock:
            lock = self._expected_locks.setdefault(fingerprint, threading.Lock())
        with lock:
            if fingerprint not in self._expected:
                self._expected[fingerprint] = self._collect(task, files, reference is not None, cancel)
            return self._expected[fingerprint]

    def _collect(
        self, task: BuildTask, files: Submission, is_reference: bool, cancel: threading.Event | None
    ) -> list[str] | None:
        key = secrets.token_bytes(32)
        payload = build_payload(task, files, mode="collect", key_hex=key.hex(), limits=self.limits, limit_s=task.timeout_s)
        container = self._run_with_retries(payload, f"collect-{task.task_id}", task.timeout_s, cancel, task)
        document = container.outcome.document or {}
        records = read_report(str(document.get("report") or ""), key).records
        collected = next((r.get("ids") for r in records if r.get("k") == "collected"), None)
        errors = [f"{r.get('id')}: {str(r.get('text', ''))[-500:]}" for r in records if r.get("k") == "collect_error"]
        if collected and not errors:
            return [str(node) for node in collected]
        if is_reference:
            why = "; ".join(errors) or f"exit status {document.get('exit_status')}: {str(document.get('output_tail', ''))[-800:]}"
            raise SandboxInputError(f"{task.folder}: the hidden tests do not collect with the reference solution ({why})")
        return None

    def _without_document(
        self, task: BuildTask, container: _ContainerRun, expected: list[str] | None, log: IntegrityLog
    ) -> TestRunResult:
        if container.killed_from_host:
            reason = "killed from the host at the time limit"
            log.notes.append(f"the sandbox did not answer in time and was {reason}")
        else:
            reason = "the sandbox ended without a result"
            log.add("error", container.outcome.error or f"{reason} (its PID 1 was killed, e.g. out of memory)")
        tests = [TestCaseResult(name=n.removeprefix("_eval_tests/"), passed=False, outcome="missing", reason=reason) for n in expected or []]
        return TestRunResult.from_tests(
            tests,
            exit_code=None,
            timed_out=container.killed_from_host,
            duration_s=round(container.duration_s, 3),
            output_tail=container.output,
            isolation=task.isolation,
            integrity=log.level,
            integrity_notes=log.notes,
        )

    def prepare_task(self, task: BuildTask) -> None:
        check_needs(task, self.allow_network)
        self.image_for(task)

    def image_for(self, task: BuildTask) -> str:
        """The base image, or for a task with `apt:`/`pip:` needs its derived image (built on first use)."""
        if not task.packages:
            return self.image
        base = self.image
        client, _ = self._clients()
        key = json.dumps([base, [str(n) for n in task.packages]])
        with self._task_image_lock:  # one build per recipe, however many runs wait for it
            if key not in self._task_images:
                self._task_images[key] = ensure_task_image(client, base, task.packages)
            return self._task_images[key]

    def _run_with_retries(
        self, payload: bytes, run_id: str, limit_s: float, cancel: threading.Event | None, task: BuildTask
    ) -> _ContainerRun:
        import docker

        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay_s * attempt)
            try:
                return self._run_once(payload, run_id, limit_s, cancel, self.image_for(task), task.needs("network"))
            except docker.errors.ImageNotFound as exc:
                self._image = None
                raise SandboxInfraError(f"sandbox image {self.image} disappeared during the run: {exc}") from exc
            except (docker.errors.DockerException, OSError) as exc:
                # requests' connection errors are OSErrors; all mean the sandbox, not the code, failed.
                last_error = exc
                if cancel is not None and cancel.is_set():
                    break
        raise SandboxInfraError(
            f"sandbox run {run_id!r} failed after {self.retries + 1} attempt(s): {last_error}"
        ) from last_error

    def _run_once(
        self, payload: bytes, run_id: str, limit_s: float, cancel: threading.Event | None, image: str, network: bool
    ) -> _ContainerRun:
        client, stream_client = self._clients()
        api = client.api
        network_id = create_internal_network(api, owner_labels(run_id)) if network else None
        try:
            return self._run_in_container(api, stream_client, payload, run_id, limit_s, cancel, image, network_id)
        finally:
            if network_id is not None:
                remove_network(api, network_id)

    def _run_in_container(
        self,
        api: Any,
        stream_client: Any,
        payload: bytes,
        run_id: str,
        limit_s: float,
        cancel: threading.Event | None,
        image: str,
        network_id: str | None,
    ) -> _ContainerRun:
        # A unique name finds the container again when a Ctrl-C lands while the daemon creates it.
        name = f"harness-sandbox-{secrets.token_hex(8)}"
        try:
            container_id: str = api.create_container(
                image, boot_command(), name=name, **container_options(api, self.limits, owner_labels(run_id), network_id)
            )["Id"]
        except BaseException:
            self._remove(api, name)
            raise
        output = TailBuffer(self.limits.output_tail_bytes)
        stdio: ContainerStdio | None = None
        try:
            stdio = ContainerStdio(stream_client.api, container_id)
            api.start(container_id)
            host_limit = limit_s + self.limits.kill_grace_s + self.limits.host_grace_s
            with _Watchdog(lambda: api.kill(container_id), host_limit, cancel) as watchdog:
                started = time.monotonic()
                stdio.send_payload(payload)
                outcome = stdio.read_outcome(output, self.limits.max_report_bytes * 3 + 2**20)
                duration_s = time.monotonic() - started
            if watchdog.fired and cancel is not None and cancel.is_set():
                raise SandboxInfraError(f"sandbox run {run_id!r} was cancelled")
            if outcome.document is None and not watchdog.fired:
                api.ping()  # the stream ended early: a dead daemon is an infra error, a dead container is not
        finally:
            # Remove first: closing stdin would make the container exit and remove itself
            # asynchronously, and the caller is promised it is gone when `run` returns.
            self._remove(api, container_id)
            if stdio is not None:
                stdio.close()
        return _ContainerRun(outcome, watchdog.fired, duration_s, output.text())

    @staticmethod
    def _wait_until_removed(api: Any, container_id: str, timeout_s: float = 30.0) -> None:
        """Wait for a removal already in progress to finish. Polled: a `wait` for the "removed"
        condition on a container whose removal has begun can return at once, before it is gone."""
        import docker

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                api.inspect_container(container_id)
            except docker.errors.NotFound:
                return
            except (docker.errors.DockerException, OSError):
                return  # the daemon is unwell: the sweep catches stragglers
            time.sleep(0.05)

    @staticmethod
    def _remove(api: Any, container_id: str) -> None:
        """Remove the container (and anything it holds). Runs in `finally`, also on KeyboardInterrupt.
        A container it cannot remove is left to `sweep_stale_containers`, not raised; a Ctrl-C that lands
        during the removal is raised only once the removal is finished (the daemon goes on removing)."""
        try:
            DockerSandbox._remove_once(api, container_id)
        except KeyboardInterrupt:
            DockerSandbox._remove_once(api, container_id)
            raise

    @staticmethod
    def _remove_once(api: Any, container_id: str) -> None:
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
