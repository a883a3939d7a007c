"""Build the sandbox image: from the shipped Dockerfile, or offline from a Debian mirror."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from .._errors import SandboxInfraError
from ._image import (
    DOCKERFILE_RECIPE,
    OFFLINE_RECIPE,
    ImageRecipe,
    dockerfile_text,
    image_exists,
)

__all__ = ["DEFAULT_DEBIAN_MIRROR", "ImageBuildResult", "build_image"]

DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian"
BuildMode = Literal["auto", "offline", "registry"]
Log = Callable[[str], None]

# Parts of a minbase rootfs that nothing in a test run reads.
_PRUNED_PATHS = ("var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info")


class ImageBuildResult(BaseModel):
    """What `build_image` did."""

    tag: str
    method: Literal["debootstrap", "dockerfile"]
    built: bool
    """False when the image already existed and nothing was done."""
    seconds: float


def _docker_client() -> Any:
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise SandboxInfraError(f"Docker daemon not reachable: {exc}") from exc
    return client


def _run(command: list[str], log_file: Path, what: str) -> None:
    with log_file.open("ab") as sink:
        completed = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-25:]
        raise SandboxInfraError(f"{what} failed (exit {completed.returncode}):\n" + "\n".join(tail))


def _unmount_below(root: Path) -> None:
    """Unmount anything a failed debootstrap left mounted inside the rootfs (before deleting it)."""
    prefix = str(root.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for target in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", target], check=False)


def _prepare_rootfs(rootfs: Path, uid: int) -> None:
    for relative in _PRUNED_PATHS:
        path = rootfs / relative
        if path.is_dir():
            shutil.rmtree(path)
            path.mkdir(parents=True)
    with (rootfs / "etc/passwd").open("a", encoding="utf-8") as passwd:
        passwd.write(f"sandbox:x:{uid}:{uid}:sandbox:/work:/usr/sbin/nologin\n")
    with (rootfs / "etc/group").open("a", encoding="utf-8") as group:
        group.write(f"sandbox:x:{uid}:\n")
    workdir = rootfs / "work"
    workdir.mkdir(exist_ok=True)
    os.chown(workdir, uid, uid)


def _dockerfile_changes(recipe: ImageRecipe, mirror: str) -> list[str]:
    """Dockerfile instructions applied by `docker import` (labels as JSON strings)."""
    labels = recipe.labels(**{"harness.sandbox.mirror": mirror})
    changes = [f"USER {recipe.uid}:{recipe.uid}", f"WORKDIR {recipe.workdir}", 'CMD ["python3"]']
    changes += [f"ENV {key}={value}" for key, value in recipe.env.items()]
    changes += [f"LABEL {key}={_quoted(value)}" for key, value in labels.items()]
    return changes


def _quoted(value: str) -> str:
    """A double-quoted Dockerfile string (JSON string escaping is a subset it accepts)."""
    return json.dumps(value)


def _install_debootstrap(log: Log) -> None:
    """Install debootstrap with the system's package manager (Debian and derivatives, as root)."""
    if shutil.which("apt-get") is None:
        raise SandboxInfraError("debootstrap not found, and there is no apt-get to install it with: install debootstrap")
    log("debootstrap not found: installing it with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "debootstrap"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-10:])
            raise SandboxInfraError(f"installing debootstrap failed ({' '.join(command)}, exit {done.returncode}):\n{tail}")
    if shutil.which("debootstrap") is None:
        raise SandboxInfraError("apt-get installed debootstrap, but it is still not on PATH")


def _build_offline(client: Any, recipe: ImageRecipe, mirror: str, log: Log) -> None:
    if os.geteuid() != 0:
        raise SandboxInfraError("`harness sandbox build --offline` runs debootstrap, which needs root")
    if shutil.which("debootstrap") is None:
        _install_debootstrap(log)
    with tempfile.TemporaryDirectory(prefix="harness-sandbox-build-", dir="/var/tmp") as tmp:
        rootfs, log_file, tar_file = Path(tmp, "rootfs"), Path(tmp, "build.log"), Path(tmp, "rootfs.tar")
        try:
            log(f"debootstrap {recipe.base} (minbase + {', '.join(recipe.packages)}) from {mirror} ...")
            _run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(recipe.packages)}",
                    recipe.base,
                    str(rootfs),
                    mirror,
                ],
                log_file,
                "debootstrap",
            )
            _prepare_rootfs(rootfs, recipe.uid)
            log("packing the root filesystem ...")
            _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tar_file), "."], log_file, "tar")
            log(f"docker import as {recipe.tag} ...")
            repository, tag = recipe.tag.split(":", 1)
            client.api.import_image_from_file(
                str(tar_file), repository=repository, tag=tag, changes=_dockerfile_changes(recipe, mirror)
            )
        finally:
            _unmount_below(Path(tmp))


def _registry_reachable(client: Any, image: str, log: Log) -> bool:
    import docker

    repository, tag = image.split(":", 1)
    try:
        client.images.pull(repository, tag=tag)
    except docker.errors.DockerException as exc:
        log(f"cannot pull {image} ({str(exc).splitlines()[0][:200]})")
        return False
    return True


def _build_from_dockerfile(client: Any, recipe: ImageRecipe, log: Log) -> None:
    import docker

    log(f"docker build {recipe.tag} from the shipped Dockerfile ...")
    try:
        for event in client.api.build(
            fileobj=io.BytesIO(dockerfile_text().encode()),
            tag=recipe.tag,
            labels=recipe.labels(),
            rm=True,
            decode=True,
        ):
            if "error" in event:
                raise SandboxInfraError(f"docker build failed: {event['error'].strip()}")
            if event.get("stream", "").strip():
                log(event["stream"].rstrip())
    except docker.errors.DockerException as exc:
        raise SandboxInfraError(f"docker build failed: {exc}") from exc


def build_image(
    mode: BuildMode = "auto",
    *,
    force: bool = False,
    mirror: str = DEFAULT_DEBIAN_MIRROR,
    log: Log = print,
) -> ImageBuildResult:
    """Build the sandbox image unless it already exists (or `force`).

    `auto` builds from the Dockerfile when the base image can be pulled and
    falls back to the offline (debootstrap) build otherwise; `offline` and
    `registry` force one method.
    """
    started = time.monotonic()
    client = _docker_client()
    if mode == "registry":
        recipe = DOCKERFILE_RECIPE
    elif mode == "offline":
        recipe = OFFLINE_RECIPE
    else:
        present = next((r for r in (OFFLINE_RECIPE, DOCKERFILE_RECIPE) if image_exists(client, r.tag)), None)
        recipe = present or OFFLINE_RECIPE
        if present is None or force:
            recipe = DOCKERFILE_RECIPE if _registry_reachable(client, DOCKERFILE_RECIPE.base, log) else OFFLINE_RECIPE
            if recipe is OFFLINE_RECIPE:
                log("no registry reachable: building offline from the Debian mirror")
    if image_exists(client, recipe.tag) and not force:
        log(f"sandbox image {recipe.tag} already exists: nothing to do (--force rebuilds it)")
        return ImageBuildResult(tag=recipe.tag, method=recipe.method, built=False, seconds=0.0)
    if recipe.method == "dockerfile":
        _build_from_dockerfile(client, recipe, log)
    else:
        _build_offline(client, recipe, mirror, log)
    seconds = time.monotonic() - started
    log(f"built sandbox image {recipe.tag} in {seconds:.0f}s")
    return ImageBuildResult(tag=recipe.tag, method=recipe.method, built=True, seconds=seconds)
