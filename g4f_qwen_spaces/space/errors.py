"""Errors raised by the Space client, as subclasses of g4f's own error types.

g4f's retry layers and its callers branch on ``g4f.errors`` classes, so every
failure we raise is one of them; our subclasses only add detail (the Space's
URL, a retry delay). Messages are short, plain text, and never carry a token.
"""
from __future__ import annotations

import html
import re
from typing import Optional, Union

from g4f.errors import (
    MissingAuthError,
    ModelNotFoundError,
    RateLimitError,
    ResponseError,
    ResponseStatusError,
    TimeoutError as G4FTimeoutError,
)

__all__ = [
    "SpaceError",
    "SpaceConnectionError",
    "SpaceStatusError",
    "SpaceAuthError",
    "SpaceQuotaError",
    "SpaceAppError",
    "SpaceProtocolError",
    "SpaceTimeoutError",
    "SpaceInputError",
    "ModelNotFoundError",
    "excerpt",
]


class SpaceError(ResponseError):
    """A Space failed to answer; base of the client's response errors."""


class SpaceConnectionError(SpaceError):
    """The Space could not be reached (refused, DNS, TLS, reset)."""


class SpaceStatusError(ResponseStatusError):
    """The Space answered with an HTTP error or an HTML page instead of its API."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class SpaceAuthError(MissingAuthError):
    """The Space is private or gated: an HF token (``api_key``) is needed."""


class SpaceQuotaError(RateLimitError):
    """Queue full or ZeroGPU quota exhausted; ``retry_after`` in seconds if known."""

    def __init__(self, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SpaceAppError(SpaceError):
    """The Space's app raised (``gr.Error`` or an exception); carries its message."""


class SpaceProtocolError(SpaceError):
    """The Space sent something that is not Gradio's protocol."""


class SpaceTimeoutError(G4FTimeoutError, TimeoutError):
    """No byte for the stall timeout, or the total ``timeout`` ran out."""


class SpaceInputError(ValueError):
    """The request cannot be sent as given; raised before any network I/O."""


_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def excerpt(data: Union[bytes, str, None], limit: int = 200) -> str:
    """A short, single-line, tag-free rendering of a body for error messages."""
    if data is None:
        return "(empty)"
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data)
    text = _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip()
    if not text:
        return "(empty)"
    return text if len(text) <= limit else text[: limit - 1] + "…"
