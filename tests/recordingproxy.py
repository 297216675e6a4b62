"""A recording forward HTTP proxy on 127.0.0.1, for ``proxy=``.

aiohttp sends requests for ``http://`` URLs to an HTTP proxy in absolute form
(``GET http://127.0.0.1:5000/config HTTP/1.1``), no ``CONNECT``. The proxy
records each one (method and absolute URL), forwards it on a connection of
its own, from 127.0.0.2 (so a server can tell what came through the proxy:
everything else comes from 127.0.0.1) and streams the answer back unchanged, byte for byte
(compressed bodies stay compressed: the client decompresses itself).
Like :class:`tests.faultserver.FaultServer` it runs in a thread of its own.
"""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import aiohttp
from aiohttp import web

__all__ = ["RecordingProxy", "Forwarded", "UPSTREAM_HOST"]

#: The address the proxy's own connections come from (the client's come from 127.0.0.1).
UPSTREAM_HOST = "127.0.0.2"

#: Hop-by-hop headers (RFC 9110 7.6.1) a proxy does not pass on.
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "proxy-connection", "content-length"}


@dataclass
class Forwarded:
    method: str
    url: str  # absolute, as the client asked for it


class RecordingProxy:
    """``start()`` it, use ``.url`` as ``proxy=``, ``stop()`` it; ``.forwarded`` lists what went through."""

    def __init__(self) -> None:
        self.forwarded: list[Forwarded] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RecordingProxy:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="recording-proxy", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        # Its own connections leave from 127.0.0.2: a server sees at once what came through the proxy.
        connector = aiohttp.TCPConnector(local_addr=(UPSTREAM_HOST, 0))
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                              cookie_jar=aiohttp.DummyCookieJar())
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        target = str(request.url)
        self.forwarded.append(Forwarded(request.method, target))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP | {"host"}}
        body = await request.read()
        assert self._session is not None
        async with self._session.request(request.method, target, headers=headers, data=body or None,
                                         allow_redirects=False) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for name, value in upstream.headers.items():
                if name.lower() not in _HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return

        async def close() -> None:
            assert self._runner is not None and self._session is not None
            await self._runner.cleanup()
            await self._session.close()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            assert self._thread is not None
            self._thread.join(10)
            loop.close()
