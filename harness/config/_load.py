"""Read a round config file, with errors naming the file, field and expectation."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .._errors import ConfigError
from .._validation import describe_validation_error
from ._models import RoundConfig

__all__ = ["load_round_config", "dump_round_config"]


def load_round_config(path: Path) -> RoundConfig:
    """Parse and validate a YAML (or JSON) round config."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: round config not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        return RoundConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from exc


def dump_round_config(config: RoundConfig) -> str:
    """YAML text of a config (used for the run folder's snapshot)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
