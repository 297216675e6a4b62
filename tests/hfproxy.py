"""A stand-in for Hugging Face on loopback: its Spaces proxy and its Hub API.

Evidence: /work/shared/NOTES.md, "Hugging Face as a client really meets it".
Where nothing public shows a behaviour, this says so and the client is
tolerant of it.

:class:`FrontServer` is a :class:`tests.faultserver.FaultServer` (so it
records every request and can be told to misbehave per route) that plays the
Spaces proxy in front of one or more real Gradio servers (replicas):

* ``timeline`` (a :class:`Timeline`, shared with :class:`HubServer`) is the
  Space's stage over time; the first request to the Space starts it ("anyone
  visiting your Space will restart it", hub docs). While waking, building or
  starting, the proxy answers a "Preparing Space" page and bare 502/504s
  (``starting_answers``, in turn); with a runtime error, 503 and the plain
  text ``Your space is in error, check its status on hf.co`` on every path;
  for the other stages (paused, build/config errors, no app file, deleting)
  nothing public shows the proxy's answer: a 503 page that names no state,
  so only the Hub can tell (the client must not guess "waking" from it).
* ``X-HF-Authorization`` is read (``callers``) and stripped; ``Authorization``
  is passed through to the app (gradio PR 11700; hf-mcp-server PR 249).
  ``forwarded`` records the headers each replica received.
* ``private`` (a token): without ``X-HF-Authorization: Bearer <token>`` every
  path answers HF's HTML 404 "Sorry, we can't find the page you are looking
  for." (gradio issue 6625).
* With several replicas the proxy routes by a cookie it sets (gradio PR
  11041, issue 10164; the cookie's real name is not known here): a request
  without it goes to the next replica in turn, so a client that drops cookies
  sends ``queue/data`` to another replica than ``queue/join`` and gets
  Gradio's own answer for an unknown session.
* ``asleep_for(seconds)`` keeps the older guess (a sleeping page for that long).

:class:`HubServer` plays ``GET {HF_ENDPOINT}/api/spaces/by-subdomain/{sub}``
(huggingface_hub's ``get_space_runtime``, gradio's ``check_space_status``):
``{"id": ..., "subdomain": ..., "runtime": {"stage": ...}}`` per subdomain,
from each Space's :class:`Timeline`; a private Space without a matching
``Authorization: Bearer`` gets 401 (the Hub's exact answer for it is not
known here); an unknown subdomain 404.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.faultserver import FaultServer, respond

__all__ = [
    "FrontServer",
    "HubServer",
    "Timeline",
    "SLEEPING_PAGE",
    "PAUSED_PAGE",
    "PREPARING_PAGE",
    "IN_ERROR",
    "NOT_FOUND_PAGE",
    "STATELESS_PAGE",
    "AFFINITY_COOKIE",
]

SLEEPING_PAGE = (
    "<!DOCTYPE html><html><head><title>Sleeping Space</title></head><body>"
    "<h1>This Space is sleeping due to inactivity.</h1></body></html>"
)
PAUSED_PAGE = "<html><body><h2>This Space has been paused by its owner.</h2></body></html>"
#: A starting Space's page: its title is the evidence, the rest of its markup is not known here.
PREPARING_PAGE = (
    "<!DOCTYPE html><html><head><title>Preparing Space</title></head>"
    "<body><p>Preparing Space</p></body></html>"
)
#: A crashed Space's answer on every path: 503, this plain text.
IN_ERROR = "Your space is in error, check its status on hf.co"
#: HF's 404 page (for a private Space reached without a token, too).
NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>404</title></head><body>"
    "<h1>404</h1><p>Sorry, we can't find the page you are looking for.</p></body></html>"
)
#: What we serve where nothing shows the real answer: a page naming no state.
STATELESS_PAGE = "<!DOCTYPE html><html><head><title>Hugging Face</title></head><body></body></html>"
AFFINITY_COOKIE = "spaces-affinity"

_RUNNING = {"RUNNING", "RUNNING_BUILDING"}
_STARTING = {"SLEEPING", "STOPPED", "BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"}
_HOP = {"host", "content-length", "accept-encoding", "connection", "transfer-encoding", "x-hf-authorization"}


class Timeline:
    """A Space's stages: ``Timeline(("SLEEPING", 1.0), ("APP_STARTING", 2.0), then="RUNNING")``.

    Each step lasts its seconds from the first request to the Space
    (:meth:`visit`); before that the first step's stage holds. ``then`` holds
    after the last step.
    """

    def __init__(self, *steps: tuple[str, float], then: str = "RUNNING") -> None:
        self.steps = list(steps)
        self.then = then
        self.started: float | None = None

    def visit(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def stage(self) -> str:
        if self.started is None:
            return self.steps[0][0] if self.steps else self.then
        elapsed = time.monotonic() - self.started
        for stage, seconds in self.steps:
            if elapsed < seconds:
                return stage
            elapsed -= seconds
        return self.then


class FrontServer(FaultServer):
    """``FrontServer(target_url_or_urls, timeline=..., private=token).start()``."""

    def __init__(
        self,
        target: str | list[str],
        *,
        timeline: Timeline | None = None,
        private: str | None = None,
        starting_answers: tuple[Any, ...] = ("page", 502, 504),
        **options: Any,
    ) -> None:
        super().__init__(**options)
        targets = [target] if isinstance(target, str) else list(target)
        self.targets = [t.rstrip("/") for t in targets]
        self.target = self.targets[0]
        self.timeline = timeline
        self.private = private
        self.starting_answers = itertools.cycle(starting_answers)
        self.sleep_seconds = 0.0
        self.page = SLEEPING_PAGE
        self.page_status = 503
        self.first: float | None = None
        self.pages = 0
        #: X-HF-Authorization of each request (None when absent), in order.
        self.callers: list[str | None] = []
        #: (replica index, path, headers as the app received them, lower-cased).
        self.forwarded: list[tuple[int, str, dict[str, str]]] = []
        self._turn = itertools.count()
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
        caller = request.headers.get("X-HF-Authorization")
        self.callers.append(caller)
        if self.private is not None and caller != f"Bearer {self.private}":
            return respond(404, NOT_FOUND_PAGE, content_type="text/html")
        if self.timeline is not None:
            self.timeline.visit()
            stage = self.timeline.stage()
            if stage in _STARTING:
                self.pages += 1
                answer = next(self.starting_answers)
                if answer == "page":
                    return respond(503, PREPARING_PAGE, content_type="text/html")
                return respond(int(answer), "")
            if stage == "RUNTIME_ERROR":
                self.pages += 1
                return respond(503, IN_ERROR)
            if stage not in _RUNNING:
                self.pages += 1
                return respond(503, STATELESS_PAGE, content_type="text/html")
        if self.sleep_seconds:
            now = time.monotonic()
            if self.first is None:
                self.first = now
            if now - self.first < self.sleep_seconds:
                self.pages += 1
                return respond(self.page_status, self.page, content_type="text/html")
        return self._forward

    def _replica(self, request: web.Request) -> tuple[int, bool]:
        """(replica, whether to set the cookie): by the cookie, else the next in turn."""
        if len(self.targets) == 1:
            return 0, False
        value = request.cookies.get(AFFINITY_COOKIE, "")
        if value.isdigit() and int(value) < len(self.targets):
            return int(value), False
        return next(self._turn) % len(self.targets), True

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self._client is None:
            # No cookies of its own: the client's Cookie header is forwarded as it came.
            self._client = aiohttp.ClientSession(auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar())
        replica, set_cookie = self._replica(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        self.forwarded.append((replica, request.path, {k.lower(): v for k, v in headers.items()}))
        body = await request.read()
        async with self._client.request(
            request.method, self.targets[replica] + request.path_qs, headers=headers, data=body or None,
            allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            for name in ("Content-Type", "Content-Encoding", "Cache-Control"):
                if name in upstream.headers:
                    response.headers[name] = upstream.headers[name]
            if set_cookie:
                response.set_cookie(AFFINITY_COOKIE, str(replica), path="/", httponly=True)
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response


class HubServer(FaultServer):
    """``HubServer().start()``; ``hub.spaces["sub"] = timeline``; ``hub.private["sub"] = token``."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.spaces: dict[str, Timeline] = {}
        self.private: dict[str, str] = {}

    def asked(self, subdomain: str | None = None) -> int:
        """How many stage questions the Hub received (about ``subdomain``, or all)."""
        prefix = "/api/spaces/by-subdomain/"
        return sum(
            1 for r in self.requests
            if r.path.startswith(prefix) and (subdomain is None or r.path == prefix + subdomain)
        )

    def _default(self, request: web.Request):  # type: ignore[override]
        prefix = "/api/spaces/by-subdomain/"
        if request.method != "GET" or not request.path.startswith(prefix):
            return respond(404, {"error": "Not Found"})
        name = request.path[len(prefix):]
        timeline = self.spaces.get(name)
        if timeline is None:
            return respond(404, {"error": "Space not found"})
        token = self.private.get(name)
        if token is not None and request.headers.get("Authorization") != f"Bearer {token}":
            return respond(401, {"error": "Invalid credentials in Authorization header"})
        return respond(200, {
            "id": f"owner/{name}",
            "subdomain": name,
            "runtime": {
                "stage": timeline.stage(),
                "hardware": {"current": "cpu-basic", "requested": "cpu-basic"},
                "replicas": {"requested": 1},
            },
        })
