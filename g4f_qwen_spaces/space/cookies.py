"""One call's cookies, for the Space's own origin only.

A Space with several replicas (and a self-hosted Gradio app behind a load
balancer) routes a visitor by a cookie: without it ``queue/data`` can reach
another replica than ``queue/join`` ("Session not found"; gradio PR 11041,
issue 10164). So a call keeps what the Space's origin sets (on ``/config``,
``queue/join``...) and sends it back with its later requests (``queue/data``,
the upload, the cancel), and nothing else:

* a cookie from any other origin (an image URL, the Hub, Hugging Face's
  status page) is dropped, and none is ever sent to another origin;
* the jar lives and dies with one call: nothing is kept across calls or users.

"Origin" is scheme, host and port, stricter than a cookie's own domain rule.
Cookies for IP hosts (a local server, ``127.0.0.1``) are accepted on purpose
(aiohttp refuses them unless ``unsafe``): the origin check above is what keeps
them in place, not the host's kind.
"""
from __future__ import annotations

from collections.abc import Sequence
from http.cookies import BaseCookie, SimpleCookie
from typing import Any

import aiohttp
from yarl import URL

__all__ = ["OriginCookieJar"]

_NOWHERE = URL()  # aiohttp's own default: a URL of no origin


class OriginCookieJar(aiohttp.CookieJar):
    """A :class:`aiohttp.CookieJar` that takes and gives cookies for one origin only."""

    def __init__(self, origin: tuple[str, str, int | None]) -> None:
        super().__init__(unsafe=True)
        self.origin = origin

    def _ours(self, url: URL) -> bool:
        scheme = url.scheme
        port = url.port or {"http": 80, "https": 443}.get(scheme)
        return (scheme, (url.host or "").lower(), port) == self.origin

    def update_cookies(self, cookies: Any, response_url: URL = _NOWHERE) -> None:
        if self._ours(response_url):
            super().update_cookies(cookies, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        # aiohttp >= 3.12 stores a response's Set-Cookie fields through this, not update_cookies.
        if self._ours(response_url):
            super().update_cookies_from_headers(headers, response_url)

    def filter_cookies(self, request_url: URL = _NOWHERE) -> BaseCookie[str]:
        if not self._ours(request_url):
            return SimpleCookie()
        return super().filter_cookies(request_url)
