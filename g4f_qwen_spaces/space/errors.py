"""One family of errors for everything the Space client raises.

Every failure, whatever bytes a Space (or anything in between) sent, ends as
a :class:`SpaceError`: it carries the Space's ``url``, the HTTP ``status``
where there was one, and the low-level cause as ``__cause__``. Messages are
short, plain, one line, and pass through :func:`excerpt`, which redacts the
active secrets *before* it shortens anything.

This module knows nothing of g4f: the provider layer gives each kind its g4f
parent (``g4f_qwen_spaces.providers.errors``), so g4f's retry layers still
see ``RateLimitError``, ``MissingAuthError`` and so on.
"""
from __future__ import annotations

import html
import re
from typing import Any

from .redact import redact

__all__ = [
    "SpaceError",
    "SpaceConnectionError",
    "SpaceStatusError",
    "SpaceAsleepError",
    "SpaceDownError",
    "SpaceAuthError",
    "SpaceQuotaError",
    "SpaceAppError",
    "SpaceProtocolError",
    "SpaceLimitError",
    "SpaceChangedError",
    "SpaceTimeoutError",
    "SpaceConnectTimeoutError",
    "SpaceInputError",
    "excerpt",
]


class SpaceError(Exception):
    """The root: a Space call failed. ``url`` and ``status`` say where and how."""

    def __init__(self, message: str, status: int | None = None, *, url: str | None = None) -> None:
        super().__init__(redact(message))
        self.status = status
        self.url = url


class SpaceConnectionError(SpaceError):
    """The Space could not be reached (refused, DNS, TLS, reset)."""


class SpaceStatusError(SpaceError):
    """The Space answered with an HTTP error, a redirect we refuse, or an HTML page.

    ``state`` is the Space's state when Hugging Face's page (or its Hub API)
    named one (``sleeping``, ``starting``, ``building``, ``paused``,
    ``runtime error``...); ``page`` is true when the answer was an HTML page
    or a redirect to one instead of the app's API (a proxy speaking, not the app).
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        url: str | None = None,
        state: str | None = None,
        page: bool = False,
    ) -> None:
        super().__init__(message, status, url=url)
        self.state = state
        self.page = page


class SpaceAsleepError(SpaceStatusError):
    """The Space was still asleep, starting or building when the wake limit ran out."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        url: str | None = None,
        state: str | None = None,
        elapsed: float = 0.0,
    ) -> None:
        super().__init__(message, status, url=url, state=state)
        self.elapsed = elapsed


class SpaceDownError(SpaceStatusError):
    """The Space will not serve by itself: paused, crashed, failed to build, being deleted.

    ``state`` says which; ``stage`` is the Hub's word for it (``PAUSED``,
    ``RUNTIME_ERROR``...) when the Hub was asked. Nobody but its owner can
    bring it back, so waiting is pointless: a copy of it can serve instead.
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        url: str | None = None,
        state: str | None = None,
        stage: str | None = None,
    ) -> None:
        super().__init__(message, status, url=url, state=state)
        self.stage = stage


class SpaceAuthError(SpaceError):
    """The Space is private or gated: an HF token (``api_key``) is needed."""


class SpaceQuotaError(SpaceError):
    """Queue full or ZeroGPU quota exhausted; ``retry_after`` in seconds if known."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        status: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, status, url=url)
        self.retry_after = retry_after


class SpaceAppError(SpaceError):
    """The Space's app raised (``gr.Error`` or an exception); carries its message."""


class SpaceProtocolError(SpaceError):
    """The Space sent something that is not Gradio's protocol (or not in its shape)."""


class SpaceLimitError(SpaceProtocolError):
    """The Space sent more than a named limit allows (``limit`` names it)."""

    def __init__(self, message: str, limit: str, *, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.limit = limit


class SpaceChangedError(SpaceProtocolError):
    """The Space's app no longer has the endpoint a provider needs (``differences`` says how)."""

    def __init__(self, message: str, differences: list[str], *, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.differences = differences


class SpaceTimeoutError(SpaceError, TimeoutError):
    """No byte for the stall timeout, or the total deadline ran out."""


class SpaceConnectTimeoutError(SpaceTimeoutError):
    """No connection within the connect timeout: the Space cannot be reached."""


class SpaceInputError(SpaceError, ValueError):
    """The request cannot be sent as given; raised before any network I/O."""


_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
#: Characters of a body looked at for a message: enough for any excerpt.
_LOOK = 4096


def excerpt(data: Any, limit: int = 200) -> str:
    """A short, single-line, tag-free, redacted rendering of a body for messages."""
    if data is None:
        return "(empty)"
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = bytes(data).decode("utf-8", "replace")
    else:
        text = str(data)
    # Redact the whole first (callers pass bounded bodies): a secret cut in
    # half by the excerpt would stay mostly readable.
    text = redact(text)[:_LOOK]
    text = _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip()
    text = text.replace("<", "‹").replace(">", "›")
    if not text:
        return "(empty)"
    return text if len(text) <= limit else text[: limit - 1] + "…"
