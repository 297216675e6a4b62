"""Connections: one pool per event loop, shared by its calls; pinned addresses for image URLs.

Every Space here is :class:`tests.faultserver.FaultServer` on loopback; it
records the client port of each request, so ``server.connections()`` is the
number of TCP connections the calls opened to it. The numbers the README
documents (pool bounds, idle limit) are pinned here.
"""
from __future__ import annotations

import asyncio
import gc
import http.server
import os
import socket
import threading
import time
import warnings
from typing import Any

import pytest
from aiohttp import web

from g4f_qwen_spaces import Qwen_QVQ_72B
from g4f_qwen_spaces.space import SpaceClient, SpaceInputError, pool
from g4f_qwen_spaces.space import files as files_module
from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV, download
from g4f_qwen_spaces.space.pool import (
    POOL_IDLE_SECONDS,
    POOL_LIMIT,
    POOL_LIMIT_PER_HOST,
    SHUTDOWN_GRACE,
    borrow,
    close_pool,
    pools,
)
from tests.faultserver import PREFIX, FaultServer, run, tcp_socket_count

HELLO = "Hello world"


def png(color: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), color).save(buffer, "PNG")
    return buffer.getvalue()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def checked_out() -> int:
    """Connections of this loop's pool that a call took and did not give back (aiohttp has no public count)."""
    shared = pool._POOLS.get(asyncio.get_running_loop())
    return len(shared.connector._acquired) if shared else 0


# -- one pool per loop ------------------------------------------------------------


async def test_thirty_calls_in_one_loop_share_one_connection(space):
    """Issue 18: 30 sequential calls used to open 30 connections; now the first one serves all."""
    for _ in range(30):
        outcome = await run()
        assert outcome.error is None, outcome.error
        assert outcome.text == HELLO
    assert len(space.requests_to("/queue/join")) == 30
    assert space.connections() == 1
    assert space.disconnects == 0  # every completed stream was read to its end, not dropped
    assert checked_out() == 0


async def test_the_pool_has_the_documented_bounds():
    """README, "Connections": 256 in all and 128 per Space per event loop, idle ones kept 4 s."""
    assert (POOL_LIMIT, POOL_LIMIT_PER_HOST, POOL_IDLE_SECONDS, SHUTDOWN_GRACE) == (256, 128, 4.0, 5.0)
    shared = await borrow()
    try:
        assert shared.connector.limit == 256
        assert shared.connector.limit_per_host == 128
        assert shared.connector._keepalive_timeout == 4.0  # aiohttp has no public getter
        assert (await borrow()) is shared
        shared.give_back()
    finally:
        shared.give_back()
        await close_pool()


async def test_an_idle_connection_is_closed_after_the_idle_limit(space):
    """Reused within the idle limit; closed by us (not the server) once idle for longer."""
    assert (await run()).text == HELLO
    await asyncio.sleep(1.0)
    assert (await run()).text == HELLO
    assert space.connections() == 1
    sockets = tcp_socket_count()
    # aiohttp sweeps idle connections every POOL_IDLE_SECONDS: closed within two sweeps.
    await asyncio.sleep(2 * POOL_IDLE_SECONDS + 0.3)
    assert tcp_socket_count() == sockets - 2  # our end and the server's (it runs in this process)
    assert (await run()).text == HELLO
    assert space.connections() == 2
    assert checked_out() == 0


async def test_a_stream_stopped_early_drops_its_connection(space):
    """Sharing connections must not keep an abandoned job's stream open: the drop stops the job."""
    from tests.faultserver import HANG, generating

    space.script = [generating("Hello"), HANG]
    generator = Qwen_QVQ_72B.create_async_generator("", [{"role": "user", "content": "Hi"}])
    assert await generator.__anext__() == "Hello"
    await generator.aclose()
    assert await space.async_wait_for(lambda: space.disconnects == 1, 3)
    dropped = space.requests_to("/queue/data")[0].peer
    before = len(space.requests)
    space.script = FaultServer().script
    assert (await run()).text == HELLO
    assert dropped not in {r.peer for r in space.requests[before:]}  # never handed to the next call
    assert checked_out() == 0


def test_asyncio_run_per_call_leaks_nothing(qvq_at):
    """g4f's sync API runs each call in a new loop: 50 of them leave no pool, socket, fd or warning."""
    import g4f

    def one() -> str:
        return asyncio.run(run()).text

    assert one() == HELLO  # imports and caches warmed
    gc.collect()
    sockets, fds = tcp_socket_count(), open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(50):
            assert one() == HELLO
        for _ in range(5):  # g4f's own sync path (new loop, shutdown_asyncgens, close)
            chunks = g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, stream=True,
                                               messages=[{"role": "user", "content": "Hi"}])
            assert "".join(c for c in chunks if isinstance(c, str)) == HELLO
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert pools() == 0
    end = time.monotonic() + 1.0  # the server's end closes in its own thread, a moment later
    while (tcp_socket_count(), open_fds()) != (sockets, fds) and time.monotonic() < end:
        time.sleep(0.02)
    assert tcp_socket_count() == sockets
    assert open_fds() == fds
    assert qvq_at.connections() == 56  # one per loop: a loop's connections die with it


def test_a_pool_is_closed_when_its_loop_shuts_down_with_a_call_still_closing(space):
    """shutdown_asyncgens() closes an abandoned stream and the pool together: the cancel still goes out."""
    from tests.faultserver import HANG, generating

    space.script = [generating("Hello"), HANG]
    kept: list[Any] = []

    async def abandon() -> None:
        generator = Qwen_QVQ_72B.create_async_generator("", [{"role": "user", "content": "Hi"}])
        assert await generator.__anext__() == "Hello"
        kept.append(generator)  # never closed by us: the loop's shutdown finalises it

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(abandon())
        kept.clear()
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert len(space.requests_to("/cancel")) == 1
    assert space.wait_for(lambda: space.disconnects == 1, 3)
    assert pools() == 0


async def test_a_call_on_another_loop_never_gets_this_loops_pool(space):
    ours = await borrow()
    try:
        assert (await run()).text == HELLO  # one idle connection in our pool

        def elsewhere() -> tuple[int, str]:
            async def call() -> tuple[int, str]:
                theirs = await borrow()
                theirs.give_back()
                return id(theirs.connector), (await run()).text

            return asyncio.run(call())

        their_connector, text = await asyncio.to_thread(elsewhere)
        assert text == HELLO
        assert their_connector != id(ours.connector)
        assert space.connections() == 2  # the other loop opened its own
        assert not ours.connector.closed
        assert pools() == 1  # the other loop's pool closed with it
        assert (await run()).text == HELLO
        assert space.connections() == 2  # ours still serves this loop
    finally:
        ours.give_back()


async def test_a_call_with_a_proxy_has_connections_of_its_own(space):
    """The Space doubles as the HTTP proxy here (aiohttp serves absolute-form requests too)."""
    assert (await run()).text == HELLO
    pooled = {r.peer for r in space.requests}
    assert len(pooled) == 1
    sockets = tcp_socket_count()
    assert (await run(proxy=space.url)).text == HELLO
    proxied = {r.peer for r in space.requests} - pooled
    assert proxied and not proxied & pooled  # not the pooled connection
    assert await _settles(lambda: tcp_socket_count() == sockets)  # and closed with the call
    before = len(space.requests)
    assert (await run()).text == HELLO
    assert {r.peer for r in space.requests[before:]} == pooled  # the pool's was left alone and is reused
    assert checked_out() == 0


async def test_cookies_stay_per_call_on_shared_connections(space):
    """A cookie set for one call (a replica's affinity) never reaches the next, though the connection does."""
    join = f"{PREFIX}/queue/join"

    async def join_with_cookie(request: web.Request) -> web.StreamResponse:
        response = web.json_response({"event_id": space.event_id})
        response.set_cookie("replica", f"r{len(space.requests_to('/queue/join'))}")
        return response

    space.route("POST", join, join_with_cookie)
    for _ in range(3):
        assert (await run()).text == HELLO
    assert space.connections() == 1
    joins = space.requests_to("/queue/join")
    assert len(joins) == 3
    assert [r.headers.get("cookie") for r in joins] == [None, None, None]


async def _settles(predicate: Any, within: float = 1.0) -> bool:
    end = time.monotonic() + within
    while not predicate():
        if time.monotonic() > end:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_a_space_client_outside_a_provider_borrows_and_gives_back(space):
    async with SpaceClient(space.url) as client:
        config, endpoint = await client.endpoint("generate")
        assert endpoint.api_name == "generate"
        assert pool._POOLS[asyncio.get_running_loop()].users == 1
    assert pool._POOLS[asyncio.get_running_loop()].users == 0


# -- pinned addresses for image URLs -------------------------------------------------------


class Images:
    """A loopback image server that counts its requests."""

    def __init__(self, host: str, port: int, data: bytes) -> None:
        self.hits = 0
        images = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                images.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rebinding(socket_baseline, monkeypatch):
    """``images.test`` answers 127.0.0.2 ("public" here) first and 127.0.0.1 ("internal") after.

    Tests may only reach loopback, so 127.0.0.2 plays the public address:
    ``is_public`` is narrowed to it. Both servers listen on the same port, as a
    rebinding attacker's two addresses would.
    """
    internal = Images("127.0.0.1", 0, png(color=(255, 0, 0)))
    public = Images("127.0.0.2", internal.port, png(color=(0, 0, 255)))
    monkeypatch.setattr(files_module, "is_public", lambda address: str(address) == "127.0.0.2")
    monkeypatch.delenv(ALLOW_PRIVATE_URLS_ENV, raising=False)
    answers = ["127.0.0.2", "127.0.0.1"]
    lookups: list[str] = []

    def install(loop: asyncio.AbstractEventLoop) -> None:
        real = loop.getaddrinfo

        async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != "images.test":
                return await real(host, port, *args, **kwargs)
            lookups.append(host)
            address = answers[min(len(lookups), len(answers)) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)

    yield {"internal": internal, "public": public, "lookups": lookups, "install": install, "answers": answers,
           "url": f"http://images.test:{internal.port}/pic.png"}
    internal.close()
    public.close()


async def test_an_image_url_is_fetched_from_the_address_that_was_checked(rebinding):
    """DNS rebinding: the name turns to loopback after the check; the download never follows it."""
    rebinding["install"](asyncio.get_running_loop())
    data = await download(rebinding["url"], timeout=5)
    assert data == png(color=(0, 0, 255))
    assert rebinding["lookups"] == ["images.test"]  # one lookup, no second one to rebind
    assert (rebinding["public"].hits, rebinding["internal"].hits) == (1, 0)


async def test_an_image_url_whose_first_answer_is_private_is_refused(rebinding):
    rebinding["answers"].reverse()
    rebinding["install"](asyncio.get_running_loop())
    with pytest.raises(SpaceInputError) as caught:
        await download(rebinding["url"], timeout=5)
    assert str(caught.value) == (
        "Image URLs on private or local networks are refused (images.test); "
        "set G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS=1 to allow them"
    )
    assert (rebinding["public"].hits, rebinding["internal"].hits) == (0, 0)


async def test_allowing_private_urls_still_connects_only_to_the_first_answer(rebinding, monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    rebinding["answers"].reverse()  # loopback first: allowed now, and pinned all the same
    rebinding["install"](asyncio.get_running_loop())
    assert await download(rebinding["url"], timeout=5) == png(color=(255, 0, 0))
    assert rebinding["lookups"] == ["images.test"]
    assert (rebinding["public"].hits, rebinding["internal"].hits) == (0, 1)


async def test_an_image_download_does_not_use_the_spaces_pool(rebinding, space, allowed):
    allowed.add(("127.0.0.2", rebinding["public"].port))
    rebinding["install"](asyncio.get_running_loop())
    outcome = await run(media=[(rebinding["url"], None)])
    assert outcome.error is None, outcome.error
    assert rebinding["public"].hits == 1
    assert space.requests_to("/upload")[0].files == ["pic.png"]
    assert space.connections() == 1


# -- a completed stream's rest: read to reuse the connection, within bounds ------------------


async def test_the_rest_of_a_completed_stream_is_read_up_to_64_kib(space):
    """README, "Connections": at most 64 KiB after the answer are read to keep the connection."""
    from g4f_qwen_spaces.space.http import DRAIN_LIMIT
    from tests.faultserver import Sleep

    assert DRAIN_LIMIT == 64 * 1024
    # After a pause (bytes that come with the answer are read as part of the stream),
    # 32 KiB of comments, then the end: read, and the connection is reused.
    space.script = FaultServer().script + [Sleep(0.05), b": " + b"x" * 32 * 1024 + b"\n\n"]
    for _ in range(2):
        assert (await run()).text == HELLO
    assert space.connections() == 1


async def test_a_completed_stream_that_goes_on_past_64_kib_is_dropped_at_once(space):
    from tests.faultserver import HANG, Sleep

    space.script = FaultServer().script + [Sleep(0.05), b": " + b"x" * 100 * 1024 + b"\n\n", HANG]
    outcome = await run()
    assert outcome.text == HELLO
    assert outcome.elapsed < 0.2, outcome.elapsed  # the limit, not the 0.2 s timeout, ended it
    assert await space.async_wait_for(lambda: space.disconnects == 1, 3)
    assert (await run()).text == HELLO
    assert space.connections() == 2
    assert checked_out() == 0


async def test_a_completed_stream_left_open_is_dropped_after_0_2_s(space):
    """README, "Connections": a Space that keeps the stream open after the answer costs 0.2 s, not a hang."""
    from g4f_qwen_spaces.space.http import DRAIN_TIMEOUT
    from tests.faultserver import HANG

    assert DRAIN_TIMEOUT == 0.2
    space.script = FaultServer().script + [HANG]
    outcome = await run()
    assert outcome.text == HELLO
    assert 0.2 <= outcome.elapsed < 0.2 + 0.5, outcome.elapsed
    assert await space.async_wait_for(lambda: space.disconnects == 1, 3)
    assert space.requests_to("/cancel") == []  # the job was complete: nothing to cancel
    assert checked_out() == 0


async def test_a_call_cancelled_while_its_stream_is_read_to_the_end_gives_its_connection_back(space):
    from tests.faultserver import HANG

    space.script = FaultServer().script + [HANG]  # the rest never comes: the drain waits
    task = asyncio.ensure_future(run())
    assert await space.async_wait_for(lambda: space.requests_to("/queue/data"), 3)
    await asyncio.sleep(0.1)  # the answer is in; the drain is waiting
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert checked_out() == 0
    assert await space.async_wait_for(lambda: space.disconnects == 1, 3)


def idle_connections(loop: asyncio.AbstractEventLoop) -> int:
    """Connections kept in ``loop``'s pool for the next call (aiohttp has no public count)."""
    return sum(len(kept) for kept in pool._POOLS[loop].connector._conns.values())


def test_a_loop_closed_without_a_shutdown_closes_its_pool_first(space):
    """The old-style ``run_until_complete`` + ``close()`` (sync wrappers, users' code) with an idle connection.

    Before the fix the pool outlived the loop: its keep-alive socket stayed
    open, and when the next borrow forgot the dead loop the garbage collector
    warned "Unclosed connector" and "unclosed transport" (CI's failure). Now
    ``close()`` closes the pool on the still-open loop first.
    """
    assert asyncio.run(run()).text == HELLO  # imports and caches warmed
    gc.collect()
    sockets, fds = tcp_socket_count(), open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(run()).text == HELLO
            assert idle_connections(loop) == 1
            connector = pool._POOLS[loop].connector
        finally:
            loop.close()  # no shutdown_asyncgens()
        assert loop.is_closed()
        assert connector.closed
        assert pools() == 0
        assert "close" not in vars(loop)  # the wrapper removed itself
        del loop, connector
        gc.collect()

        async def another() -> None:
            pool_ = await borrow()
            pool_.give_back()

        asyncio.run(another())
        gc.collect()
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    end = time.monotonic() + 1.0  # the server's end closes in its own thread, a moment later
    while (tcp_socket_count(), open_fds()) != (sockets, fds) and time.monotonic() < end:
        time.sleep(0.02)
    assert tcp_socket_count() == sockets
    assert open_fds() == fds
    assert space.connections() == 2
    assert pools() == 0


def test_a_thread_s_loop_closed_without_a_shutdown_leaves_no_socket(space):
    """The browser layer's ``Blocker`` (tests/blocker.py): a thread's own loop, a task, ``close()``.

    That harness leaked into later tests of its xdist worker in CI (an
    "Unclosed connector" and sockets to 127.0.0.1 found by the next test's
    ``socket_baseline``); the thread's loop now closes its pool with it.
    """
    assert asyncio.run(run()).text == HELLO  # imports and caches warmed
    gc.collect()
    sockets, fds = tcp_socket_count(), open_fds()
    idle: list[int] = []

    def caller() -> None:
        loop = asyncio.new_event_loop()

        async def call() -> str:
            text = (await run()).text
            idle.append(idle_connections(asyncio.get_running_loop()))
            return text

        try:
            assert loop.run_until_complete(loop.create_task(call())) == HELLO
        finally:
            loop.close()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        thread = threading.Thread(target=caller)
        thread.start()
        thread.join(10)
        assert pools() == 0
        gc.collect()
    assert idle == [1]
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    end = time.monotonic() + 1.0
    while (tcp_socket_count(), open_fds()) != (sockets, fds) and time.monotonic() < end:
        time.sleep(0.02)
    assert tcp_socket_count() == sockets
    assert open_fds() == fds
    assert space.connections() == 2


def test_a_loop_closed_with_a_shutdown_is_closed_by_its_own_close_once(space):
    """``asyncio.run`` still closes the pool at ``shutdown_asyncgens()``; the wrapped close just closes the loop."""
    closes: list[bool] = []

    async def call() -> str:
        loop = asyncio.get_running_loop()
        text = (await run()).text
        wrapped = loop.close

        def counted() -> None:
            closes.append(pools() == 0)  # the shutdown came first: no pool left to close
            wrapped()

        loop.close = counted  # type: ignore[method-assign]
        return text

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(call()) == HELLO
        gc.collect()
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    assert closes == [True]
    assert pools() == 0


def test_a_loop_closed_inside_another_running_loop_falls_back_to_forgetting_its_pool():
    """A pool whose loop is closed while another loop runs in the thread cannot be closed by it.

    The close still succeeds; the pool (no connection in it here) is
    forgotten at the next borrow, the fallback the module docstring names.
    """
    loop = asyncio.new_event_loop()
    borrower = threading.Thread(target=lambda: loop.run_until_complete(borrow()).give_back())
    borrower.start()
    borrower.join(5)
    assert pools() == 1

    async def close_it_here() -> bool:
        loop.close()  # this thread runs a loop: the pool cannot be closed on ``loop``
        pool_ = await borrow()
        pool_.give_back()
        return loop.is_closed()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(close_it_here())
        gc.collect()
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    assert pools() == 0


class SealedLoop(asyncio.SelectorEventLoop):
    """A loop whose ``close`` cannot be replaced on the instance, as on uvloop's (no instance attributes)."""

    @property
    def close(self):  # type: ignore[override]
        return super().close


def test_a_loop_whose_close_cannot_be_wrapped_falls_back_to_forgetting_its_pool():
    """The fallback the pool's docstring names: the call works, the close works, the next borrow forgets it."""
    loop = SealedLoop()
    try:
        dead = loop.run_until_complete(borrow())
        dead.give_back()
    finally:
        loop.close()
    assert loop.is_closed()
    assert pools() == 1  # not closed with the loop: there was no way in
    assert not dead.connector.closed

    async def another() -> None:
        pool_ = await borrow()
        pool_.give_back()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(another())
        del dead
        gc.collect()
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []  # no connection was open
    assert pools() == 0


def test_a_loop_closed_without_a_shutdown_leaves_no_pool_behind():
    """The old-style ``run_until_complete`` + ``close()``: the pool closes with the loop; the next one is new."""
    loop = asyncio.new_event_loop()
    try:
        dead = loop.run_until_complete(borrow())
        dead.give_back()
    finally:
        loop.close()  # no shutdown_asyncgens(): the wrapped close() closed the pool first
    assert pools() == 0
    assert dead.connector.closed

    async def another() -> bool:
        pool = await borrow()
        pool.give_back()
        return pool is not dead

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(another())
        del dead
        gc.collect()
    assert [str(w.message) for w in caught] == []  # no connection was open: nothing to warn about
    assert pools() == 0
