"""Turn arbitrary text into an ASCII URL slug, following SPEC.md rules 1-5."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[A-Za-z0-9]+")
# Apostrophes are deleted before words are split, so "don't" stays one word.
_NO_APOSTROPHES = str.maketrans("", "", "'\u2019")


def slugify(text: str, *, separator: str = "-", max_length: int | None = None,
            lowercase: bool = True) -> str:
    """Return `text` as ASCII words joined by `separator`, at most `max_length` long."""
    _check_arguments(text, separator, max_length)
    folded = unicodedata.normalize("NFKD", text.translate(_NO_APOSTROPHES))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    words = _WORD.findall(ascii_text.lower() if lowercase else ascii_text)
    if max_length is None:
        return separator.join(words)
    return _fit(words, separator, max_length)


def _check_arguments(text: object, separator: str, max_length: int | None) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if not separator or any(ch.isascii() and ch.isalnum() for ch in separator):
        raise ValueError(f"separator must be non-empty and hold no ASCII letter or digit: {separator!r}")
    if max_length is not None and max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")


def _fit(words: list[str], separator: str, max_length: int) -> str:
    """The leading whole words that fit; a first word that does not fit is cut hard."""
    slug = ""
    for word in words:
        candidate = f"{slug}{separator}{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        return words[0][:max_length]
    return slug
