"""How a sandbox container is configured: the hardening lives here."""

from __future__ import annotations

from typing import Any

from ._image import SANDBOX_ENV, SANDBOX_WORKDIR
from ._models import SandboxLimits

__all__ = ["PID1_CAPABILITIES", "container_options"]

PID1_CAPABILITIES = ("CHOWN", "SETUID", "SETGID", "KILL")
"""All PID 1 keeps: to give the work tree its owners, start the tests and the submission under
their own uids, and kill them. No DAC override, no ptrace; every other process has none."""


def container_options(api: Any, limits: SandboxLimits, labels: dict[str, str], network: str | None = None) -> dict[str, Any]:
    """Keyword arguments for the low-level `create_container`; `network`: an internal network to join (else none)."""
    from docker.types import LogConfig, Ulimit

    memory = f"{limits.memory_mb}m"
    # The payload arrives over stdin and the result leaves over stderr, not with
    # `put_archive`/`get_archive`: the engine cannot `put_archive` into a tmpfs mount
    # (it writes beneath it), and the workaround, a tmpfs-backed volume plus two
    # archive calls, measured ~0.13 s more per run than this stdio protocol.
    work_dir = f"rw,nosuid,nodev,size={limits.work_dir_mb}m,uid=0,gid=0,mode=0755"
    host_config = api.create_host_config(
        read_only=True,
        tmpfs={SANDBOX_WORKDIR: work_dir, "/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
        shm_size=f"{limits.tmp_mb}m",
        network_mode=network or "none",
        cap_drop=["ALL"],
        cap_add=list(PID1_CAPABILITIES),
        security_opt=["no-new-privileges"],
        pids_limit=limits.pids,
        mem_limit=memory,
        memswap_limit=memory,
        nano_cpus=int(limits.cpus * 1_000_000_000),
        ulimits=[Ulimit(name="core", soft=0, hard=0)],
        # Output reaches the host only through the attach stream, never the daemon's log files.
        log_config=LogConfig(type=LogConfig.types.NONE),
        auto_remove=True,
    )
    return {
        "user": "0:0",
        "working_dir": SANDBOX_WORKDIR,
        "environment": dict(SANDBOX_ENV),
        "labels": labels,
        "network_disabled": network is None,
        # Not detached, with stdin open: the config attaches stdio and sets StdinOnce.
        "detach": False,
        "stdin_open": True,
        "host_config": host_config,
    }
