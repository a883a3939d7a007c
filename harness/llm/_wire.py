"""How calls reach the wire: the concurrency limits and the HTTP session calls share.

The round-wide `concurrency` bounds the requests on the wire. LiteLLM spends milliseconds
of CPU before and after each request; were a slot held for that too, a busy event loop
would leave slots idle while calls wait for it. So where a model's requests go out
through the session below (LiteLLM's `shared_session`; most providers use it, some do
not), a call holds a wire slot only from the moment its request goes out until its reply
arrives, seen by aiohttp's request hooks. Up to twice `concurrency` calls may be inside
LiteLLM at once, so a slot that comes free finds a request ready; of those, only a few
are being prepared at a time, because a hundred calls preparing at once interleave their
steps and are all sent late, where a few at a time are sent one after another.

Until a route's (provider's) first request has been seen going out through the session,
its calls hold a wire slot for their whole duration, which is exact for any provider; so
do the calls of a route whose call succeeded unseen. A model's own `concurrency` always
covers its whole attempt; the driver holds it (`_litellm.py`), wherever the attempt is made.

One `Wire` serves one event loop: the driver's, or each call worker's with its share of the
round's `concurrency` (`_call_workers.py`).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["Wire", "proxies_from_env"]

_PREPARED_AT_ONCE = 4
"""How many calls LiteLLM may be preparing (before their request is sent) at one time."""

_UNSEEN_PREPARATION_S = 0.05
"""While a route is unknown, how long a call keeps its preparation place if no hook sees
its request: a provider that sends outside the session must not be held to a few calls."""


class _Ticket:
    """A place held in a semaphore, given back at most once."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots: asyncio.Semaphore | None = slots

    def give_back(self) -> None:
        if self._slots is not None:
            self._slots.release()
            self._slots = None


class _Call:
    """The places one call holds; aiohttp's hooks find it through a context variable."""

    def __init__(self, wire: Wire, route: str) -> None:
        self.wire = wire
        self.route = route
        self.preparing: _Ticket | None = None
        self.on_wire: _Ticket | None = None
        self.seen = False

    async def request_going_out(self) -> None:
        self.seen = True
        self.wire.learn_route(self.route)
        if self.preparing is not None:
            self.preparing.give_back()
        if self.on_wire is None:
            self.on_wire = await self.wire.take_wire_slot()

    def request_answered(self) -> None:
        if self.on_wire is not None:
            self.on_wire.give_back()
            self.on_wire = None

    def give_back_all(self) -> None:
        for ticket in (self.preparing, self.on_wire):
            if ticket is not None:
                ticket.give_back()


ROUTE_USES_SESSION: dict[str, bool] = {}
"""Per route (LiteLLM provider), in this process: True once a request of it was seen going
out through the shared session, False once a call of it succeeded unseen."""

_current_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("harness_current_call", default=None)


async def _request_started(session: Any, trace_context: Any, params: Any) -> None:
    call = _current_call.get()
    if call is not None:
        await call.request_going_out()


async def _request_ended(session: Any, trace_context: Any, params: Any) -> None:
    call = _current_call.get()
    if call is not None:
        call.request_answered()


class Wire:
    """The limits one round's calls share, and their HTTP session (made in the running loop)."""

    def __init__(self, concurrency: int, *, proxies_from_env: bool = False) -> None:
        self._concurrency = concurrency
        self._proxies_from_env = proxies_from_env
        self._work_slots = asyncio.Semaphore(2 * concurrency)
        self._prep_slots = asyncio.Semaphore(_PREPARED_AT_ONCE)
        self._wire_slots = asyncio.Semaphore(concurrency)
        self._route_learned: dict[str, asyncio.Event] = {}
        self._session: Any = None

    @asynccontextmanager
    async def slot(self, route: str) -> AsyncIterator[Any]:
        """Hold a place for one call; yields the aiohttp session to send it with.

        `route` names the way LiteLLM sends the call (its provider): whether a route's
        requests go through the shared session is learnt once per process.
        """
        async with self._work_slots:
            call = _Call(self, route)
            try:
                call.on_wire = await self._whole_call_slot_unless_routed(route)
                if ROUTE_USES_SESSION.get(route) is not False:
                    await self._prep_slots.acquire()
                    call.preparing = _Ticket(self._prep_slots)
                    if call.on_wire is not None:  # the route is unknown
                        asyncio.get_running_loop().call_later(_UNSEEN_PREPARATION_S, call.preparing.give_back)
                token = _current_call.set(call)
                try:
                    yield self._shared_session()
                finally:
                    _current_call.reset(token)
                if not call.seen:
                    ROUTE_USES_SESSION[route] = False
            finally:
                call.give_back_all()

    async def _whole_call_slot_unless_routed(self, route: str) -> _Ticket | None:
        """A wire slot for the whole call while the route is not known to use the session; None once it is."""
        uses_session = ROUTE_USES_SESSION.get(route)
        if uses_session is not None:
            return None if uses_session else await self.take_wire_slot()
        learned = self._route_learned.setdefault(route, asyncio.Event())
        slot = asyncio.ensure_future(self._wire_slots.acquire())
        known = asyncio.ensure_future(learned.wait())
        try:
            await asyncio.wait({slot, known}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            known.cancel()
            slot.cancel()
            if slot.done() and not slot.cancelled():
                self._wire_slots.release()
            raise
        known.cancel()
        slot.cancel()  # a no-op once it has acquired; a pending acquire gives its turn on
        acquired = slot.done() and not slot.cancelled()
        if acquired and not ROUTE_USES_SESSION.get(route):
            return _Ticket(self._wire_slots)
        if acquired:
            self._wire_slots.release()
        return None

    async def take_wire_slot(self) -> _Ticket:
        await self._wire_slots.acquire()
        return _Ticket(self._wire_slots)

    def learn_route(self, route: str) -> None:
        """The route's requests go out through the shared session, where the hooks see them."""
        ROUTE_USES_SESSION[route] = True
        learned = self._route_learned.get(route)
        if learned is not None:
            learned.set()

    def _shared_session(self) -> Any:
        if self._session is None or self._session.closed:
            import aiohttp

            tracing = aiohttp.TraceConfig()
            tracing.on_request_start.append(_request_started)
            tracing.on_request_end.append(_request_ended)
            tracing.on_request_exception.append(_request_ended)
            # The wire slots bound the requests out; connections may be more, so that a request that
            # takes a slot just freed need not wait for the answered call to give its connection back.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=2 * self._concurrency, limit_per_host=0, ttl_dns_cache=300),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=self._proxies_from_env,
                trace_configs=[tracing],
            )
        return self._session

    async def aclose(self, litellm: Any = None) -> None:
        """Close the session, and drop LiteLLM's cached HTTP clients built on it.

        LiteLLM keys its client cache by the event loop's `id()`, which a later loop may
        reuse: a client left behind would send that loop's calls outside its session.
        """
        if self._session is not None:
            await self._session.close()
            self._session = None
        cache = getattr(litellm, "in_memory_llm_clients_cache", None)
        flush = getattr(cache, "flush_cache", None)
        if callable(flush):
            flush()


def proxies_from_env(litellm: Any) -> bool:
    """Whether LiteLLM is set to honour HTTP(S)_PROXY, as its own sessions would."""
    return bool(getattr(litellm, "aiohttp_trust_env", False)) or os.environ.get("AIOHTTP_TRUST_ENV", "").lower() in ("1", "true")
