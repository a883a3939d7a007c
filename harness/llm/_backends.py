"""The registry of call backends: where a round's attempts are made, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._attempt import AttemptRunner, CallBackend

__all__ = ["CALL_BACKENDS", "CallWorkersSpec", "make_call_backend"]


@dataclass(frozen=True)
class CallWorkersSpec:
    """What a call backend is made from (each backend takes what it needs)."""

    workers: int
    concurrency: int
    secret_env_names: tuple[str, ...] = ()
    """Variables holding API keys: kept out of worker processes' environments (keys go with each attempt)."""
    models: tuple[str, ...] = ()
    """The LiteLLM model strings the round calls (workers warm LiteLLM up for them before the round)."""
    address: str = "auto"
    """Ray only: the cluster."""
    local_docker_slots: int = 1
    """Ray only: `docker` units of a Ray that `address: local` starts (shared with the sandbox backend)."""


def _loop(spec: CallWorkersSpec) -> CallBackend:
    return AttemptRunner(spec.concurrency)


def _process(spec: CallWorkersSpec) -> CallBackend:
    from ._call_workers import ProcessCallWorkers

    return ProcessCallWorkers(
        spec.workers, spec.concurrency, secret_env_names=spec.secret_env_names, warm_models=spec.models
    )


def _ray(spec: CallWorkersSpec) -> CallBackend:
    from ._ray_workers import RayCallWorkers

    return RayCallWorkers(spec.workers, spec.concurrency, address=spec.address, local_docker_slots=spec.local_docker_slots)


CALL_BACKENDS: dict[str, Callable[[CallWorkersSpec], CallBackend]] = {"loop": _loop, "process": _process, "ray": _ray}
"""Call backends by name: `loop` (the driver's own event loop), `process` (local worker processes), `ray` (Ray actors)."""


def make_call_backend(name: str, spec: CallWorkersSpec) -> CallBackend:
    try:
        factory = CALL_BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown call backend {name!r}; known: {', '.join(sorted(CALL_BACKENDS))}") from None
    return factory(spec)
