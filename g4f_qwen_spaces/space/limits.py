"""How much a Space may send and how long a call may take: named, overridable bounds.

A Space is untrusted input. Each bound caps what one call can cost whatever
the Space (or anything between us and it) sends; exceeding one raises
:class:`~.errors.SpaceLimitError` naming it. Sizes count bytes *after*
decompression, whatever ``Content-Length`` claims.

The two a user may need to change have environment variables:
``G4F_QWEN_SPACES_TIMEOUT`` (the default total deadline of a call, seconds)
and ``G4F_QWEN_SPACES_MAX_STREAM_MB`` (the whole event stream of one call).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Any

from .errors import SpaceInputError

__all__ = [
    "Limits",
    "DEFAULT_LIMITS",
    "DEFAULT_DEADLINE",
    "DEADLINE_ENV",
    "STREAM_ENV",
    "positive",
    "default_deadline",
    "optional_seconds",
]

KIB = 1024
MIB = 1024 * KIB

#: Default total deadline of one call when the caller gives no ``timeout``.
DEFAULT_DEADLINE = 600.0
DEADLINE_ENV = "G4F_QWEN_SPACES_TIMEOUT"
STREAM_ENV = "G4F_QWEN_SPACES_MAX_STREAM_MB"


@dataclass(frozen=True)
class Limits:
    """The bounds of one call (bytes after decompression)."""

    #: One server-sent event (a long chat history resent whole can be MBs).
    event: int = 16 * MIB
    #: The whole event stream of one call (bounds the answer's size too).
    stream: int = 64 * MIB
    #: ``/config`` (real Spaces: tens to a few hundred KB).
    config: int = 16 * MIB
    #: Any other JSON answer (queue join, upload).
    json: int = 1 * MIB
    #: What is read of an error body for its message; the rest is dropped.
    error_body: int = 8 * KIB

    @classmethod
    def from_env(cls) -> Limits:
        raw = os.environ.get(STREAM_ENV, "").strip()
        if not raw:
            return DEFAULT_LIMITS
        megabytes = positive(raw, STREAM_ENV, "megabytes")
        return replace(DEFAULT_LIMITS, stream=int(megabytes * MIB))


DEFAULT_LIMITS = Limits()


def positive(value: Any, what: str, unit: str = "seconds") -> float:
    """A finite positive number, or :class:`SpaceInputError` (nan/inf/0/-1/"x" refused)."""
    number = _number(value, what, unit)
    if not math.isfinite(number) or number <= 0:
        raise SpaceInputError(f"{what} must be a finite positive number, got {value!r:.40}")
    return number


def non_negative(value: Any, what: str) -> float:
    """A finite number of seconds >= 0, or :class:`SpaceInputError` (0 means "do not wait")."""
    number = _number(value, what, "seconds")
    if not math.isfinite(number) or number < 0:
        raise SpaceInputError(f"{what} must be a finite number of seconds >= 0, got {value!r:.40}")
    return number


def _number(value: Any, what: str, unit: str) -> float:
    """``value`` as a float; booleans and what is not a number refused."""
    if isinstance(value, bool):
        raise SpaceInputError(f"{what} must be a number of {unit}, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise SpaceInputError(f"{what} must be a number of {unit}, got {value!r:.40}") from None


def default_deadline() -> float:
    """The deadline for calls without ``timeout``: ``G4F_QWEN_SPACES_TIMEOUT`` or 600 s."""
    raw = os.environ.get(DEADLINE_ENV, "").strip()
    return positive(raw, DEADLINE_ENV) if raw else DEFAULT_DEADLINE


def optional_seconds(value: Any, what: str) -> float | None:
    """``None``/"" stay unset; anything else must be finite and positive."""
    if value is None or value == "":
        return None
    return positive(value, what)
