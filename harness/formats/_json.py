"""JSON text exactly as the published files have it, written atomically.

The source wrote its files with JavaScript's `JSON.stringify(value, null, 2)`. Python's `json`
differs from it in numbers (`1e-05` where JavaScript writes `0.00001`, `10.0` where it writes
`10`) and is slow with an indent; orjson writes the same layout at C speed, and each number that
is not an integer goes into it as JavaScript would print it.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

__all__ = ["dumps_published", "js_number", "write_atomic"]

_EXPONENT_FROM = 21
"""JavaScript writes a number of 10**21 or more in exponent form, as `1e+21`."""
_POSITIONAL_DOWN_TO = -6
"""... and one below 10**-6 as `1e-7`."""


def js_number(value: float) -> str:
    """The text JavaScript's `Number.prototype.toString` (and so `JSON.stringify`) gives `value`.

    Both languages print the shortest digits that read back as the same double; they lay them out
    differently (ECMA-262, Number::toString). NaN and the infinities are `null`, as in `JSON.stringify`.
    """
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    point = len(digit_tuple) + exponent  # the value is 0.DIGITS x 10**point
    if len(digits) <= point <= _EXPONENT_FROM:
        text = digits + "0" * (point - len(digits))
    elif 0 < point <= _EXPONENT_FROM:
        text = f"{digits[:point]}.{digits[point:]}"
    elif _POSITIONAL_DOWN_TO < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
        power = point - 1
        text = f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"
    return sign + text


_EXACT_INTEGERS_BELOW = 2**53
"""Integral floats below this print as their int; above it JavaScript pads the shortest digits with zeros."""

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _as_javascript_writes(value: Any) -> Any:
    """`value` with each float, and each int beyond 64 bits, as the JSON text JavaScript writes for it."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        return {k: _as_javascript_writes(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_as_javascript_writes(v) for v in value]
    if kind is float:
        if value.is_integer() and abs(value) < _EXACT_INTEGERS_BELOW:
            return int(value)
        return orjson.Fragment(js_number(value))
    if kind is int and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value))
    if isinstance(value, float):  # subclasses of the JSON types are written as their base type
        return _as_javascript_writes(float(value))
    if isinstance(value, dict):
        return _as_javascript_writes(dict(value))
    if isinstance(value, (list, tuple)):
        return _as_javascript_writes(list(value))
    return value  # other types: orjson writes them, or says it cannot


def _with_lone_surrogates_escaped(value: Any) -> Any:
    """Strings holding a lone surrogate (UTF-8 cannot carry one) as JavaScript writes them: `"\\ud83d"`."""
    if isinstance(value, str) and _LONE_SURROGATE.search(value):
        text = json.dumps(value, ensure_ascii=False)
        return orjson.Fragment(_LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text))
    if isinstance(value, dict):
        return {k: _with_lone_surrogates_escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_lone_surrogates_escaped(v) for v in value]
    return value


def dumps_published(value: Any) -> str:
    """Serialize like the source (`JSON.stringify(v, null, 2)`): 2-space indent, UTF-8, no final newline."""
    prepared = _as_javascript_writes(value)
    try:
        encoded = orjson.dumps(prepared, option=_OPTIONS)
    except orjson.JSONEncodeError:  # a lone surrogate (in a model's reply, say): rare, so looked for only now
        encoded = orjson.dumps(_with_lone_surrogates_escaped(prepared), option=_OPTIONS)
    return encoded.decode("utf-8")


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; outputs are meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
