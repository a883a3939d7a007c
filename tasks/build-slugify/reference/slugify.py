"""URL slugs from arbitrary text (reference solution)."""

from __future__ import annotations

import re
import unicodedata

# Removed before separating, so that "don't" stays one word.
_APOSTROPHES = re.compile("['\u2019]")
_NOT_ASCII_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def slugify(text: str, *, separator: str = "-", max_length: int | None = None,
            lowercase: bool = True) -> str:
    """`text` as ASCII words joined by `separator`, at most `max_length` characters long."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not isinstance(separator, str) or not separator or any(c.isascii() and c.isalnum() for c in separator):
        raise ValueError(f"separator must be non-empty and hold no ASCII letter or digit, got {separator!r}")
    if max_length is not None and max_length < 1:
        raise ValueError(f"max_length must be None or >= 1, got {max_length!r}")

    folded = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    words = [word for word in _NOT_ASCII_ALNUM.split(ascii_text) if word]
    if lowercase:
        words = [word.lower() for word in words]
    if max_length is None:
        return separator.join(words)

    kept: list[str] = []
    length = 0
    for word in words:
        length += len(word) + (len(separator) if kept else 0)
        if length > max_length:
            break
        kept.append(word)
    if not kept and words:
        return words[0][:max_length]
    return separator.join(kept)
