"""Progress of a running round: live display, JSON lines, quiet; the closing summary."""

from ._observed import ObservedClient, ObservedHiddenTests
from ._rich import RichSink
from ._sink import JsonLinesSink, ProgressSink, QuietSink, StageTally
from ._summary import ModelSummary, print_summary, summarize

__all__ = [
    "JsonLinesSink",
    "ModelSummary",
    "ObservedClient",
    "ObservedHiddenTests",
    "ProgressSink",
    "QuietSink",
    "RichSink",
    "StageTally",
    "print_summary",
    "summarize",
]
