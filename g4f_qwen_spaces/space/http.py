"""HTTP to one Space: origin-scoped auth, bounded bodies, one deadline, typed failures.

Everything that leaves the process for a Space goes through :class:`SpaceHTTP`:

* the HF token is attached only to requests for the Space's own origin,
  and only when that is on ``hf.space`` (as ``X-HF-Authorization``, which
  Hugging Face's proxy reads and strips: the app never sees it; see
  :mod:`.hub`); redirects are followed by hand and only within that origin
  (or to Hugging Face's own site, read for the Space's state and never sent
  the token);
* cookies live for one call and for the Space's origin only (:mod:`.cookies`);
* every request gets what is left of the call's total deadline (the
  caller's ``timeout`` or :func:`~.limits.default_deadline`) and a stall
  (socket read) timeout, so nothing waits forever;
* bodies are read in bounded, self-decompressed pieces (:mod:`.body`);
* :meth:`SpaceHTTP.map_error` is the one place where aiohttp, asyncio, JSON,
  decoding and validation failures become the :class:`~.errors.SpaceError`
  family, each with its cause kept.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any, NoReturn
from urllib.parse import urljoin, urlsplit

import aiohttp

from .body import ACCEPT_ENCODING, Body, read_body
from .cookies import OriginCookieJar
from .errors import (
    SpaceAuthError,
    SpaceConnectionError,
    SpaceConnectTimeoutError,
    SpaceDownError,
    SpaceError,
    SpaceInputError,
    SpaceProtocolError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
    excerpt,
)
from .hub import HUB_TIMEOUT, down_advice, fetch_stage, is_hf_space, token_headers
from .limits import Limits, default_deadline, optional_seconds
from .pool import Pool, borrow
from .redact import check_header_value, register_secret, release_secret

__all__ = [
    "SpaceHTTP",
    "origin_of",
    "decode_json_body",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_STALL_TIMEOUT",
    "STATUS_HOSTS",
]

DEFAULT_CONNECT_TIMEOUT = 15.0
# Gradio sends a heartbeat every 15 s, even while a job waits in the queue,
# so a minute of silence means the connection is dead, not a long queue.
DEFAULT_STALL_TIMEOUT = 60.0
MAX_REDIRECTS = 5
#: After a completed job, how much of the rest of its stream is read (and
#: discarded) to reuse its connection, and for how long at most.
DRAIN_LIMIT = 64 * 1024
DRAIN_TIMEOUT = 0.2
#: Where a Space may send us besides its own origin: its status page on
#: Hugging Face (https only; read for the state, never sent the token).
STATUS_HOSTS = ("huggingface.co",)
STATUS_SCHEME = "https"

#: Words of Hugging Face's pages -> the state, and how a message says it. The
#: first two are real texts (a crashed Space answers every path with 503 and
#: the first, as plain text; a starting one shows "Preparing Space"); the
#: others are kept for pages that name a state outright.
_IN_ERROR = "your space is in error"
_SPACE_STATES = (
    (_IN_ERROR, "runtime error", "has a runtime error"),
    ("preparing space", "starting", "is starting"),
    ("runtime error", "runtime error", "has a runtime error"),
    ("building", "building", "is building"),
    ("paused", "paused", "is paused"),
    ("sleeping", "sleeping", "is sleeping"),
    ("starting", "starting", "is starting"),
)
#: States of a page that only the Space's owner can end: fail at once.
DOWN_PAGE_STATES = frozenset({"paused", "runtime error"})
#: Failures that mean "the bytes were not what the protocol promised".
_DATA_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError)


class Request:
    """The context manager behind :meth:`SpaceHTTP.request`.

    A class, not ``@asynccontextmanager``: an event loop finalises leftover
    async generators in no particular order when it shuts down (g4f's sync
    API does that when a caller stops early), which would race our cleanup.
    """

    __slots__ = ("_http", "_args", "_stream", "response")

    def __init__(
        self, http: SpaceHTTP, method: str, url: str, stream: bool, headers: dict[str, str] | None,
        kwargs: dict[str, Any],
    ) -> None:
        self._http = http
        self._args = (method, url, stream, headers, kwargs)
        self._stream = stream
        self.response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        self.response = await self._http._send(*self._args)
        return self.response

    async def __aexit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        self.close()
        if error is not None:
            mapped = self._http.map_error(error, self._stream)
            if mapped is not error:
                raise mapped from error

    def close(self) -> None:
        if self.response is not None:
            # An unfinished stream must drop its connection: that is what
            # tells Gradio to stop the job (a released one would linger).
            self.response.close() if self._stream else self.response.release()
            self.response = None

    async def finish(self, timeout: float, limit: int = DRAIN_LIMIT) -> None:
        """Read the rest of a stream whose job completed, so its connection goes back to the pool.

        After ``process_completed`` Gradio sends ``close_stream`` and ends the
        response: a few bytes, at once. Anything longer than ``limit`` bytes
        or ``timeout`` seconds is not waited for: the connection is dropped.
        """
        response = self.response
        if response is None:
            return
        ended = False
        try:
            ended = await asyncio.wait_for(_read_to_end(response.content, limit), timeout)
        except (asyncio.TimeoutError, TimeoutError, aiohttp.ClientError, OSError):
            pass
        finally:  # also when cancelled: a borrowed connection is never left checked out
            if ended and not response.content.exception():
                response.release()
                self.response = None
            else:
                self.close()


async def _read_to_end(content: aiohttp.StreamReader, limit: int) -> bool:
    """Discard what is left of a body; whether it ended within ``limit`` bytes."""
    while not content.at_eof():
        limit -= len(await content.readany())
        if limit < 0:
            return False
    return True


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in: what "same origin" compares."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1  # a malformed port never matches a real origin
    port = port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def check_base_url(url: str, name: str = "") -> str:
    """A plain http(s) base URL (no credentials, query, fragment, control characters).

    ``name`` is the setting it came from (an environment variable), for the message.
    """
    label = f"{name}={url!r:.100}" if name else f"{url!r:.100}"
    check_header_value(url, name or "The Space URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpaceInputError(f"{label} is not an http(s) URL with a host")
    if parts.query or parts.fragment or "@" in parts.netloc or "\\" in url:
        raise SpaceInputError(
            f"{name or 'A Space URL'} must be a plain base URL (no credentials, query or fragment)"
        )
    try:
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise SpaceInputError(f"{label} has an invalid port") from None
    return url.rstrip("/")


class SpaceHTTP:
    """An aiohttp session bound to one Space's base URL and one call's budget.

    The session is per call; its connections are the event loop's shared pool's.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        proxy: str | None = None,
        timeout: float | None = None,
        stall_timeout: float | None = None,
        connect_timeout: float | None = None,
        url_hint: str = "",
        limits: Limits | None = None,
        deadline: float | None = None,
    ) -> None:
        # Checked here, before any connection: bad values never reach a socket.
        self.base_url = check_base_url(base_url)
        if token is not None:
            if not isinstance(token, str):
                raise SpaceInputError("The token (api_key) must be a string")
            check_header_value(token, "The token (api_key)")
        if proxy:
            check_header_value(proxy, "The proxy URL")
        self._origin = origin_of(self.base_url)
        self.on_hf_space = is_hf_space(self.base_url)
        self._token = token or None
        self.proxy = proxy or None
        self.stall_timeout = optional_seconds(stall_timeout, "stall_timeout") or DEFAULT_STALL_TIMEOUT
        self.connect_timeout = optional_seconds(connect_timeout, "connect_timeout") or DEFAULT_CONNECT_TIMEOUT
        self.total = optional_seconds(timeout, "timeout") or default_deadline()
        # ``deadline`` (a time.monotonic() value) lets several clients share
        # one call's budget: the copies of a Space tried in turn.
        self.deadline = deadline if deadline is not None else time.monotonic() + self.total
        self.limits = limits or Limits.from_env()
        self.url_hint = url_hint
        self._session: aiohttp.ClientSession | None = None
        self._pool: Pool | None = None

    def __repr__(self) -> str:  # never shows the token
        return f"SpaceHTTP({self.base_url!r}, token={'set' if self._token else 'none'})"

    async def __aenter__(self) -> Any:  # Self: subclasses are returned as themselves
        # The session is the call's own (cookies, headers); its connections
        # come from the loop's shared pool (.pool), except through a proxy:
        # such a call has connections of its own, closed with its session.
        self._pool = None if self.proxy else await borrow()
        self._session = aiohttp.ClientSession(
            connector=self._pool.connector if self._pool else None,
            connector_owner=self._pool is None,
            # A replicated Space routes by cookie: this call's, its origin's only.
            cookie_jar=OriginCookieJar(self._origin),
            # We decompress ourselves, in bounded steps (see .body).
            auto_decompress=False,
            headers={"Accept-Encoding": ACCEPT_ENCODING},
        )
        if self._token:
            register_secret(self._token)
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
            try:
                await session.close()
                # A borrowed connection that was dropped (a stream stopped
                # early) closes its socket on the next loop iteration; the
                # pool's connector is not closed with the session, so take
                # that iteration here: when the call returns, the Space has
                # seen the disconnect.
                await asyncio.sleep(0)
            finally:
                pool, self._pool = self._pool, None
                if pool is not None:
                    pool.give_back()
                if self._token:
                    release_secret(self._token)

    # -- budget -----------------------------------------------------------

    def remaining(self) -> float:
        """Seconds left of the call's deadline; a timeout error once none are."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.deadline_error()
        return left

    def deadline_error(self) -> SpaceTimeoutError:
        return SpaceTimeoutError(
            f"The request to {self.base_url} ran out of its total timeout ({self.total:g} s)",
            url=self.base_url,
        )

    def _timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.remaining(),
            sock_connect=self.connect_timeout,
            sock_read=self.stall_timeout,
        )

    def _headers(self, url: str, headers: dict[str, str] | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.same_origin(url):
            result.update(token_headers(url, self._token))
        return result

    async def hub_stage(self) -> str | None:
        """The Space's stage from the Hub; ``None`` off ``hf.space`` or when the Hub cannot say."""
        left = self.deadline - time.monotonic()
        if not self.on_hf_space or left <= 0.05:
            return None
        return await fetch_stage(
            self.session, self.base_url, token=self._token, proxy=self.proxy, seconds=min(HUB_TIMEOUT, left)
        )

    def same_origin(self, url: str) -> bool:
        return origin_of(url) == self._origin

    # -- requests ---------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        stream: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Request:
        """``async with http.request(...) as response``: sent, redirected, status-checked."""
        if self._session is None:
            raise RuntimeError("SpaceHTTP is not open")
        if not self.same_origin(url):
            raise SpaceProtocolError(f"Refusing a request outside the Space's origin ({self.base_url})")
        return Request(self, method, url, stream, headers, kwargs)

    async def _send(
        self, method: str, url: str, stream: bool, headers: dict[str, str] | None, kwargs: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        response = None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = await self.session.request(
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
                location = self._redirect_target(url, response)
                response.release()
                if response.status == 303 or not self.same_origin(location):
                    method, kwargs = "GET", {k: v for k, v in kwargs.items() if k not in ("json", "data")}
                url = location
            else:
                raise SpaceStatusError(f"{self.base_url} redirected too many times", url=self.base_url)
            if not self.same_origin(str(response.url)):
                await self._status_page(response)
            if response.status >= 400:
                await self.raise_for_status(response)
            return response
        except BaseException as error:
            if response is not None:
                response.close()
            mapped = self.map_error(error, stream)
            if mapped is error:
                raise
            raise mapped from error

    def _redirect_target(self, url: str, response: aiohttp.ClientResponse) -> str:
        """Where a redirect may go: the Space's origin, or Hugging Face's site."""
        location = urljoin(url, response.headers["Location"])
        if self.same_origin(location):
            return location
        parts = urlsplit(location)
        host = (parts.hostname or "").lower()
        if parts.scheme == STATUS_SCHEME and host in STATUS_HOSTS and "@" not in parts.netloc:
            return location
        raise SpaceStatusError(
            f"The Space at {self.base_url} redirected to another host ({excerpt(host or '?', 60)}); "
            "not followed",
            response.status,
            url=self.base_url,
        )

    async def _status_page(self, response: aiohttp.ClientResponse) -> None:
        """We were sent to Hugging Face's page for the Space: report its state, never its body."""
        body = await self.read_error_body(response)
        state, text = _space_state(body, True) or (None, "is not serving its app")
        self._raise_state(f"The Space at {self.base_url} {text} (redirected to its Hugging Face page)",
                          response.status, state)

    def _raise_state(self, message: str, status: int, state: str | None) -> NoReturn:
        """A page (Hugging Face's or a proxy's) instead of the app: down, or perhaps on its way up."""
        if state in DOWN_PAGE_STATES:
            raise SpaceDownError(f"{message}; {down_advice(self.url_hint)}", status, url=self.base_url, state=state)
        raise SpaceStatusError(message, status, url=self.base_url, state=state, page=True)

    def map_error(self, error: BaseException, stream: bool = False) -> BaseException:
        """The one mapping into the :class:`SpaceError` family (others, e.g. cancellation, unchanged)."""
        if isinstance(error, SpaceError):
            if error.url is None:  # raised by a pure parser, which cannot know where
                error.url = self.base_url
            return error
        if not isinstance(error, Exception):
            return error
        if isinstance(error, aiohttp.ClientError):
            return self.connection_error(error)
        if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
            return self.timeout_error(stream)
        if isinstance(error, UnicodeError):
            return self._protocol("sent text that is not UTF-8")
        if isinstance(error, RecursionError):
            return self._protocol("sent data nested too deeply")
        if isinstance(error, MemoryError):
            return self._protocol("sent more than fits in memory")
        if isinstance(error, (json.JSONDecodeError, *_DATA_ERRORS)):
            return SpaceProtocolError(
                f"The Space at {self.base_url} sent data this client cannot use ({type(error).__name__})",
                url=self.base_url,
            )
        return SpaceError(
            f"The call to the Space at {self.base_url} failed: {type(error).__name__}", url=self.base_url
        )

    def _protocol(self, what: str) -> SpaceProtocolError:
        return SpaceProtocolError(f"The Space at {self.base_url} {what}", url=self.base_url)

    def connection_error(self, error: BaseException) -> SpaceError:
        connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", ())
        if connect_timeout and isinstance(error, connect_timeout):
            return SpaceConnectTimeoutError(
                f"Could not connect to the Space at {self.base_url} within {self.connect_timeout:g} s",
                url=self.base_url,
            )
        if isinstance(error, aiohttp.ServerTimeoutError):
            return self.timeout_error(True)
        if isinstance(error, aiohttp.ClientResponseError):
            # aiohttp's parser refused the bytes: an answer, but not HTTP as it should be.
            detail = getattr(error, "message", None) or str(error)
            return SpaceProtocolError(
                f"The Space at {self.base_url} sent a malformed HTTP response: "
                f"{type(error).__name__}: {excerpt(str(detail), 120)}",
                url=self.base_url,
            )
        reason = type(error).__name__
        detail = getattr(error, "os_error", None) or getattr(error, "strerror", None) or error
        return SpaceConnectionError(
            f"Cannot reach the Space at {self.base_url}: {reason}: {excerpt(str(detail), 160)}",
            url=self.base_url,
        )

    def timeout_error(self, stream: bool) -> SpaceTimeoutError:
        if time.monotonic() >= self.deadline - 0.05:
            return self.deadline_error()
        if stream:
            return SpaceTimeoutError(
                f"The Space at {self.base_url} sent nothing for {self.stall_timeout:g} s", url=self.base_url
            )
        return SpaceTimeoutError(f"The Space at {self.base_url} did not answer in time", url=self.base_url)

    # -- bodies -------------------------------------------------------------

    def body(self, response: aiohttp.ClientResponse, limit: int, what: str) -> Body:
        """The decoded pieces of a response, at most ``limit`` bytes in all."""
        return Body(
            response.content.iter_any(),
            response.headers.get("Content-Encoding"),
            limit,
            what,
            url=self.base_url,
        )

    async def read_error_body(self, response: aiohttp.ClientResponse) -> str:
        """The head of an error body (a few KB: enough for a message), or "" if unreadable."""
        try:
            data = await read_body(
                response.content.iter_any(),
                response.headers.get("Content-Encoding"),
                self.limits.error_body,
                "an error page",
                truncate=True,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, SpaceError):
            return ""
        return data.decode("utf-8", "replace")

    async def raise_for_status(self, response: aiohttp.ClientResponse) -> None:
        """Map an error response to a typed error with a plain message."""
        status = response.status
        body = await self.read_error_body(response)
        detail = _json_detail(body)
        where = self.base_url
        if status in (401, 403):
            if self.on_hf_space:
                why = 'it is private or gated, so an HF token is needed (pass api_key="hf_...")'
            else:  # the token would not help: it never goes there
                why = "an HF token (api_key) is sent only to Spaces on hf.space, never to this host"
            raise SpaceAuthError(f"The Space at {where} refused access ({status}): {why}", status, url=where)
        if status == 404:
            raise SpaceStatusError(self._not_found(response, body), status, url=where)
        if status == 429 or (status == 503 and "queue is full" in detail.lower()):
            wait = _retry_after(response)
            hint = f"; retry after {wait:g} s" if wait is not None else ""
            raise SpaceQuotaError(
                f"The Space at {where} is busy ({status}): {excerpt(detail or body, 160)}{hint}",
                wait,
                status=status,
                url=where,
            )
        html = _looks_like_html(response, body)
        known = _space_state(body, html)
        if known:
            self._raise_state(f"The Space at {where} {known[1]} ({status})", status, known[0])
        if html:
            raise SpaceStatusError(
                f"The Space at {where} answered {status} with an HTML page instead of its API",
                status,
                url=where,
                page=True,
            )
        raise SpaceStatusError(
            f"The Space at {where} answered {status}: {excerpt(detail or body, 160)}", status, url=where
        )

    def _not_found(self, response: aiohttp.ClientResponse, body: str) -> str:
        """A 404's message: Hugging Face's HTML 404 without a token may hide a private Space."""
        at = f"Not found (404) at {response.url.with_query(None)}"
        hint = f", or set {self.url_hint} to a working copy" if self.url_hint else ""
        if self.on_hf_space and not self._token and _looks_like_html(response, body):
            return f'{at}: the Space may be private (pass api_key="hf_...") or gone; duplicate it on Hugging Face{hint}'
        return f"{at}: the Space may be gone or renamed; duplicate it on Hugging Face{hint}"

    async def json(self, response: aiohttp.ClientResponse, what: str, limit: int | None = None) -> Any:
        """The JSON body of a 200 answer (at most ``limit`` bytes), or a protocol error."""
        data = await read_body(
            response.content.iter_any(),
            response.headers.get("Content-Encoding"),
            limit or self.limits.json,
            what,
            url=self.base_url,
        )
        body = data.decode("utf-8", "replace")
        self.check_html(response, body)
        return decode_json_body(body, f"The Space at {self.base_url} answered {what} with", self.base_url)

    def check_html(self, response: aiohttp.ClientResponse, body: str) -> None:
        """A 200 HTML page where JSON was expected: the Space is not serving its app."""
        if _looks_like_html(response, body):
            state, text = _space_state(body, True) or (None, "is not serving its app")
            self._raise_state(f"The Space at {self.base_url} {text}", response.status, state)


def decode_json_body(body: str, context: str, url: str | None = None) -> Any:
    """``json.loads`` with every failure (syntax, depth) as a protocol error."""
    try:
        return json.loads(body)
    except ValueError:
        raise SpaceProtocolError(
            f"{context} something that is not JSON: {excerpt(body, 120)}", url=url
        ) from None
    except RecursionError:
        raise SpaceProtocolError(f"{context} JSON nested too deeply", url=url) from None


def _looks_like_html(response: aiohttp.ClientResponse, body: str) -> bool:
    return "html" in response.headers.get("Content-Type", "") or body.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html")
    )


def _space_state(body: str, html: bool) -> tuple[str, str] | None:
    """(state, how a message says it) from a Hugging Face page, if it names one.

    Only an HTML page is read for words, except the crashed Space's plain-text 503.
    """
    lowered = body.lower()
    for marker, state, text in _SPACE_STATES:
        if (html or marker == _IN_ERROR) and marker in lowered:
            return state, text
    return None


def _json_detail(body: str) -> str:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if isinstance(data, dict):
        for key in ("detail", "error", "message"):
            value = data.get(key)
            if isinstance(value, str):
                return value
    return ""


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() and len(value) < 9 else None
