"""One connection pool per event loop, shared by every call on that loop.

A new connection to a Space costs a TCP handshake and, on ``hf.space``, a TLS
handshake: two round trips before ``queue/join`` is sent. So every call on
one event loop (g4f's API server, the GUI's loop, a user's own loop) borrows
its connections from one :class:`aiohttp.TCPConnector`, while what belongs to
a call stays per call: its ``ClientSession`` (cookie jar, headers, token),
its deadline and stall timers, and its proxy (a call with ``proxy=`` has
connections of its own).

The pool is keyed by the loop object, so a call on another loop (another
thread, the next ``asyncio.run``) never touches it: aiohttp's connections
belong to the loop that made them. asyncio has no "loop closes" hook, so the
pool is closed on both of the loop's ways out:

* ``loop.shutdown_asyncgens()`` (called by ``asyncio.run``,
  ``asyncio.Runner``, g4f's sync API and uvicorn before they close a loop):
  every pool is watched by a suspended async generator, which it closes,
  after calls still closing have had :data:`SHUTDOWN_GRACE` to finish.
* ``loop.close()`` without that shutdown (the old-style
  ``run_until_complete`` + ``close()`` of sync wrappers, threads with a
  loop of their own, users' code): at first borrow the loop *instance's*
  ``close`` is wrapped once, so the pool is closed on the still-open loop,
  just before it closes. This is
  the one point where that is still possible: once the loop is closed its
  transports can only be dropped by the garbage collector, with an
  "Unclosed connector" / "unclosed transport" warning each and their
  sockets open until then. Closing every idle connection after each call
  instead would give up the pool on every loop; closing the sockets behind
  a dead loop's back would go through aiohttp's and asyncio's private parts.
  No grace is given here: nothing runs on such a loop after its close.

A loop whose ``close`` cannot be wrapped (uvloop's has no instance
attributes) and is closed without a shutdown keeps the old fallback: its
pool is forgotten at the next borrow and its connections go with the
garbage. So does a loop whose close is called while another loop runs in
the same thread (it cannot be run once more to close the pool).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable

import aiohttp

__all__ = [
    "POOL_LIMIT",
    "POOL_LIMIT_PER_HOST",
    "POOL_IDLE_SECONDS",
    "SHUTDOWN_GRACE",
    "Pool",
    "borrow",
    "close_pool",
    "pools",
]

#: Connections open at once on one event loop, to all Spaces together.
POOL_LIMIT = 256
#: Connections open at once to one Space (host and port) on one event loop.
#: A streaming call holds one for as long as it streams; a call beyond the
#: bound waits for a free connection, within its own deadline.
POOL_LIMIT_PER_HOST = 128
#: Seconds an idle connection is kept for the next call: below the 5 s after
#: which uvicorn (Gradio's server) closes an idle one, so we close first and
#: a request is never sent on a connection the server is closing.
POOL_IDLE_SECONDS = 4.0
#: At a loop's shutdown, how long calls still closing (an abandoned stream
#: asking the Space to cancel its job) may keep using the pool before it closes.
SHUTDOWN_GRACE = 5.0

_POOLS: dict[asyncio.AbstractEventLoop, Pool] = {}


class Pool:
    """A loop's connector, the calls using it, and the async generator that closes it at shutdown."""

    __slots__ = ("connector", "watcher", "abandoned", "users", "idle")

    def __init__(self) -> None:
        self.abandoned = False
        self.users = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.connector = aiohttp.TCPConnector(
            limit=POOL_LIMIT,
            limit_per_host=POOL_LIMIT_PER_HOST,
            keepalive_timeout=POOL_IDLE_SECONDS,
        )
        # Held here: the loop keeps only a weak reference to its async generators.
        self.watcher: AsyncGenerator[None, None] = _close_at_shutdown(self)

    def give_back(self) -> None:
        """A call is done with the pool (its session is closed)."""
        self.users -= 1
        if self.users == 0:
            self.idle.set()

    async def close(self, grace: float = SHUTDOWN_GRACE) -> None:
        if self.users and grace > 0:
            # shutdown_asyncgens() closes every abandoned generator at once,
            # this watcher among them: let a call that is still closing (its
            # cancel request on the way) finish first.
            try:
                await asyncio.wait_for(self.idle.wait(), grace)
            except (asyncio.TimeoutError, TimeoutError):
                pass
        await self.connector.close()
        # Closed transports drop their sockets on the next loop iteration;
        # give them that iteration before the loop is closed.
        await asyncio.sleep(0)
        await asyncio.sleep(0)


async def _close_at_shutdown(pool: Pool) -> AsyncGenerator[None, None]:
    """Suspended at its first ``yield`` until ``loop.shutdown_asyncgens()`` closes it."""
    try:
        yield
    finally:
        # Abandoned: closed by its loop's close(), or its loop is closed: nothing to do.
        if not pool.abandoned:
            loop = asyncio.get_running_loop()
            if _POOLS.get(loop) is pool:
                del _POOLS[loop]
            await pool.close()


async def borrow() -> Pool:
    """The running loop's pool, made on first use; call ``pool.give_back()`` when done.

    Sessions use ``pool.connector`` with ``connector_owner=False``.
    """
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None or pool.connector.closed:
        _forget_closed_loops()
        pool = _POOLS[loop] = Pool()
        # Started here, on this loop, so the loop's shutdown will finalise it.
        await pool.watcher.asend(None)
        _close_with_the_loop(loop)
    pool.users += 1
    pool.idle.clear()
    return pool


async def close_pool() -> None:
    """Close the running loop's pool now (the next call on the loop makes a new one)."""
    pool = _POOLS.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.watcher.aclose()  # runs its finally: the pool closes


class _ClosePoolFirst:
    """The loop's ``close`` wrapped: close its pool on the still-open loop, then the loop.

    Set on the loop instance (not its class), so only loops that used a pool
    are touched; it removes itself when the loop is closed, which also
    breaks the loop -> wrapper -> loop cycle.
    """

    __slots__ = ("loop", "close")

    def __init__(self, loop: asyncio.AbstractEventLoop, close: Callable[[], None]) -> None:
        self.loop = loop
        self.close = close

    def __call__(self) -> None:
        loop = self.loop
        pool = _POOLS.get(loop)
        try:
            if pool is not None and not loop.is_closed() and not loop.is_running() and not _a_loop_runs_here():
                loop.run_until_complete(_close_now(loop, pool))
        finally:
            self.close()  # the loop's own close raises what it raises (a running loop)
        attributes = vars(loop)
        if loop.is_closed() and attributes.get("close") is self:
            del attributes["close"]


def _a_loop_runs_here() -> bool:
    """Another loop runs in this thread: ``loop`` cannot be run to close its pool (the fallback)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _close_with_the_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Wrap ``loop.close`` once, so a close without ``shutdown_asyncgens()`` closes the pool first."""
    if isinstance(loop.close, _ClosePoolFirst):
        return
    try:
        loop.close = _ClosePoolFirst(loop, loop.close)  # type: ignore[method-assign]
    except AttributeError:
        pass  # no instance attributes (uvloop): the fallback (module docstring)


async def _close_now(loop: asyncio.AbstractEventLoop, pool: Pool) -> None:
    """Close ``pool`` at once (its loop is closing), its watcher run to its end first."""
    if _POOLS.get(loop) is pool:
        del _POOLS[loop]
    pool.abandoned = True  # the watcher's finally: nothing left for it to do
    await pool.watcher.aclose()
    await pool.close(grace=0.0)


def pools() -> int:
    """How many loops have a pool (for tests: a closed loop leaves none)."""
    return len(_POOLS)


def _forget_closed_loops() -> None:
    """Drop the pools of loops closed without ``shutdown_asyncgens()``.

    Their sockets cannot be closed through a closed loop; they go with the
    garbage (Python warns of each: the loop was not shut down). The watcher is
    run to its end here, so no finaliser is ever scheduled on the dead loop.
    """
    for loop in [loop for loop in list(_POOLS) if loop.is_closed()]:  # list(): other threads add theirs
        pool = _POOLS.pop(loop, None)
        if pool is None:
            continue
        pool.abandoned = True
        step = pool.watcher.asend(None)
        try:
            step.send(None)
        except (StopIteration, StopAsyncIteration):
            pass
