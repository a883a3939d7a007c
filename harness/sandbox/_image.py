"""The sandbox image: what it holds (recipes), its tag, and how to build it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .._errors import SandboxInfraError

__all__ = [
    "SANDBOX_UID",
    "SANDBOX_WORKDIR",
    "SANDBOX_ENV",
    "IMAGE_REPOSITORY",
    "RECIPE_LABEL",
    "IMAGE_ENV_VAR",
    "ImageRecipe",
    "OFFLINE_RECIPE",
    "DOCKERFILE_RECIPE",
    "default_image_tag",
    "dockerfile_text",
    "image_exists",
    "resolve_image",
]

SANDBOX_UID = 10001
"""uid and gid of the unprivileged user that runs submissions."""
SANDBOX_WORKDIR = "/work"
"""The work tree root inside the container: the only writable place besides /tmp."""
SANDBOX_ENV: dict[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    "PYTHONDONTWRITEBYTECODE": "1",
}
"""Environment of every run (also baked into the image)."""
IMAGE_REPOSITORY = "harness-sandbox"
RECIPE_LABEL = "harness.sandbox.recipe"
"""Image label holding the recipe the image was built from, as JSON."""
IMAGE_ENV_VAR = "HARNESS_SANDBOX_IMAGE"
"""Environment variable naming an image to use instead of the default one."""

Log = Callable[[str], None]


def dockerfile_text() -> str:
    """The shipped Dockerfile (registry build)."""
    return resources.files(__package__).joinpath("Dockerfile").read_text(encoding="utf-8")


class ImageRecipe(BaseModel):
    """What a sandbox image holds. The tag is derived from it, so a new recipe means a new tag."""

    model_config = ConfigDict(frozen=True)

    method: Literal["debootstrap", "dockerfile"]
    flavor: str
    """Readable summary used in the tag, e.g. "bookworm-py3-pytest"."""
    base: str
    """Debian suite (debootstrap) or base image (dockerfile)."""
    packages: tuple[str, ...]
    uid: int = SANDBOX_UID
    workdir: str = SANDBOX_WORKDIR
    env: dict[str, str] = dict(SANDBOX_ENV)
    dockerfile_sha256: str | None = None
    revision: int = 1
    """Bumped when the build steps change in a way the other fields do not show."""

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def short_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.flavor}-{self.short_hash}"

    def labels(self, **extra: str) -> dict[str, str]:
        return {RECIPE_LABEL: self.canonical_json(), **extra}


OFFLINE_RECIPE = ImageRecipe(
    method="debootstrap",
    flavor="bookworm-py3-pytest",
    base="bookworm",
    packages=("python3", "python3-pytest"),
)
"""Debian bookworm minbase + python3 + pytest, built from a Debian mirror (no registry needed)."""

DOCKERFILE_RECIPE = ImageRecipe(
    method="dockerfile",
    flavor="py3.12-slim-pytest",
    base="python:3.12-slim",
    packages=("pytest",),
    dockerfile_sha256=hashlib.sha256(dockerfile_text().encode()).hexdigest(),
)
"""python:3.12-slim + pytest from the shipped Dockerfile (needs a registry)."""


def default_image_tag() -> str:
    """The image runs use: `$HARNESS_SANDBOX_IMAGE` if set, else the offline recipe's tag."""
    return os.environ.get(IMAGE_ENV_VAR) or OFFLINE_RECIPE.tag


def image_exists(client: Any, tag: str) -> bool:
    """Whether the Docker engine behind `client` holds an image tagged `tag`."""
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def resolve_image(client: Any, requested: str | None = None) -> str:
    """The image to run in: `requested`, else the default, else a registry-built one.

    Raises SandboxInfraError naming the build command when none is present.
    """
    explicit = requested or os.environ.get(IMAGE_ENV_VAR)
    candidates = [explicit] if explicit else [OFFLINE_RECIPE.tag, DOCKERFILE_RECIPE.tag]
    for tag in candidates:
        if image_exists(client, tag):
            return tag
    if explicit:
        raise SandboxInfraError(f"sandbox image {explicit} (asked for by name) is missing")
    raise SandboxInfraError(
        f"sandbox image {OFFLINE_RECIPE.tag} is missing: run `harness sandbox build --offline`"
        " (or `harness sandbox build` where a registry is reachable)"
    )
