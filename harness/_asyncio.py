"""`asyncio.run` for coroutines whose result is large (a round's results).

On its way out, Python 3.11's `asyncio.run` looks up the SIGINT handler it installed with
`signal.getsignal`, and that lookup formats the handler's repr, which holds the main task and
so the repr of its result: for a 1,000-call round, tens of milliseconds spent on a string no
one reads (benchmarks/dispatch.py). Here the main task returns nothing; the result is handed
over beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_in_new_loop"]

T = TypeVar("T")


def run_in_new_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)`, returning its result without it ever being the main task's."""
    results: list[T] = []

    async def main() -> None:
        results.append(await coroutine)

    asyncio.run(main())
    return results[0]
