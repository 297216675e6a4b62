"""Waiting for a sleeping Space: ask again, with backoff, until it serves its app.

A free Space sleeps after inactivity; the first request is what wakes it,
and Hugging Face answers with a "Preparing Space" page or bare 502/503/504s
until the app runs, a minute or two later. :class:`Waker` repeats one
attempt (read the config, upload, join the queue) while the Space is on its
way up, within the call's deadline and a *wake limit*, and reports each wait
as a :class:`Waking` event: the caller decides how to show it (the provider
turns it into g4f's status).

Whether it is on its way up is the Hub's to say, for a Space on ``hf.space``
(:mod:`.hub`): asked once per failed attempt, and only when the answer came
from in front of the app (a 502/503/504 or a page), never when the call
works. Waking, building and starting stages are waited for; paused, error
and deleting stages fail at once (:class:`~.errors.SpaceDownError`). When
the Hub cannot say (or for other hosts) the pages decide: a page naming a
waking state is waited for, a bare 502/503/504 only after a page said the
Space is starting or building, anything else fails at once.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import SpaceAsleepError, SpaceDownError, SpaceError, SpaceStatusError, excerpt
from .hub import DOWN_STAGES, RUNNING_STAGES, WAKING_STAGES, down_error
from .limits import non_negative

__all__ = [
    "Waking",
    "Waker",
    "WAKE_ENV",
    "DEFAULT_WAKE_LIMIT",
    "WAKING_STATES",
    "wake_limit",
    "non_negative",
    "is_waking",
    "not_serving",
    "backoff",
]

WAKE_ENV = "G4F_QWEN_SPACES_WAKE_LIMIT"
#: A free Space takes a minute or two to wake; a build can take longer.
DEFAULT_WAKE_LIMIT = 180.0
#: States that end by themselves (paused and runtime error do not).
WAKING_STATES = frozenset({"sleeping", "stopped", "starting", "building"})
#: States after which a bare 502/503/504 means "still coming up" (seen on hf.space while starting).
STARTING_STATES = frozenset({"starting", "building"})
#: What a proxy answers while the app behind it is not (yet) serving.
NOT_SERVING = frozenset({502, 503, 504})
#: Seconds between attempts: quick at first (a Space that was only starting), then every 5 s.
BACKOFF = (1.0, 2.0, 4.0)
BACKOFF_CAP = 5.0

_T = TypeVar("_T")


def wake_limit(value: Any = None) -> float:
    """The wake limit: ``value`` (a call's ``wake_limit=``), else the variable, else 180 s."""
    if value is not None and value != "":
        return non_negative(value, "wake_limit")
    raw = os.environ.get(WAKE_ENV, "").strip()
    return non_negative(raw, WAKE_ENV) if raw else DEFAULT_WAKE_LIMIT


def backoff(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th (0-based) waking answer."""
    return BACKOFF[attempt] if attempt < len(BACKOFF) else BACKOFF_CAP


def not_serving(error: BaseException) -> bool:
    """Whether the answer came from in front of the app (a 502/503/504, a page): worth asking the Hub."""
    if not isinstance(error, SpaceStatusError) or isinstance(error, (SpaceAsleepError, SpaceDownError)):
        return False
    return error.status in NOT_SERVING or error.page or error.state is not None


def is_waking(error: BaseException, seen: str = "") -> bool:
    """By the pages alone: is ``error`` the Space on its way up?

    ``seen`` is the last state this wait saw: a bare 502/503/504 counts only
    after a page said the Space is starting or building (a crashed Space says
    so in its 503, a paused one never comes back: neither may look like waking).
    """
    if not not_serving(error):
        return False
    assert isinstance(error, SpaceStatusError)
    if error.state in WAKING_STATES:
        return True
    return error.state is None and error.status in NOT_SERVING and seen in STARTING_STATES


@dataclass(frozen=True)
class Waking:
    """The Space is waking up: ``elapsed`` seconds since its first status page."""

    url: str
    state: str
    elapsed: float
    limit: float

    def describe(self) -> str:
        if self.state in STARTING_STATES:
            return f"The Space is {self.state} ({self.elapsed:.0f} s)…"
        return f"The Space is waking up ({self.elapsed:.0f} s)…"


class Waker(Generic[_T]):
    """``async for waking in Waker(client, attempt, limit): ...`` then ``waker.result``.

    Each iteration runs ``attempt()``; when it fails with a waking status
    (the Hub's stage, else the page's; see the module) the waker yields a
    :class:`Waking` and sleeps (1, 2, 4, then 5 s) before the next; when it
    succeeds iteration ends and ``result`` holds its value. A stage only the
    owner can end raises :class:`SpaceDownError`; any other error is raised
    as it is. Past the wake limit the last status
    becomes a :class:`SpaceAsleepError`; past the call's deadline, the
    client's deadline error. ``on_wake`` runs once when the first status page
    arrives (the client drops a cached config that a rebuild may change).
    A class, not an async generator: nothing is left to finalise if the
    caller stops iterating.
    """

    def __init__(
        self,
        client: Any,
        attempt: Callable[[], Awaitable[_T]],
        limit: float,
        *,
        on_wake: Callable[[SpaceStatusError], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.attempt = attempt
        self.limit = limit
        self.on_wake = on_wake
        self.first: float | None = None
        self.state = ""
        self.waits = 0
        self._delay = 0.0
        self._done = False
        self._result: Any = None

    @property
    def result(self) -> _T:
        if not self._done:
            raise RuntimeError("the Space has not answered yet")
        return self._result  # type: ignore[no-any-return]

    def __aiter__(self) -> Waker[_T]:
        return self

    async def __anext__(self) -> Waking:
        if self._done:
            raise StopAsyncIteration
        if self._delay:
            await asyncio.sleep(self._delay)
        try:
            self._result = await self.attempt()
        except SpaceError as error:
            if not isinstance(error, SpaceStatusError) or not not_serving(error):
                raise
            state = await self._judge(error)
            if state is None:
                raise
            return await self._waiting(error, state)
        self._done = True
        raise StopAsyncIteration

    async def _judge(self, error: SpaceStatusError) -> str | None:
        """The state to wait in, or ``None`` to fail with ``error``; raises for a Space that is down."""
        hub_stage = getattr(self.client, "hub_stage", None)
        stage = await hub_stage() if hub_stage is not None else None
        if stage in DOWN_STAGES:
            raise down_error(self.client.base_url, stage, error.status, getattr(self.client, "url_hint", ""))
        if stage in WAKING_STAGES:
            return WAKING_STAGES[stage]
        if stage in RUNNING_STAGES and self.state and error.status in NOT_SERVING:
            return self.state  # it just came up: the proxy has not caught up yet
        # Unknown to the Hub (or not asked): the page decides.
        if is_waking(error, self.state):
            return error.state or self.state
        return None

    async def _waiting(self, error: SpaceStatusError, state: str) -> Waking:
        now = time.monotonic()
        self.state = state
        if self.first is None:
            self.first = now
            if self.on_wake is not None:
                # With the state it is waited in (a Space the Hub says is building, behind a bare 503).
                named = SpaceStatusError(str(error), error.status, url=error.url, state=state, page=error.page)
                await self.on_wake(named)
        elapsed = now - self.first
        if elapsed >= self.limit:
            raise self._asleep(error, elapsed) from error
        left = self.client.deadline - now
        if left <= 0.05:
            raise self.client.deadline_error() from error
        self._delay = min(backoff(self.waits), self.limit - elapsed, left)
        self.waits += 1
        return Waking(self.client.base_url, self.state, elapsed, self.limit)

    def _asleep(self, error: SpaceStatusError, elapsed: float) -> SpaceAsleepError:
        if self.limit:
            tail = f"still not serving its app after {elapsed:.0f} s (wake limit {self.limit:g} s, {WAKE_ENV})"
        else:
            tail = f"not waiting for it ({WAKE_ENV}=0)"
        # A bare 502/503/504 says nothing, and the Hub's word beats a page's: the state waited in.
        head = str(error)
        if error.state != self.state:
            head = f"The Space at {self.client.base_url} is {self.state} ({error.status})"
        return SpaceAsleepError(
            f"{excerpt(head, 200)}; {tail}", error.status, url=error.url, state=self.state, elapsed=elapsed
        )
