"""Container ownership labels, and removal of containers whose owning process is gone."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

__all__ = [
    "LABEL_RUN_ID",
    "LABEL_PID",
    "LABEL_PID_START",
    "LABEL_HOST",
    "owner_labels",
    "owner_is_alive",
    "sweep_stale_containers",
]

LABEL_RUN_ID = "harness.run_id"
LABEL_PID = "harness.pid"
"""Every sandbox container carries this label: the pid of the harness process that made it."""
LABEL_PID_START = "harness.pid_start"
"""Start time of that process (guards against a reused pid)."""
LABEL_HOST = "harness.host"
"""Host name of that process: pids only mean something on the same host."""


def _process_start_time(pid: int) -> str | None:
    """Start time of `pid` in clock ticks since boot (Linux), None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_labels(run_id: str) -> dict[str, str]:
    """Labels naming this process as the owner of a container made for `run_id`."""
    pid = os.getpid()
    return {
        LABEL_RUN_ID: run_id,
        LABEL_PID: str(pid),
        LABEL_PID_START: _process_start_time(pid) or "",
        LABEL_HOST: socket.gethostname(),
    }


def owner_is_alive(labels: dict[str, str]) -> bool:
    """Whether the process that labelled a container still runs (assumed so on another host)."""
    if labels.get(LABEL_HOST, socket.gethostname()) != socket.gethostname():
        return True
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    if pid <= 0 or not _pid_exists(pid):
        return False
    recorded_start = labels.get(LABEL_PID_START)
    if not recorded_start or not Path("/proc").is_dir():
        return True
    return _process_start_time(pid) == recorded_start


def sweep_stale_containers(client: Any = None) -> list[str]:
    """Remove harness containers (and their networks) whose owning process is gone.

    Returns the ids of the removed containers and networks. Call it at the start of each
    sandbox session: it cleans up after harness processes that were killed.
    """
    import docker
    import docker.errors

    client = client or docker.from_env()
    removed: list[str] = []
    # The low-level listing carries the labels: no per-container inspect that could race a removal.
    for summary in client.api.containers(all=True, filters={"label": LABEL_PID}):
        if owner_is_alive(summary.get("Labels") or {}):
            continue
        try:
            client.api.remove_container(summary["Id"], force=True, v=True)
        except docker.errors.NotFound:
            continue
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: removal already in progress
                raise
        removed.append(summary["Id"])
    # Networks of runs whose process died (tasks that require "network"); after their containers are gone.
    for network in client.api.networks(filters={"label": LABEL_PID}):
        if owner_is_alive(network.get("Labels") or {}):
            continue
        try:
            client.api.remove_network(network["Id"])
        except docker.errors.NotFound:
            continue
        except docker.errors.APIError:
            continue  # still in use by a container that is being removed: the next sweep takes it
        removed.append(network["Id"])
    return removed
