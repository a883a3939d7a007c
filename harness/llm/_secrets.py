"""Keep API key values out of everything the harness writes."""

from __future__ import annotations

import os
from collections.abc import Iterable

__all__ = ["SecretRedactor"]


class SecretRedactor:
    """Replaces known secret values in text with a placeholder."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    @classmethod
    def from_env(cls, names: Iterable[str | None]) -> SecretRedactor:
        return cls(os.environ.get(name, "") for name in names if name)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text
