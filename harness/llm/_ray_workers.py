"""Call workers as Ray actors: the round's calls made on the nodes of its Ray cluster.

Each actor is an async Ray actor with an `AttemptRunner` and its share of the round's `concurrency`,
exactly as a worker process has (`_call_workers.py`); attempts and outcomes cross as JSON text. Ray
never makes an attempt again by itself (`max_task_retries=0`): an attempt lost with its actor or node
comes back as a retryable infrastructure failure, and the driver's retry policy decides. A lost actor
is restarted by Ray (at most `max_restarts` times) and takes attempts again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from typing import Any

from ..cluster import ClusterError, connect_ray
from ._attempt import AttemptCall, AttemptOutcome, AttemptRunner
from ._call_workers import split_concurrency

__all__ = ["CallActor", "RayCallWorkers"]

_log = logging.getLogger("harness.llm.ray")


class CallActor:
    """The body of one call actor (made a Ray actor class by `RayCallWorkers`)."""

    def __init__(self, share: int) -> None:
        self._share = share
        self._runner: AttemptRunner | None = None

    def _ready_runner(self) -> AttemptRunner:
        if self._runner is None:
            self._runner = AttemptRunner(self._share)
        return self._runner

    async def ready(self) -> dict[str, Any]:
        """Import LiteLLM; say where this actor runs and which harness it has."""
        import ray

        import harness

        self._ready_runner()
        context = ray.get_runtime_context()
        return {"node_id": context.get_node_id(), "pid": os.getpid(), "harness": harness.__version__}

    async def attempt(self, payload: str) -> str:
        outcome = await self._ready_runner().attempt(AttemptCall.model_validate_json(payload))
        return outcome.model_dump_json()

    async def close(self) -> float:
        """Flush and close; the actor's CPU seconds."""
        if self._runner is not None:
            await self._runner.aclose()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime


class RayCallWorkers:
    """`workers` Ray actors sharing `concurrency`, on the cluster at `address` (as `sandbox.address`)."""

    name = "ray"

    def __init__(self, workers: int, concurrency: int, *, address: str = "auto", local_docker_slots: int = 1, max_restarts: int = 3) -> None:
        self.shares = split_concurrency(concurrency, workers)
        self.address = address
        self.local_docker_slots = local_docker_slots
        self.max_restarts = max_restarts
        self.cpu_s = 0.0
        self.placement: list[dict[str, Any]] = []
        """Where each actor started: node id, pid, harness version."""
        self._actors: list[Any] = []
        self._in_hand: list[int] = []
        self._lock: asyncio.Lock | None = None
        self._ray: Any = None

    async def _started(self) -> list[Any]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._actors:
                self._ray = await asyncio.to_thread(connect_ray, self.address, local_docker_slots=self.local_docker_slots)
                actor_class = self._ray.remote(num_cpus=0, max_restarts=self.max_restarts, max_task_retries=0)(CallActor)
                actors = [
                    actor_class.options(max_concurrency=2 * share + 2, scheduling_strategy="SPREAD").remote(share)
                    for share in self.shares
                ]
                self.placement = list(await asyncio.gather(*(actor.ready.remote() for actor in actors)))
                _check_versions(self.placement)
                for index, where in enumerate(self.placement):
                    _log.info("call actor %d (share %d) on Ray node %s, pid %s", index, self.shares[index], where["node_id"], where["pid"])
                self._actors = actors
                self._in_hand = [0] * len(actors)
            return self._actors

    async def attempt(self, call: AttemptCall) -> AttemptOutcome:
        try:
            actors = await self._started()
        except ClusterError as exc:
            return AttemptOutcome.worker_lost(str(exc), retryable=False)
        index = min(range(len(actors)), key=lambda i: self._in_hand[i] / self.shares[i])
        self._in_hand[index] += 1
        ref = actors[index].attempt.remote(call.model_dump_json())
        try:
            payload = await ref
        except asyncio.CancelledError:
            self._ray.cancel(ref)
            raise
        except self._ray.exceptions.RayError as exc:  # the actor or its node was lost with the attempt
            where = self.placement[index]
            return AttemptOutcome.worker_lost(
                f"call actor {index} (node {str(where.get('node_id'))[:12]}) was lost with the attempt: {type(exc).__name__}",
                retryable=True,
            )
        finally:
            self._in_hand[index] -= 1
        return AttemptOutcome.model_validate_json(payload)

    async def aclose(self) -> None:
        if not self._actors:
            return
        results = await asyncio.gather(*(actor.close.remote() for actor in self._actors), return_exceptions=True)
        self.cpu_s = sum(r for r in results if isinstance(r, float))
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []


def _check_versions(placement: list[dict[str, Any]]) -> None:
    import harness

    differing = [p for p in placement if p.get("harness") != harness.__version__]
    if differing:
        where = ", ".join(f"node {str(p.get('node_id'))[:12]} has {p.get('harness')}" for p in differing)
        raise ClusterError(f"call actors need harness {harness.__version__} on every node: {where}")
