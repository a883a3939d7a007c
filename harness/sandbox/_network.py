"""Networks for tasks that require one: internal, of one run's own, removed with the run."""

from __future__ import annotations

import uuid
import warnings
from typing import Any

__all__ = ["NETWORK_PREFIX", "create_internal_network", "remove_network"]

NETWORK_PREFIX = "harness-sandbox-net-"


def create_internal_network(api: Any, labels: dict[str, str]) -> str:
    """An `internal` bridge network (no route out of the machine) that only this run's container joins.

    One per run, so two submissions running at once cannot reach each other.
    """
    created = api.create_network(f"{NETWORK_PREFIX}{uuid.uuid4().hex[:16]}", driver="bridge", internal=True, labels=labels)
    network_id: str = created["Id"]
    return network_id


def remove_network(api: Any, network_id: str) -> None:
    """Remove a run's network; never raises (a leftover is removed by the sweep)."""
    import docker

    try:
        api.remove_network(network_id)
    except docker.errors.NotFound:
        pass
    except (docker.errors.APIError, OSError) as exc:
        warnings.warn(f"could not remove sandbox network {network_id[:12]}: {exc}", stacklevel=2)
