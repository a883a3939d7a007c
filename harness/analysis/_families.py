"""Model families: the paper's mapping by default, a file of the user's (`--families`), and LiteLLM prefixes."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .._errors import FormatError
from ._model import QuestionRound

__all__ = ["UNKNOWN_FAMILY", "default_families", "family_of_litellm_model", "load_families", "round_families"]

UNKNOWN_FAMILY = "unknown"
_ROUTERS = {"openrouter", "together_ai", "fireworks_ai", "bedrock", "vertex_ai", "azure", "groq", "deepinfra", "ollama"}


def _by_key(data: Any, source: str) -> dict[str, str]:
    """`family: [keys]` or `key: family`, as YAML or JSON."""
    if not isinstance(data, dict):
        raise FormatError(f"{source}: expected a mapping `family: [model keys]` (or `model key: family`)")
    mapping: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, list):
            mapping.update({str(key): str(name) for key in value})
        elif isinstance(value, str):
            mapping[str(name)] = value
        else:
            raise FormatError(f"{source}: {name}: expected a list of model keys or a family name")
    return mapping


def default_families() -> dict[str, str]:
    """The Multivac paper's mapping (model key -> family)."""
    text = resources.files(__package__).joinpath("data/multivac-families.yaml").read_text(encoding="utf-8")
    return _by_key(yaml.safe_load(text), "multivac-families.yaml")


def load_families(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FormatError(f"{path}: not a readable YAML or JSON file ({exc})") from exc
    return _by_key(data, str(path))


def family_of_litellm_model(model: str) -> str | None:
    """`openrouter/anthropic/claude-sonnet-4.6` -> anthropic; `openai/gpt-5` -> openai; None when it says nothing."""
    parts = [p for p in model.split("/") if p]
    if len(parts) >= 3 and parts[0] in _ROUTERS:
        return parts[1].lower()
    if len(parts) >= 2 and parts[0] not in _ROUTERS:
        return parts[0].lower()
    return None


def round_families(rounds: list[QuestionRound], explicit: dict[str, str] | None) -> dict[str, str]:
    """The mapping the analysis uses: the explicit one, else the paper's; keys it lacks take their LiteLLM
    provider prefix where a run folder names it."""
    mapping = dict(explicit if explicit is not None else default_families())
    for round_ in rounds:
        for key, model in round_.providers.items():
            family = family_of_litellm_model(model)
            if key not in mapping and family is not None:
                mapping[key] = family
    return mapping
