"""Waiting for a sleeping Space: ask again, with backoff, until it serves its app.

A free Space sleeps after inactivity; the first request is what wakes it,
and Hugging Face answers with its sleeping, starting or building page (or a
503) until the app runs, a minute or two later. :class:`Waker` repeats one
attempt (read the config, upload, join the queue) while that is what comes
back, within the call's deadline and a *wake limit*, and reports each wait
as a :class:`Waking` event: the caller decides how to show it (the provider
turns it into g4f's status). Paused Spaces and runtime errors do not wake by
themselves, so they fail at once.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import SpaceAsleepError, SpaceError, SpaceStatusError, excerpt
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
    "backoff",
]

WAKE_ENV = "G4F_QWEN_SPACES_WAKE_LIMIT"
#: A free Space takes a minute or two to wake; a build can take longer.
DEFAULT_WAKE_LIMIT = 180.0
#: States that end by themselves (paused and runtime error do not).
WAKING_STATES = frozenset({"sleeping", "starting", "building"})
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


def is_waking(error: BaseException, seen: bool) -> bool:
    """Whether ``error`` is the Space on its way up (a 503 counts once a status page was seen)."""
    if not isinstance(error, SpaceStatusError) or isinstance(error, SpaceAsleepError):
        return False
    if error.state in WAKING_STATES:
        return True
    return seen and error.status == 503 and error.state is None


@dataclass(frozen=True)
class Waking:
    """The Space is waking up: ``elapsed`` seconds since its first status page."""

    url: str
    state: str
    elapsed: float
    limit: float

    def describe(self) -> str:
        return f"The Space is waking up ({self.elapsed:.0f} s)…"


class Waker(Generic[_T]):
    """``async for waking in Waker(client, attempt, limit): ...`` then ``waker.result``.

    Each iteration runs ``attempt()``; when it fails with a waking status the
    waker yields a :class:`Waking` and sleeps (1, 2, 4, then 5 s) before the
    next; when it succeeds iteration ends and ``result`` holds its value. Any
    other error is raised as it is. Past the wake limit the last status
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
            if not isinstance(error, SpaceStatusError) or not is_waking(error, self.first is not None):
                raise
            return await self._waiting(error)
        self._done = True
        raise StopAsyncIteration

    async def _waiting(self, error: SpaceStatusError) -> Waking:
        now = time.monotonic()
        if self.first is None:
            self.first = now
            self.state = error.state or "starting"
            if self.on_wake is not None:
                await self.on_wake(error)
        elif error.state:
            self.state = error.state
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
        return SpaceAsleepError(
            f"{excerpt(str(error), 200)}; {tail}", error.status, url=error.url, state=self.state, elapsed=elapsed
        )
