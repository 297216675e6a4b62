"""HTTP to one Space: origin-scoped auth, one deadline, and typed failures.

Everything that leaves the process for a Space goes through :class:`SpaceHTTP`:

* the HF token is attached only to requests for the Space's own origin, and
  redirects are followed by hand so it never follows one to another host;
* every request gets what is left of the caller's total ``timeout`` and a
  stall (socket read) timeout, so nothing waits forever;
* connection failures and error statuses become ``g4f.errors`` types with a
  short, plain message (see :mod:`.errors`).
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

import aiohttp

from .errors import (
    SpaceAuthError,
    SpaceConnectionError,
    SpaceProtocolError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
    excerpt,
)

__all__ = ["SpaceHTTP", "origin_of", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_STALL_TIMEOUT"]

DEFAULT_CONNECT_TIMEOUT = 15.0
# Gradio sends a heartbeat every 15 s, even while a job waits in the queue,
# so a minute of silence means the connection is dead, not a long queue.
DEFAULT_STALL_TIMEOUT = 60.0
MAX_REDIRECTS = 5

_SPACE_STATES = (
    ("runtime error", "has a runtime error"),
    ("building", "is building"),
    ("paused", "is paused"),
    ("sleeping", "is sleeping (waking it up takes a minute or two)"),
    ("starting", "is starting"),
)


class Request:
    """The context manager behind :meth:`SpaceHTTP.request`.

    A class, not ``@asynccontextmanager``: an event loop finalises leftover
    async generators in no particular order when it shuts down (g4f's sync
    API does that when a caller stops early), which would race our cleanup.
    """

    __slots__ = ("_http", "_args", "_stream", "response")

    def __init__(self, http: "SpaceHTTP", method: str, url: str, stream: bool, headers: Optional[dict], kwargs: dict) -> None:
        self._http = http
        self._args = (method, url, stream, headers, kwargs)
        self._stream = stream
        self.response: Optional[aiohttp.ClientResponse] = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        self.response = await self._http._send(*self._args)
        return self.response

    async def __aexit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self.close()
        if error is not None:
            mapped = self._http.map_error(error, self._stream)
            if mapped is not error:
                raise mapped from None

    def close(self) -> None:
        if self.response is not None:
            # An unfinished stream must drop its connection: that is what
            # tells Gradio to stop the job (a released one would linger).
            self.response.close() if self._stream else self.response.release()
            self.response = None


def origin_of(url: str) -> tuple[str, str, Optional[int]]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class SpaceHTTP:
    """An aiohttp session bound to one Space's base URL and one request's budget."""

    def __init__(
        self,
        base_url: str,
        *,
        token: Optional[str] = None,
        proxy: Optional[str] = None,
        timeout: Optional[float] = None,
        stall_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        url_hint: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = origin_of(self.base_url)
        self._token = token
        self.proxy = proxy or None
        self.stall_timeout = stall_timeout or DEFAULT_STALL_TIMEOUT
        self.connect_timeout = connect_timeout or DEFAULT_CONNECT_TIMEOUT
        self.deadline = time.monotonic() + timeout if timeout else None
        self.url_hint = url_hint
        self._session: Optional[aiohttp.ClientSession] = None

    def __repr__(self) -> str:  # never shows the token
        return f"SpaceHTTP({self.base_url!r}, token={'set' if self._token else 'none'})"

    async def __aenter__(self) -> "SpaceHTTP":
        self._session = aiohttp.ClientSession(
            # Gradio answers plain JSON and SSE; no cookies are needed and
            # none are kept across calls.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open session (for fetches that are not requests to the Space)."""
        if self._session is None:
            raise RuntimeError("SpaceHTTP is not open")
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    # -- budget -----------------------------------------------------------

    def remaining(self) -> Optional[float]:
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SpaceTimeoutError(f"The request to {self.base_url} ran out of its total timeout")
        return left

    def _timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.remaining(),
            sock_connect=self.connect_timeout,
            sock_read=self.stall_timeout,
        )

    def _headers(self, url: str, headers: Optional[dict]) -> dict:
        result = dict(headers or {})
        if self._token and origin_of(url) == self._origin:
            result["Authorization"] = f"Bearer {self._token}"
        return result

    # -- requests ---------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        stream: bool = False,
        headers: Optional[dict] = None,
        **kwargs: Any,
    ) -> "Request":
        """``async with http.request(...) as response``: sent, redirected, status-checked."""
        if self._session is None:
            raise RuntimeError("SpaceHTTP is not open")
        return Request(self, method, url, stream, headers, kwargs)

    async def _send(
        self, method: str, url: str, stream: bool, headers: Optional[dict], kwargs: dict
    ) -> aiohttp.ClientResponse:
        response = None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = await self._session.request(
                    method,
                    url,
                    headers=self._headers(url, headers),
                    proxy=self.proxy,
                    timeout=self._timeout(),
                    allow_redirects=False,
                    **kwargs,
                )
                if response.status not in (301, 302, 303, 307, 308) or "Location" not in response.headers:
                    break
                # Followed by hand: the token is only attached for the Space's origin.
                location = urljoin(url, response.headers["Location"])
                response.release()
                if urlsplit(location).scheme not in ("http", "https"):
                    raise SpaceStatusError(f"{self.base_url} redirected to a non-HTTP URL", response.status)
                if response.status == 303:
                    method, kwargs = "GET", {k: v for k, v in kwargs.items() if k not in ("json", "data")}
                url = location
            else:
                raise SpaceStatusError(f"{self.base_url} redirected too many times")
            if response.status >= 400:
                await self.raise_for_status(response)
            return response
        except BaseException as error:
            if response is not None:
                response.close()
            mapped = self.map_error(error, stream)
            if mapped is error:
                raise
            raise mapped from None

    def map_error(self, error: BaseException, stream: bool) -> BaseException:
        """aiohttp's and asyncio's errors as our typed errors; others unchanged."""
        if isinstance(error, aiohttp.ClientError):
            return self.connection_error(error)
        if isinstance(error, (asyncio.TimeoutError, TimeoutError)) and not isinstance(error, SpaceTimeoutError):
            return self.timeout_error(stream)
        return error

    def connection_error(self, error: BaseException) -> Exception:
        connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", ())
        if connect_timeout and isinstance(error, connect_timeout):
            return SpaceTimeoutError(
                f"Could not connect to the Space at {self.base_url} within {self.connect_timeout:g} s"
            )
        if isinstance(error, aiohttp.ServerTimeoutError):
            return self.timeout_error(True)
        reason = type(error).__name__
        detail = getattr(error, "os_error", None) or getattr(error, "strerror", None) or error
        return SpaceConnectionError(
            f"Cannot reach the Space at {self.base_url}: {reason}: {excerpt(str(detail), 160)}"
        )

    def timeout_error(self, stream: bool) -> SpaceTimeoutError:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return SpaceTimeoutError(f"The request to {self.base_url} ran out of its total timeout")
        if stream:
            return SpaceTimeoutError(
                f"The Space at {self.base_url} sent nothing for {self.stall_timeout:g} s"
            )
        return SpaceTimeoutError(f"The Space at {self.base_url} did not answer in time")

    async def raise_for_status(self, response: aiohttp.ClientResponse) -> None:
        """Map an error response to a g4f error with a plain message."""
        status = response.status
        try:
            body = await response.text(errors="replace")
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError):
            body = ""
        detail = _json_detail(body)
        where = self.base_url
        if status in (401, 403):
            raise SpaceAuthError(
                f"The Space at {where} refused access ({status}): it is private or gated, "
                "so an HF token is needed (pass api_key=\"hf_...\")"
            )
        if status == 404:
            hint = f", or set {self.url_hint} to a working copy" if self.url_hint else ""
            raise SpaceStatusError(
                f"Not found (404) at {response.url.with_query(None)}: the Space may be gone or "
                f"renamed; duplicate it on Hugging Face{hint}",
                status,
            )
        if status == 429 or (status == 503 and "queue is full" in detail.lower()):
            wait = _retry_after(response)
            hint = f"; retry after {wait:g} s" if wait is not None else ""
            raise SpaceQuotaError(
                f"The Space at {where} is busy ({status}): {excerpt(detail or body, 160)}{hint}",
                wait,
            )
        state = _space_state(body) if _looks_like_html(response, body) else None
        if state:
            raise SpaceStatusError(f"The Space at {where} {state} ({status})", status)
        if _looks_like_html(response, body):
            raise SpaceStatusError(
                f"The Space at {where} answered {status} with an HTML page instead of its API",
                status,
            )
        raise SpaceStatusError(
            f"The Space at {where} answered {status}: {excerpt(detail or body, 160)}", status
        )

    async def json(self, response: aiohttp.ClientResponse, what: str) -> Any:
        """The JSON body of a 200 answer, or a protocol error with an excerpt."""
        body = await response.text(errors="replace")
        self.check_html(response, body)
        try:
            return json.loads(body)
        except ValueError:
            raise SpaceProtocolError(
                f"The Space answered {what} with something that is not JSON: {excerpt(body, 120)}"
            ) from None

    def check_html(self, response: aiohttp.ClientResponse, body: str) -> None:
        """A 200 HTML page where JSON was expected: the Space is not serving its app."""
        if _looks_like_html(response, body):
            state = _space_state(body) or "is not serving its app"
            raise SpaceStatusError(f"The Space at {self.base_url} {state}", response.status)


def _looks_like_html(response: aiohttp.ClientResponse, body: str) -> bool:
    return "html" in response.headers.get("Content-Type", "") or body.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html")
    )


def _space_state(body: str) -> Optional[str]:
    lowered = body.lower()
    for marker, state in _SPACE_STATES:
        if marker in lowered:
            return state
    return None


def _json_detail(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("detail", "error", "message"):
            if isinstance(data.get(key), str):
                return data[key]
    return ""


def _retry_after(response: aiohttp.ClientResponse) -> Optional[float]:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
