"""Recording and replay of model calls."""

from ._cassette import Cassette
from ._clients import RecordingClient, ReplayClient, describe_call

__all__ = ["Cassette", "RecordingClient", "ReplayClient", "describe_call"]
