"""Keep judges blind: mask the names of the round's models in what they read."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..config import ModelConfig

__all__ = ["IdentityMask", "identity_terms", "MASK_TOKEN"]

MASK_TOKEN = "[model]"


def identity_terms(models: Iterable[ModelConfig]) -> list[str]:
    """Every string that identifies a round model: id, display name, provider label, LiteLLM string and its model name.

    The routing parts of a LiteLLM string ("openrouter/", "openai/") are not masked on their own:
    they name an API, and masking them would garble answers that mention it.
    """
    terms: set[str] = set()
    for model in models:
        terms.update({model.id, model.name, model.provider, model.litellm_model})
        terms.add(model.litellm_model.rsplit("/", 1)[-1])
    return sorted((t for t in terms if len(t) >= 3), key=len, reverse=True)


class IdentityMask:
    """Replaces identity terms (case-insensitive, whole words) with a neutral token."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = list(terms)
        alternatives = "|".join(re.escape(t) for t in self.terms)
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE) if self.terms else None

    def apply(self, text: str) -> tuple[str, list[str]]:
        """The masked text and the distinct terms that were masked (for the record)."""
        if self._pattern is None:
            return text, []
        found: list[str] = []

        def _replace(match: re.Match[str]) -> str:
            if match.group(0) not in found:
                found.append(match.group(0))
            return MASK_TOKEN

        return self._pattern.sub(_replace, text), found

    def leaks(self, text: str) -> list[str]:
        """Identity terms still present in `text`."""
        if self._pattern is None:
            return []
        return sorted({m.group(0) for m in self._pattern.finditer(text)})
