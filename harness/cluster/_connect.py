"""Join (or start) the Ray cluster of a round, once per process, whichever part of the round asks first."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

from .._errors import HarnessError

__all__ = ["DOCKER_RESOURCE", "LOCAL_NODE_IP", "ClusterError", "connect_ray"]

DOCKER_RESOURCE = "docker"
"""The custom Ray resource of nodes that have a Docker engine and the sandbox image: one unit per run at once."""

LOCAL_NODE_IP = "127.0.0.2"
"""The address of the Ray that `address: local` starts (Linux): loopback, so nothing of it is reachable from outside."""

_CONNECT_LOCK = threading.Lock()


class ClusterError(HarnessError):
    """The Ray cluster cannot be reached or started."""


def connect_ray(address: str, *, local_docker_slots: int) -> Any:
    """The `ray` module, connected to `address` (`auto`, `local`, `host:port`, `ray://host:port`).

    `local` starts a Ray of this process's own on loopback, advertising `local_docker_slots` units
    of `docker`. A process already connected stays on its cluster.
    """
    import ray

    with _CONNECT_LOCK:
        if ray.is_initialized():
            return ray
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no report leaves the machine
        common: dict[str, Any] = {"namespace": "harness", "log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if address == "local":
                if sys.platform == "linux":
                    # A Ray of the round's own talks on loopback only. Ray turns 127.0.0.1 into the
                    # host's routable address, and keeps another loopback address as given.
                    common["_node_ip_address"] = LOCAL_NODE_IP
                _init_in_owner_thread(  # "local": a new Ray even where this machine runs one already
                    address="local", resources={DOCKER_RESOURCE: float(local_docker_slots)}, include_dashboard=False, **common
                )
            else:
                ray.init(address=address, **common)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc
    return ray


def _init_in_owner_thread(**options: Any) -> None:
    """`ray.init` that starts Ray's processes, from a thread that lives as long as this process.

    Ray starts them with PR_SET_PDEATHSIG, which fires when the *thread* that started them ends: started
    from a worker thread of the round, Ray would be killed with it.
    """
    import ray

    started = threading.Event()
    failure: list[BaseException] = []

    def own() -> None:
        try:
            ray.init(**options)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            failure.append(exc)
        finally:
            started.set()
        if not failure:
            threading.Event().wait()

    threading.Thread(target=own, name="harness-ray-owner", daemon=True).start()
    started.wait()
    if failure:
        raise failure[0]
