"""harness: run LLM evaluation rounds end to end, recorded and replayable."""

__version__ = "0.1.0"
