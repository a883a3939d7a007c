"""Recording and replay of model calls."""

from ._cassette import Cassette, CassetteLoad, UnreadableLine
from ._clients import RecordingClient, ReplayClient, RetryScope, SourcedCall, describe_call

__all__ = [
    "Cassette",
    "CassetteLoad",
    "RecordingClient",
    "ReplayClient",
    "RetryScope",
    "SourcedCall",
    "UnreadableLine",
    "describe_call",
]
