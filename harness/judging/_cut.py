"""What judges see of a long answer (`judging.max_answer_chars`): its start, and a marker saying how much was cut."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["cut_answer", "cut_files", "cut_marker"]


def cut_marker(cut: int, limit: int, what: str) -> str:
    """The line that replaces the end of a cut text."""
    return f"[... {cut:,} characters cut here: judges see the first {limit:,} characters of each {what} ...]"


def cut_answer(text: str, limit: int | None) -> str:
    """`text` as a judge sees it: whole when it fits in `limit` characters (or no limit), else its start and the marker."""
    if limit is None or len(text) <= limit:
        return text
    return f"{text[:limit]}\n\n{cut_marker(len(text) - limit, limit, 'answer')}"


def cut_files(files: Mapping[str, str], limit: int | None) -> dict[str, str]:
    """An implementation's files as a judge sees them: `limit` characters in all, spent in file-name order.

    A file that does not fit keeps its start and ends with the marker; a file after the limit is only the marker.
    """
    if limit is None or sum(len(text) for text in files.values()) <= limit:
        return dict(files)
    left = limit
    seen = {}
    for name in sorted(files):
        text = files[name]
        if len(text) <= left:
            seen[name] = text
        else:
            kept = text[:left]
            seen[name] = (f"{kept}\n" if kept else "") + cut_marker(len(text) - left, limit, "implementation (all files together)")
        left = max(0, left - len(text))
    return seen
