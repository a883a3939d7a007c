"""What a Ray node runs for the Ray backend: the local Docker sandbox, fed with files the driver ships.

The container code is `DockerSandbox`'s, unchanged; this module only rebuilds the task on the node
(its hidden tests and reference solution, written to a node-local folder), makes sure the node holds
the sandbox image, and hands back a `NodeReply`. Nothing here imports Ray at module level: the same
functions run without Ray (a plain call, as the tests do for the refusal paths).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import tempfile
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .._errors import SandboxInfraError, SandboxInputError
from ..tasks import BuildTask
from ._archive import Submission, read_tree_bytes
from ._docker import DockerSandbox
from ._image import IMAGE_ENV_VAR, OFFLINE_RECIPE, resolve_image
from ._models import SandboxLimits, TestRunResult

__all__ = ["NodeInfo", "NodeReply", "NodeSettings", "TaskBundle", "node_prepare", "node_run", "sandbox_fingerprint"]

_RUNTIME_DIR = Path(__file__).resolve().parent / "_runtime"


def sandbox_fingerprint() -> str:
    """The image recipe's tag and a hash of the in-container runtime: equal on two hosts, same sandbox."""
    digest = hashlib.sha256()
    for path in sorted(_RUNTIME_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{OFFLINE_RECIPE.tag} runtime {digest.hexdigest()[:12]}"


class NodeSettings(BaseModel):
    """How the driver wants the node's sandbox set up (the same settings as a local `DockerSandbox`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allow_network: bool = False
    """Grant tasks that require "network" an internal network of the run's own (`sandbox.allow_network`)."""
    image: str | None = None
    """An image asked for by name; None: the node resolves the default image as `harness sandbox build` tags it."""
    limits: SandboxLimits = Field(default_factory=SandboxLimits)
    """Resource limits of each container."""
    fingerprint: str
    """The driver's `sandbox_fingerprint()`: a node whose own differs runs another harness and refuses."""


class NodeInfo(BaseModel):
    """Where a run ran: for logs and messages, never for published files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: str | None = None
    """The Ray node id (hex); None outside Ray."""
    hostname: str
    """Host name of the node."""
    pid: int
    """Pid of the worker process that ran the container."""

    def describe(self) -> str:
        node = f"Ray node {self.node_id[:12]}" if self.node_id else "no Ray node"
        return f"{self.hostname} ({node}, pid {self.pid})"


class NodeReply(BaseModel):
    """What a node hands back: the run's result, or why there is none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node: NodeInfo
    """The node that answered."""
    result: TestRunResult | None = None
    """The run's result, as the local backend returns it; None for a preparation or an error."""
    error_kind: Literal["input", "infra"] | None = None
    """`input`: the submission or task cannot be put into the sandbox; `infra`: the node's sandbox failed."""
    error: str | None = None
    """The message of that error, naming the node."""


class TaskBundle(BaseModel):
    """A build task as shipped to a node: the loaded task and the bytes of its hidden tests and reference."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: BuildTask
    """The task as the driver loaded it (its folder paths are the driver's)."""
    tests: dict[str, bytes]
    """Relative path -> bytes of every file under the task's `tests/`."""
    reference: dict[str, bytes] | None
    """The same for `reference/`; None when the task has none."""
    digest: str
    """Hash of the task and its files: the name of the node-local copy."""

    @classmethod
    def of(cls, task: BuildTask) -> TaskBundle:
        tests = read_tree_bytes(task.tests_dir)
        reference = read_tree_bytes(task.reference_dir) if task.reference_dir is not None else None
        digest = hashlib.sha256(task.model_dump_json().encode())
        for name, files in (("tests", tests), ("reference", reference or {})):
            for path in sorted(files):
                digest.update(f"{name}/{path}\0".encode() + hashlib.sha256(files[path]).digest())
        return cls(task=task, tests=tests, reference=reference, digest=digest.hexdigest()[:32])

    def materialize(self) -> BuildTask:
        """The task with `tests_dir` and `reference_dir` pointing at a node-local copy (written once per node)."""
        root = Path(tempfile.gettempdir()) / "harness-ray-tasks" / self.digest
        if not root.is_dir():
            root.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{self.digest}-", dir=root.parent))
            for name, files in (("tests", self.tests), ("reference", self.reference)):
                (staging / name).mkdir()
                for path, data in (files or {}).items():
                    target = staging / name / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            try:
                staging.rename(root)
            except OSError:  # another worker of this node wrote it first
                if not root.is_dir():
                    raise
        reference_dir = root / "reference" if self.reference is not None else None
        return self.task.model_copy(update={"tests_dir": root / "tests", "reference_dir": reference_dir})


_SANDBOXES: dict[str, DockerSandbox] = {}
_SANDBOX_LOCK = threading.Lock()


def _this_node() -> NodeInfo:
    node_id: str | None = None
    try:
        import ray

        if ray.is_initialized():
            node_id = ray.get_runtime_context().get_node_id()
    except ImportError:  # pragma: no cover - ray is a dependency
        pass
    return NodeInfo(node_id=node_id, hostname=socket.gethostname(), pid=os.getpid())


def _image_missing(settings: NodeSettings) -> bool:
    """Whether this host's Docker engine answers but holds no sandbox image to run in."""
    import docker

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException:
        return False  # no engine: `prepare` says so
    try:
        resolve_image(client, settings.image)
    except SandboxInfraError:
        return True
    return False


def _build_image(settings: NodeSettings, node: NodeInfo) -> None:
    """Build the default image (offline recipe) on this node, one build per host; refuse naming the node."""
    if settings.image or os.environ.get(IMAGE_ENV_VAR):
        asked = settings.image or os.environ.get(IMAGE_ENV_VAR)
        raise SandboxInfraError(f"sandbox node {node.describe()} lacks the sandbox image {asked} (asked for by name)")
    from ._image_build import build_image

    lock_path = Path(tempfile.gettempdir()) / "harness-sandbox-image.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker on this host may be building it already
        try:
            build_image("offline", log=lambda line: print(f"[sandbox build] {line}", flush=True))
        except Exception as exc:
            raise SandboxInfraError(
                f"sandbox node {node.describe()} lacks the sandbox image {OFFLINE_RECIPE.tag} and could not build it "
                f"({exc}); run `harness sandbox build --offline` on that node"
            ) from exc
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sandbox(settings: NodeSettings, node: NodeInfo) -> DockerSandbox:
    """This worker's sandbox for `settings`, checked and prepared once (daemon, image, sweep of stale containers)."""
    key = settings.model_dump_json()
    with _SANDBOX_LOCK:
        box = _SANDBOXES.get(key)
        if box is None:
            own = sandbox_fingerprint()
            if own != settings.fingerprint:
                raise SandboxInfraError(
                    f"sandbox node {node.describe()} runs another harness sandbox ({own}) than the driver "
                    f"({settings.fingerprint}): install the driver's harness version on that node"
                )
            if _image_missing(settings):
                _build_image(settings, node)
            box = DockerSandbox(image=settings.image, limits=settings.limits, allow_network=settings.allow_network)
            box.prepare()
            _SANDBOXES[key] = box
        return box


def _failure(node: NodeInfo, kind: Literal["input", "infra"], exc: Exception) -> NodeReply:
    message = str(exc)
    if kind == "infra" and node.hostname not in message:
        message = f"sandbox node {node.describe()}: {message}"
    return NodeReply(node=node, error_kind=kind, error=message)


def node_prepare(settings: NodeSettings, bundle: TaskBundle | None = None) -> NodeReply:
    """Check this node's sandbox (building its image if missing) and, with a task, what the task needs."""
    node = _this_node()
    try:
        box = _sandbox(settings, node)
        if bundle is not None:
            box.prepare_task(bundle.materialize())
    except SandboxInputError as exc:
        return _failure(node, "input", exc)
    except SandboxInfraError as exc:
        return _failure(node, "infra", exc)
    return NodeReply(node=node)


def node_run(settings: NodeSettings, bundle: TaskBundle, files: Submission, run_id: str, timeout_s: float | None) -> NodeReply:
    """One hidden-test run in this node's Docker sandbox: the local backend's `run`, result handed back."""
    node = _this_node()
    try:
        result = _sandbox(settings, node).run(bundle.materialize(), files, run_id, timeout_s=timeout_s)
    except SandboxInputError as exc:
        return _failure(node, "input", exc)
    except SandboxInfraError as exc:
        return _failure(node, "infra", exc)
    return NodeReply(node=node, result=result)
