"""A front server that behaves like Hugging Face's proxy in front of a Space.

:class:`FrontServer` is a :class:`tests.faultserver.FaultServer` (so it records
every request and can be told to misbehave per route) whose default is to
forward each request to a real Gradio server and stream its answer back. With
``asleep_for(seconds)`` it first answers like a sleeping Space: Hugging Face's
sleeping page (503, HTML) for that many seconds after the first request,
then the app.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.faultserver import FaultServer, respond

__all__ = ["FrontServer", "SLEEPING_PAGE", "PAUSED_PAGE"]

SLEEPING_PAGE = (
    "<!DOCTYPE html><html><head><title>Sleeping Space</title></head><body>"
    "<h1>This Space is sleeping due to inactivity.</h1></body></html>"
)
PAUSED_PAGE = "<html><body><h2>This Space has been paused by its owner.</h2></body></html>"
_HOP = {"host", "content-length", "accept-encoding", "connection", "transfer-encoding", "authorization"}


class FrontServer(FaultServer):
    """``FrontServer(target_url).start()``; ``.pages`` counts the status pages served."""

    def __init__(self, target: str, **options: Any) -> None:
        super().__init__(**options)
        self.target = target.rstrip("/")
        self.sleep_seconds = 0.0
        self.page = SLEEPING_PAGE
        self.page_status = 503
        self.first: float | None = None
        self.pages = 0
        self._client: aiohttp.ClientSession | None = None

    def asleep_for(self, seconds: float, page: str = SLEEPING_PAGE, status: int = 503) -> FrontServer:
        self.sleep_seconds, self.page, self.page_status = seconds, page, status
        return self

    def stop(self) -> None:
        if self._loop is not None and self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(10)
            self._client = None
        super().stop()

    def _default(self, request: web.Request):  # type: ignore[override]
        if self.sleep_seconds:
            now = time.monotonic()
            if self.first is None:
                self.first = now
            if now - self.first < self.sleep_seconds:
                self.pages += 1
                return respond(self.page_status, self.page, content_type="text/html")
        return self._forward

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self._client is None:
            self._client = aiohttp.ClientSession(auto_decompress=False)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        body = await request.read()
        async with self._client.request(
            request.method, self.target + request.path_qs, headers=headers, data=body or None,
            allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            for name in ("Content-Type", "Content-Encoding", "Cache-Control"):
                if name in upstream.headers:
                    response.headers[name] = upstream.headers[name]
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
