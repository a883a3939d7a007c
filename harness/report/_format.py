"""Small, deterministic formatting helpers shared by the report views and templates."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

__all__ = [
    "NO_VALUE",
    "OVER_MAX_TOKENS",
    "anchor",
    "heat_color",
    "mean_or_none",
    "number",
    "over_max_tokens_fact",
    "signed",
    "stdev_or_none",
    "usd",
]

NO_VALUE = "—"

OVER_MAX_TOKENS = "reply over max_tokens"
"""The mark of a reply whose usage exceeds the requested `max_tokens` (the provider ignored the cap)."""

_UNSAFE_IN_ANCHOR = re.compile(r"[^A-Za-z0-9_-]+")


def anchor(*parts: str) -> str:
    """An HTML id made of `parts` (anything outside `[A-Za-z0-9_-]` becomes `-`)."""
    return "-".join(_UNSAFE_IN_ANCHOR.sub("-", part).strip("-") or "x" for part in parts)


def over_max_tokens_fact(completion_tokens: int, limit: int | None) -> tuple[str, str]:
    """The fact line of a reply over its `max_tokens`."""
    requested = f", {limit:,} requested" if limit is not None else ""
    return ("max_tokens", f"exceeded: {completion_tokens:,} reply tokens{requested}")


def number(value: float | int | None, places: int = 2) -> str:
    """`8.6`, `7.45`, `8.0`: at most `places` decimals, at least one; `—` for None."""
    if value is None:
        return NO_VALUE
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = f"{value:.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def signed(value: float | None, places: int = 2) -> str:
    """`+1.5`, `-0.25`, `0.0`; `—` for None."""
    if value is None:
        return NO_VALUE
    text = number(value, places)
    if float(text) == 0:
        return number(0.0, places)
    return f"+{text}" if value > 0 else text


def usd(value: float | None, unpriced_calls: int = 0) -> str:
    """A cost: `$0.0123`; `unknown` when nothing is priced; `≥ $x` when only part of it is."""
    if value is None:
        return "unknown"
    text = f"${value:.4f}"
    return f"≥ {text}" if unpriced_calls else text


def mean_or_none(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def stdev_or_none(values: Sequence[float]) -> float | None:
    """Sample standard deviation; None with fewer than two values."""
    return statistics.stdev(values) if len(values) >= 2 else None


def heat_color(value: float, maximum: float) -> str:
    """A light background from red (0) through amber to green (`maximum`); dark text stays readable on it."""
    fraction = min(1.0, max(0.0, value / maximum)) if maximum > 0 else 0.0
    hue = round(4 + 126 * fraction)
    saturation = round(62 - 14 * fraction)
    lightness = round(80 - 6 * abs(fraction - 0.5))
    return f"hsl({hue}, {saturation}%, {lightness}%)"
