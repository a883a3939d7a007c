"""The Ray backend: each hidden-test run is a Ray task on a node that advertises the `docker` resource.

The container is the local backend's (`DockerSandbox`, called on the node by `_ray_node.node_run`);
only the placement differs. Files go in, a `TestRunResult` comes out: the run folder, the cassette and
every recording stay with the driver. Ray never retries a run by itself (`max_retries=0`,
`retry_exceptions=False`); when the node running it is lost, this backend runs it again, at most
`node_attempts` times in all, and says so in the run's notes. Ray is imported on first use only.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
import time
from typing import Any

from .._errors import SandboxInfraError, SandboxInputError
from ..cluster import DOCKER_RESOURCE, LOCAL_NODE_IP, ClusterError, connect_ray
from ..tasks import BuildTask
from ._archive import Submission
from ._models import SandboxLimits, TestRunResult
from ._needs import check_needs
from ._ray_node import NodeReply, NodeSettings, TaskBundle, node_prepare, node_run, sandbox_fingerprint

__all__ = ["DOCKER_RESOURCE", "LOCAL_NODE_IP", "RaySandbox"]

log = logging.getLogger("harness.sandbox.ray")
_NODE_ID = re.compile(r"node ID: ([0-9a-f]{12,})")


def _node_lost_errors() -> tuple[type[BaseException], ...]:
    """Ray's errors that mean the node (or the worker on it) went away, not that the run failed."""
    from ray import exceptions

    return (
        exceptions.NodeDiedError,
        exceptions.WorkerCrashedError,
        exceptions.ObjectLostError,
        exceptions.LocalRayletDiedError,
    )


class RaySandbox:
    """Runs hidden tests as Ray tasks, each in a fresh container of a node advertising `docker`.

    `address`: `auto` (join the running cluster: `RAY_ADDRESS`, or the one started on this machine),
    `local` (start a Ray of this process's own, with `local_slots` units of `docker`), a GCS address
    `host:port`, or a Ray Client address `ray://host:port`. Thread-safe, like `DockerSandbox`.
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        allow_network: bool = False,
        image: str | None = None,
        limits: SandboxLimits | None = None,
        node_attempts: int = 3,
        node_wait_s: float = 120.0,
        local_slots: int | None = None,
    ) -> None:
        """`node_attempts`: runs of one submission in all when nodes are lost; `node_wait_s`: how long a run
        waits while no node advertises `docker` before it fails (resumable)."""
        self.address = address or "auto"
        self.allow_network = allow_network
        self.node_attempts = max(1, node_attempts)
        self.node_wait_s = node_wait_s
        self.local_slots = local_slots or os.cpu_count() or 1
        self._settings = NodeSettings(
            allow_network=allow_network, image=image, limits=limits or SandboxLimits(), fingerprint=sandbox_fingerprint()
        )
        self._bundles: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._remote_run: Any = None
        self._remote_prepare: Any = None

    # Connection ---------------------------------------------------------------------------------

    def _connect(self) -> Any:
        try:
            ray = connect_ray(self.address, local_docker_slots=self.local_slots)
        except ClusterError as exc:
            raise SandboxInfraError(str(exc)) from exc
        with self._lock:
            if self._remote_run is None:
                # A unit of `docker` per run; no CPU accounted (the container has its own limits); Ray retries nothing.
                place = ray.remote(num_cpus=0, resources={DOCKER_RESOURCE: 1}, max_retries=0, retry_exceptions=False)
                self._remote_run = place(node_run)
                self._remote_prepare = place(node_prepare)
        return ray

    def docker_nodes(self) -> list[dict[str, Any]]:
        """The alive nodes of the cluster that advertise the `docker` resource."""
        ray = self._connect()
        return [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get(DOCKER_RESOURCE, 0) > 0]

    # SandboxBackend -----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Connect, check that some node advertises `docker`, and check (or build) each such node's sandbox."""
        nodes = self.docker_nodes()
        deadline = time.monotonic() + min(self.node_wait_s, 15.0)
        while not nodes and time.monotonic() < deadline:  # a node that is starting gets a moment to register
            time.sleep(0.5)
            nodes = self.docker_nodes()
        if not nodes:
            raise SandboxInfraError(
                f"no node of the Ray cluster at {self.address!r} advertises the {DOCKER_RESOURCE!r} resource: on a machine "
                f"with Docker and the harness, run `ray start --address HEAD:PORT --resources '{{\"{DOCKER_RESOURCE}\": 2}}'`"
            )
        self._on_each_node(nodes, None)

    def prepare_task(self, task: BuildTask) -> None:
        """Check the task's needs here, ship its files once, and build derived images on every node that runs it."""
        check_needs(task, self.allow_network)
        bundle = self._bundle(task)
        if task.packages:
            self._on_each_node(self.docker_nodes(), bundle)

    def _on_each_node(self, nodes: list[dict[str, Any]], bundle: Any) -> None:
        ray = self._connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        refs = {
            node["NodeID"]: self._remote_prepare.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
                name=f"harness-sandbox prepare {node['NodeManagerAddress']}",
            ).remote(self._settings, bundle)
            for node in nodes
        }
        for node_id, ref in refs.items():
            try:
                reply: NodeReply = ray.get(ref)
            except _node_lost_errors() as exc:
                log.warning("sandbox node %s was lost while being prepared: %s", node_id[:12], exc)
                continue  # gone already: runs go to the nodes that remain
            except ray.exceptions.RayError as exc:
                raise SandboxInfraError(f"sandbox node {node_id[:12]} could not be prepared: {exc}") from exc
            _raise_error(reply)
            log.info("sandbox node ready: %s", reply.node.describe())

    def _bundle(self, task: BuildTask) -> Any:
        """The task's files in Ray's object store, put there once per task and round."""
        ray = self._connect()
        bundle = TaskBundle.of(task)
        with self._lock:
            if bundle.digest not in self._bundles:
                self._bundles[bundle.digest] = ray.put(bundle)
            return self._bundles[bundle.digest]

    def run(
        self,
        task: BuildTask,
        files: Submission,
        run_id: str,
        *,
        cancel: threading.Event | None = None,
        timeout_s: float | None = None,
    ) -> TestRunResult:
        """Run the hidden tests on a `docker` node (blocking); a lost node means the run is made again."""
        check_needs(task, self.allow_network)
        bundle = self._bundle(task)
        label = f"{task.task_id}#{next(self._counter)}"
        lost: list[str] = []
        for attempt in range(1, self.node_attempts + 1):
            ref = self._remote_run.options(name=f"harness-sandbox {label} attempt {attempt}").remote(
                self._settings, bundle, dict(files), run_id, timeout_s
            )
            try:
                reply = self._await(ref, label, cancel)
            except _node_lost_errors() as exc:
                match = _NODE_ID.search(str(exc))
                where = f"Ray node {match.group(1)[:12]}" if match else "its Ray node"
                lost.append(f"{where} ({type(exc).__name__})")
                log.warning("sandbox run %s: %s was lost (attempt %d of %d)", label, where, attempt, self.node_attempts)
                continue
            _raise_error(reply)
            assert reply.result is not None
            log.info("sandbox run %s done on %s (attempt %d)", label, reply.node.describe(), attempt)
            if not lost:
                return reply.result
            note = (
                f"sandbox: the run was lost with {', then '.join(lost)} and made again; "
                f"this result is of attempt {attempt} of at most {self.node_attempts}"
            )
            return reply.result.model_copy(update={"integrity_notes": [note, *reply.result.integrity_notes]})
        raise SandboxInfraError(
            f"sandbox run {label} was lost with its node {self.node_attempts} times ({'; '.join(lost)}); not scored"
        )

    def _await(self, ref: Any, label: str, cancel: threading.Event | None) -> NodeReply:
        """The node's reply; gives up (cancelling the task) on `cancel`, or after `node_wait_s` without a `docker` node."""
        ray = self._connect()
        no_node_since: float | None = None
        next_check = time.monotonic() + 2.0
        while True:
            ready, _ = ray.wait([ref], timeout=0.25)
            if ready:
                try:
                    reply: NodeReply = ray.get(ref)
                except _node_lost_errors():
                    raise
                except ray.exceptions.RayError as exc:
                    raise SandboxInfraError(f"sandbox run {label} failed on its Ray node: {exc}") from exc
                return reply
            if cancel is not None and cancel.is_set():
                ray.cancel(ref)
                raise SandboxInfraError(f"sandbox run {label} was cancelled")
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 2.0
                if self.docker_nodes():
                    no_node_since = None
                else:
                    no_node_since = no_node_since or now
                    if now - no_node_since >= self.node_wait_s:
                        ray.cancel(ref)
                        raise SandboxInfraError(
                            f"sandbox run {label}: no node of the Ray cluster advertised {DOCKER_RESOURCE!r} "
                            f"for {self.node_wait_s:.0f} s; not scored, run again to resume"
                        )


def _raise_error(reply: NodeReply) -> None:
    if reply.error_kind == "input":
        raise SandboxInputError(reply.error or "the sandbox refused the input")
    if reply.error_kind == "infra":
        raise SandboxInfraError(reply.error or f"sandbox node {reply.node.describe()} failed")
