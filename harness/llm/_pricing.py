"""Prices and token estimates: the one price lookup of the harness, and the one chars-per-token rule.

A model's price is the round config's (`price:` of the model) when it gives one, else LiteLLM's
price map. The map is read from the JSON file the litellm package ships
(`model_prices_and_context_window_backup.json`, the map LiteLLM itself loads with
`LITELLM_LOCAL_MODEL_COST_MAP=True`, which the harness sets), without importing litellm: its
import costs seconds, and `harness run --dry-run` must answer fast. The name lookup follows
LiteLLM's `get_model_info` for model strings with and without a provider prefix;
tests/test_cost_limits.py checks both agree for the models of the repo's configs and tests.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

from ._types import CallRecord, ChatRequest

__all__ = [
    "CHARS_PER_TOKEN",
    "LiteLLMPriceMap",
    "Price",
    "PriceBook",
    "PriceSource",
    "PricedModel",
    "estimate_prompt_tokens",
    "estimate_tokens",
    "exceeds_max_tokens",
    "litellm_price_map",
    "shipped_price_map_path",
]

CHARS_PER_TOKEN = 4
"""Estimates before a call: about 4 characters a token."""

PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"
"""LiteLLM's price map, as shipped inside the litellm package."""

Price = tuple[float, float]
"""(input, output) USD per token."""

PriceSource = Literal["config", "litellm"]

_NOT_MODELS = ("sample_spec", "fallback_generalizations")
"""Top-level keys of the map file that are not models."""

_ANY_PROVIDER = frozenset({"litellm_proxy", "github", "nadir"})
"""Prefixes LiteLLM accepts with any provider's entry."""


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN


def estimate_prompt_tokens(request: ChatRequest) -> int:
    """A request's prompt tokens, estimated (with a few tokens of framing per message)."""
    return sum(len(m.content) for m in request.messages) // CHARS_PER_TOKEN + 8 * len(request.messages)


def exceeds_max_tokens(record: CallRecord) -> bool:
    """The reply used more completion tokens than the request's `max_tokens` (a provider that ignored the cap)."""
    limit = record.request.max_tokens
    return limit is not None and record.usage.completion_tokens > limit


def _provider_matches(entry_provider: object, prefix: str | None) -> bool:
    """Whether a map entry of `entry_provider` serves a model named with provider `prefix` (LiteLLM's rule)."""
    if prefix is None or not isinstance(entry_provider, str) or entry_provider == prefix or prefix in _ANY_PROVIDER:
        return True
    if prefix in ("vertex_ai", "fireworks_ai") and entry_provider.startswith(prefix):
        return True
    if prefix.startswith("bedrock") and entry_provider.startswith("bedrock"):
        return True
    return prefix == "azure_ai" and entry_provider in ("azure", "openai")


def _with_aliases(raw: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Model entries, with the names of `alias_of` rows and `aliases` lists resolved to their entry (as LiteLLM does)."""
    entries: dict[str, Mapping[str, Any]] = {name: info for name, info in raw.items() if isinstance(info, dict) and name not in _NOT_MODELS}
    pointers = {name: info["alias_of"] for name, info in entries.items() if isinstance(info.get("alias_of"), str)}
    owners: dict[str, str] = {}
    for name, info in entries.items():
        if name in pointers or not isinstance(info.get("aliases"), list):
            continue
        for alias in info["aliases"]:
            if isinstance(alias, str) and (alias not in entries or alias in pointers):
                owners.setdefault(alias, name)
    for alias, target in pointers.items():
        if target in entries and target not in pointers:
            owners.setdefault(alias, target)
    for alias in pointers:
        del entries[alias]
    entries.update({alias: entries[owner] for alias, owner in owners.items()})
    return entries


class LiteLLMPriceMap:
    """LiteLLM's per-token prices by model name, read from its JSON file."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._entries = _with_aliases(raw)
        self._lower: dict[str, str] = {}
        for name in self._entries:
            self._lower.setdefault(name.lower(), name)
        self._providers = {info.get("litellm_provider") for info in self._entries.values()}

    @classmethod
    def load(cls, path: Path | None = None) -> LiteLLMPriceMap:
        """The map of the installed litellm package (found without importing it); empty when there is none."""
        path = path or shipped_price_map_path()
        if path is None or not path.is_file():
            return cls({})
        return cls(json.loads(path.read_bytes()))

    def _entry(self, name: str) -> Mapping[str, Any] | None:
        key = name if name in self._entries else self._lower.get(name.lower())
        return self._entries[key] if key is not None else None

    def price(self, model: str) -> Price | None:
        """(input, output) USD per token; None where the map has no entry, or one without a price."""
        head, _, rest = model.partition("/")
        prefix = head if rest and head in self._providers else None
        for name in (model, rest) if prefix is not None else (model,):
            entry = self._entry(name)
            if entry is not None and _provider_matches(entry.get("litellm_provider"), prefix):
                pair = (float(entry.get("input_cost_per_token") or 0), float(entry.get("output_cost_per_token") or 0))
                return pair if any(pair) else None
        return None


def shipped_price_map_path() -> Path | None:
    """Where the installed litellm package keeps its price map (`importlib.util.find_spec` does not import it)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / PRICE_MAP_FILE


@functools.cache
def litellm_price_map() -> LiteLLMPriceMap:
    """The installed litellm's price map, read once per process (about 30 ms)."""
    return LiteLLMPriceMap.load()


class ConfiguredPrice(Protocol):
    """A price a round config gives (`harness.config.ModelPrice`)."""

    @property
    def input_per_mtok(self) -> float: ...
    @property
    def output_per_mtok(self) -> float: ...


class PricedModel(Protocol):
    """A round model as far as pricing goes (`harness.config.ModelConfig`)."""

    @property
    def litellm_model(self) -> str: ...
    @property
    def price(self) -> ConfiguredPrice | None: ...


class PriceBook:
    """Per-token prices of models: the config's where it gives one, else LiteLLM's price map; None where neither has one."""

    def __init__(self, configured: Mapping[str, Price] | None = None, price_map: LiteLLMPriceMap | None = None) -> None:
        self._configured = dict(configured or {})
        self._map = price_map

    @classmethod
    def of_models(cls, models: Iterable[PricedModel], price_map: LiteLLMPriceMap | None = None) -> PriceBook:
        """The prices of a round's models: `price:` in the config (USD per million tokens) over LiteLLM's map."""
        configured = {
            m.litellm_model: (m.price.input_per_mtok / 1e6, m.price.output_per_mtok / 1e6) for m in models if m.price is not None
        }
        return cls(configured, price_map)

    def source(self, model: str) -> PriceSource | None:
        """Where `model`'s price comes from; None: it has none."""
        if model in self._configured:
            return "config"
        if self._map is None:
            self._map = litellm_price_map()
        return "litellm" if self._map.price(model) is not None else None

    def price(self, model: str) -> Price | None:
        """(input, output) USD per token."""
        if model in self._configured:
            return self._configured[model]
        if self._map is None:
            self._map = litellm_price_map()
        return self._map.price(model)

    def has_price(self, model: str) -> bool:
        return self.price(model) is not None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return prompt_tokens * price[0] + completion_tokens * price[1]

    def upper_estimate(self, request: ChatRequest, default_max_tokens: int = 4096) -> float:
        """Cost if the reply uses all of max_tokens; 0 for unpriced models."""
        cost = self.cost(request.model, estimate_prompt_tokens(request), request.max_tokens or default_max_tokens)
        return cost or 0.0
