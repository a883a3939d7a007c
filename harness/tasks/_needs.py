"""What a task's hidden tests need beyond plain Python: `task.json`'s `requires`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["NEED_FORMS", "Need", "NeedKind", "parse_need"]

NeedKind = Literal["network", "container-runtime", "apt", "pip"]

NEED_FORMS = '"network", "container-runtime", "apt:<Debian package>", "pip:<PyPI requirement>"'
"""The forms a `requires` entry takes, for error messages."""

_APT_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]{0,99}$")
_PIP_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[[A-Za-z0-9._,-]+\])?((==|>=|<=|~=|!=|>|<)[A-Za-z0-9.*+!-]{1,40})?$")


class Need(BaseModel):
    """One need: a capability (network, a container runtime) or a package the image must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: NeedKind
    package: str | None = None
    """`apt` and `pip`: the Debian package name, or the PyPI requirement (name, optional extras and one version bound)."""

    def __str__(self) -> str:
        return f"{self.kind}:{self.package}" if self.package else self.kind


def parse_need(text: str) -> Need:
    """`"network"`, `"container-runtime"`, `"apt:jq"`, `"pip:requests==2.32.3"`; ValueError for anything else.

    Package names are checked strictly: they end up in the derived image's build steps.
    """
    if text in ("network", "container-runtime"):
        return Need(kind=text)  # type: ignore[arg-type]
    kind, _, package = text.partition(":")
    if kind == "apt" and _APT_NAME.match(package):
        return Need(kind="apt", package=package)
    if kind == "pip" and _PIP_REQUIREMENT.match(package):
        return Need(kind="pip", package=package)
    raise ValueError(f"{text!r} is not a need this harness knows: expected one of {NEED_FORMS}")
