"""How a sandbox container is configured, and the command that runs the tests in it."""

from __future__ import annotations

from typing import Any

from ._image import SANDBOX_ENV, SANDBOX_UID, SANDBOX_WORKDIR
from ._models import SandboxLimits

__all__ = ["REPORT_NAME", "REPORT_PATH", "container_options", "container_command", "build_test_command"]

REPORT_NAME = ".harness-junit.xml"
REPORT_PATH = f"{SANDBOX_WORKDIR}/{REPORT_NAME}"
"""Where pytest writes its JUnit report; PID 1 sends it back on stderr."""

# POSIX sh, run by PID 1 as the sandbox user. fd 3 is the container's stdout, fd 4
# captures the exit status. Output of the test command goes through `tail -c`
# inside the container, so however much it prints, only the tail crosses to the
# host. The command gets neither fd 3 nor fd 4. `timeout` leads its own process
# group (its pid, saved in PGID_FILE); once it returns, whatever is left of that
# group is killed, so that stray children cannot hold the output pipe open. Only
# shell builtins run after the tests: under a fork bomb nothing can be forked.
_WRAPPER = """exec 3>&1
status=$( { { sh -c 'echo $$ > "$PGID_FILE"; exec timeout -s INT -k "$KILL_GRACE" "$LIMIT" "$@"' \\
      sandbox-test "$@" 3>&- 4>&-
    echo $? >&4
    read -r group < "$PGID_FILE" && kill -KILL -"$group" 2>/dev/null
  } 2>&1 | tail -c "$TAIL_BYTES" >&3; } 4>&1 )
exit "${status:-255}"
"""


def build_test_command(
    invocation: list[str], limit_s: float, limits: SandboxLimits, *, pgid_file: str = "/tmp/.harness-test-pgid"
) -> list[str]:
    """argv running the task's invocation with a JUnit report, under `timeout`, output tail only.

    On the limit the tests get SIGINT (pytest then still writes the report of the
    tests that finished), and SIGKILL `kill_grace_s` later.
    """
    pytest_options = [f"--junitxml={REPORT_PATH}", "-p", "no:cacheprovider"]
    return [
        "env",
        # The image holds no third-party pytest plugins: skip scanning package metadata for them.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1",
        f"LIMIT={limit_s:.3f}",
        f"KILL_GRACE={limits.kill_grace_s:.3f}",
        f"TAIL_BYTES={limits.output_tail_bytes}",
        f"PGID_FILE={pgid_file}",
        "sh",
        "-c",
        _WRAPPER,
        "sandbox-run",
        *invocation,
        *pytest_options,
    ]


# PID 1 of every sandbox container, as the sandbox user (protocol in `_attach.py`).
# It reads the nonce and the work tree from stdin and unpacks it into /work, runs
# the tests, writes the exit status and the JUnit report to stderr, then waits
# for the host to remove the container. The host never writes to stdin again:
# if stdin ends (the harness died, `StdinOnce` closed it), the watcher kills
# every process but PID 1, PID 1 exits, and the container removes itself
# (`auto_remove`). An asynchronous list gets /dev/null as stdin, hence fd 5.
_PID1 = """read -r nonce size || exit 0
head -c "$size" | tar -x -C "$WORKDIR" -f - || exit 0
exec 5<&0
{ read -r _ <&5; kill -KILL -1; } &
"$@" < /dev/null 5<&-
echo "harness-exit-status-$nonce=$?" >&2
cat "$REPORT" >&2 2>/dev/null
printf '\\nharness-end-%s\\n' "$nonce" >&2
wait
"""


def container_command(invocation: list[str], limit_s: float, limits: SandboxLimits) -> list[str]:
    """argv of the container's PID 1: unpack the work tree from stdin, then `build_test_command`."""
    return [
        "env",
        f"WORKDIR={SANDBOX_WORKDIR}",
        f"REPORT={REPORT_PATH}",
        "sh",
        "-c",
        _PID1,
        "sandbox-init",
        *build_test_command(invocation, limit_s, limits),
    ]


def container_options(api: Any, limits: SandboxLimits, labels: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments for the low-level `create_container`: the hardening lives here."""
    from docker.types import LogConfig, Ulimit

    memory = f"{limits.memory_mb}m"
    # The work tree arrives over stdin and the report leaves over stderr, not with
    # `put_archive`/`get_archive`: the engine cannot `put_archive` into a tmpfs mount
    # (it writes beneath it), and the workaround, a tmpfs-backed volume plus two
    # archive calls, measured ~0.13 s more per run than this stdio protocol.
    work_dir = f"rw,nosuid,nodev,size={limits.work_dir_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700"
    host_config = api.create_host_config(
        read_only=True,
        tmpfs={SANDBOX_WORKDIR: work_dir, "/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
        shm_size=f"{limits.tmp_mb}m",
        network_mode="none",
        cap_drop=["ALL"],
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
        "user": f"{SANDBOX_UID}:{SANDBOX_UID}",
        "working_dir": SANDBOX_WORKDIR,
        "environment": dict(SANDBOX_ENV),
        "labels": labels,
        "network_disabled": True,
        # Not detached, with stdin open: the config attaches stdio and sets StdinOnce.
        "detach": False,
        "stdin_open": True,
        "host_config": host_config,
    }
