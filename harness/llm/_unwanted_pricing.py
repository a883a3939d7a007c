"""LiteLLM prices every reply it returns; the harness skips that for calls whose price it does not take from LiteLLM.

LiteLLM's `Logging.response_cost_calculator` runs at least twice per call (for the reply's
hidden params and for the logging payload). For a model missing from its price map each run
searches the map's generalisation rules and fails: a fifth to a third of an attempt's CPU
(benchmarks/attempt_cpu.py prints both). A call whose price comes from the round config, or that no
one prices, has no use for the result (`AttemptCall.litellm_price` is False), so inside
`litellm_pricing_skipped()` the calculator answers None, what LiteLLM itself answers for a
reply it cannot price. Calls that want LiteLLM's price are priced as before.

The context variable travels with the call into the tasks LiteLLM starts for its logging. If
a LiteLLM release renames the method, nothing is patched and every call is priced, as without
this module.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["litellm_pricing_skipped", "skip_unwanted_pricing"]

_SKIPPED: contextvars.ContextVar[bool] = contextvars.ContextVar("harness_litellm_pricing_skipped", default=False)
_MARK = "_harness_skips_unwanted_pricing"


@contextmanager
def litellm_pricing_skipped(skipped: bool = True) -> Iterator[None]:
    """Within the block (and the tasks it starts), LiteLLM does not price replies if `skipped`."""
    token = _SKIPPED.set(skipped)
    try:
        yield
    finally:
        _SKIPPED.reset(token)


def skip_unwanted_pricing() -> bool:
    """Make LiteLLM's reply pricing honour `litellm_pricing_skipped`; True if it does (patched once per process)."""
    try:
        from litellm.litellm_core_utils.litellm_logging import Logging
    except ImportError:
        return False
    original = getattr(Logging, "response_cost_calculator", None)
    if original is None:
        return False
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)
    def response_cost_calculator(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _SKIPPED.get():
            return None
        return original(self, *args, **kwargs)

    setattr(response_cost_calculator, _MARK, True)
    Logging.response_cost_calculator = response_cost_calculator  # type: ignore[method-assign]
    return True
