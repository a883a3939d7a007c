"""Which of a task's needs the sandbox grants, and the refusal for the others (before any call).

- `apt:` / `pip:` packages: granted, in a derived image built once per recipe (`_task_image.py`).
- `network`: granted only when the round (or `--allow-network`) allows it: an internal Docker network of
  the run's own, with no route out.
- `container-runtime`: refused. A Docker or Podman engine inside the sandbox needs what the sandbox withholds
  on purpose. Rootless Podman or Docker need user namespaces, and inside the sandbox (no capabilities,
  Docker's default seccomp profile) `unshare(CLONE_NEWUSER)` fails with EPERM (measured on this machine).
  The other ways (the host's Docker socket, a privileged container) hand the submission the host. gVisor
  and sysbox would be host runtimes, and this engine has only runc.
"""

from __future__ import annotations

from .._errors import SandboxInputError
from ..tasks import BuildTask

__all__ = ["CONTAINER_RUNTIME_REFUSAL", "check_needs", "refused_needs"]

CONTAINER_RUNTIME_REFUSAL = (
    "a container runtime inside the sandbox cannot be granted safely: rootless Podman or Docker need user "
    "namespaces, which the sandbox's seccomp profile and dropped capabilities deny, and the alternatives (the "
    "host's Docker socket, a privileged container) would give the code under test the host; run these hidden "
    "tests on a machine set up for them, or drop the need"
)


def refused_needs(task: BuildTask, allow_network: bool) -> list[str]:
    """One reason per need of `task` that this sandbox will not grant."""
    reasons = []
    for need in task.requires:
        if need.kind == "container-runtime":
            reasons.append(f"container-runtime: {CONTAINER_RUNTIME_REFUSAL}")
        elif need.kind == "network" and not allow_network:
            reasons.append(
                "network: the sandbox has no network unless the round allows it (`sandbox: {allow_network: true}` "
                "in the round config, `--allow-network` for `sandbox test` and `task check`); it is then an internal "
                "network with no route out"
            )
    return reasons


def check_needs(task: BuildTask, allow_network: bool) -> None:
    """Raise SandboxInputError, naming the task and each need, when the sandbox cannot grant one."""
    reasons = refused_needs(task, allow_network)
    if reasons:
        raise SandboxInputError(
            f"{task.folder / 'task.json'}: build task {task.task_id!r} requires what this sandbox does not grant:\n  "
            + "\n  ".join(reasons)
        )
