"""Derived sandbox images: the base image plus a task's `apt:` and `pip:` packages, built once per recipe.

Built with `docker build` FROM the local base image (no registry needed); the build fetches the packages
from the Debian mirror and PyPI, as the base image's build fetched Debian's. The tag is derived from the
base and the packages, so a changed list means a new image, and an unchanged one is never rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
from collections.abc import Callable
from typing import Any

from .._errors import SandboxInfraError, SandboxInputError
from ..tasks import Need
from ._image import RECIPE_LABEL, image_exists

__all__ = ["ensure_task_image", "task_image_dockerfile", "task_image_tag"]

_APT = "DEBIAN_FRONTEND=noninteractive apt-get"


def task_image_dockerfile(base: str, packages: tuple[Need, ...]) -> str:
    """Build steps of the derived image. Package names were checked strictly when the task loaded."""
    apt = sorted({n.package for n in packages if n.kind == "apt" and n.package})
    pip = sorted({n.package for n in packages if n.kind == "pip" and n.package})
    lines = [f"FROM {base}", "USER root"]
    prepare = "mkdir -p /var/cache/apt/archives/partial /var/lib/apt/lists/partial"
    clean = "rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb"
    if apt:
        lines.append(f"RUN {prepare} && {_APT} update -qq && {_APT} install -y -qq --no-install-recommends {' '.join(map(shlex.quote, apt))} && {clean}")
    if pip:
        get_pip = f"({prepare} && {_APT} update -qq && {_APT} install -y -qq --no-install-recommends python3-pip && {clean})"
        lines.append(
            f"RUN (python3 -m pip --version >/dev/null 2>&1 || {get_pip})"
            f" && python3 -m pip install --no-cache-dir --break-system-packages {' '.join(map(shlex.quote, pip))}"
        )
    lines.append("USER 10001:10001")
    return "\n".join(lines) + "\n"


def task_image_tag(base: str, packages: tuple[Need, ...]) -> str:
    recipe = task_image_dockerfile(base, packages)
    return f"{base}-with-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def ensure_task_image(client: Any, base: str, packages: tuple[Need, ...], log: Callable[[str], None] | None = None) -> str:
    """The derived image's tag, building it first if the engine does not hold it."""
    import docker

    tag = task_image_tag(base, packages)
    if image_exists(client, tag):
        return tag
    dockerfile = task_image_dockerfile(base, packages)
    if log is not None:
        log(f"building sandbox image {tag} for {', '.join(str(n) for n in packages)} ...")
    labels = {RECIPE_LABEL: json.dumps({"base": base, "packages": [str(n) for n in packages]}, sort_keys=True)}
    try:
        client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, forcerm=True, pull=False, labels=labels)
    except docker.errors.BuildError as exc:
        tail = "\n".join(str(line.get("stream") or line.get("error") or "").rstrip() for line in exc.build_log)[-1500:]
        raise SandboxInputError(
            f"the sandbox image with {', '.join(str(n) for n in packages)} could not be built (a package name the "
            f"mirror or PyPI does not know?): {exc.msg}\n{tail}"
        ) from exc
    except docker.errors.APIError as exc:
        raise SandboxInfraError(f"building sandbox image {tag} failed: {exc}") from exc
    return tag
