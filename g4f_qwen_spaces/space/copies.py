"""Several copies of one Space: the URL list, the cool-down, and the combined error.

Users answer a Space that sleeps, moves or runs out of quota by duplicating
it, so a URL setting may list copies, separated by commas. A call tries them
in order and moves on when one cannot serve at all (unreachable, asleep past
the wake limit, paused or broken, gone, refusing access, over quota), never
once its answer has started. A copy that just failed is skipped by later
calls of the process for a cool-down, so they go straight to a working one.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import (
    SpaceAsleepError,
    SpaceAuthError,
    SpaceChangedError,
    SpaceConnectionError,
    SpaceConnectTimeoutError,
    SpaceDownError,
    SpaceError,
    SpaceInputError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
    excerpt,
)
from .http import check_base_url
from .hub import DOWN_STAGES
from .limits import non_negative
from .redact import check_header_value

__all__ = [
    "parse_urls",
    "MAX_COPIES",
    "CoolDown",
    "COOLDOWN",
    "COOLDOWN_ENV",
    "DEFAULT_COOLDOWN",
    "cooldown_seconds",
    "Plan",
    "moves_on",
    "reason",
    "combine",
]

MAX_COPIES = 16
COOLDOWN_ENV = "G4F_QWEN_SPACES_COOLDOWN"
DEFAULT_COOLDOWN = 60.0
#: States that do not end by themselves (a page's or the Hub's) -> how a reason says it.
_DOWN_WORDS = dict(DOWN_STAGES.values())


def parse_urls(raw: str, name: str = "") -> tuple[str, ...]:
    """A comma-separated list of base URLs, each checked like one; duplicates dropped.

    An empty item (``a,,b``, a trailing comma) is refused rather than
    skipped: it usually means a URL went missing when the value was built.
    """
    what = name or "The Space URL list"
    check_header_value(raw, what)  # refused whole: a line break means it was set wrong
    items = [item.strip() for item in raw.split(",")]
    urls: list[str] = []
    for position, item in enumerate(items, 1):
        if not item:
            raise SpaceInputError(
                f"{what} has an empty entry (item {position} of {len(items)}); "
                "separate URLs with single commas"
            )
        url = check_base_url(item, name)
        if url not in urls:
            urls.append(url)
    if len(urls) > MAX_COPIES:
        raise SpaceInputError(f"{what} lists {len(urls)} URLs; at most {MAX_COPIES} are tried")
    return tuple(urls)


def cooldown_seconds(value: object = None) -> float:
    """The cool-down: ``value`` (a call's ``cooldown=``), else the variable, else 60 s; 0 = off."""
    if value is not None and value != "":
        return non_negative(value, "cooldown")
    raw = os.environ.get(COOLDOWN_ENV, "").strip()
    return non_negative(raw, COOLDOWN_ENV) if raw else DEFAULT_COOLDOWN


@dataclass(frozen=True)
class Skipped:
    """A copy not tried: it failed ``ago`` seconds before, for ``reason``."""

    url: str
    ago: float
    reason: str


@dataclass(frozen=True)
class Plan:
    """The copies to try, in order, and the ones cooling down."""

    urls: tuple[str, ...]
    skipped: tuple[Skipped, ...]


class CoolDown:
    """Per process: which URLs failed recently, and why (thread-safe)."""

    def __init__(self) -> None:
        self._failed: dict[str, tuple[float, float, str]] = {}  # url -> (at, until, reason)
        self._lock = threading.Lock()

    def mark(self, url: str, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            self._failed[url] = (now, now + seconds, why)

    def clear(self, url: str | None = None) -> None:
        with self._lock:
            if url is None:
                self._failed.clear()
            else:
                self._failed.pop(url, None)

    def plan(self, urls: Sequence[str]) -> Plan:
        """Copies not cooling down, in order; all of them when every one is."""
        now = time.monotonic()
        fresh: list[str] = []
        skipped: list[Skipped] = []
        with self._lock:
            for url in urls:
                item = self._failed.get(url)
                if item is not None and item[1] <= now:
                    del self._failed[url]
                    item = None
                if item is None:
                    fresh.append(url)
                else:
                    skipped.append(Skipped(url, now - item[0], item[2]))
        if not fresh:  # nothing else to try: better to ask again than to fail unasked
            return Plan(tuple(urls), ())
        return Plan(tuple(fresh), tuple(skipped))


COOLDOWN = CoolDown()


def moves_on(error: BaseException) -> bool:
    """Whether a copy that failed so (before its answer started) should give way to the next."""
    if isinstance(error, (SpaceConnectionError, SpaceConnectTimeoutError, SpaceAsleepError, SpaceDownError)):
        return True
    if isinstance(error, (SpaceAuthError, SpaceQuotaError, SpaceChangedError)):
        return True  # a changed app: nothing was sent, another copy may still serve it
    if isinstance(error, SpaceStatusError):
        return error.status == 404 or error.state in _DOWN_WORDS
    return False


def reason(error: SpaceError) -> str:
    """Why a copy failed, in a few words (its URL is said next to it)."""
    if isinstance(error, SpaceAsleepError):
        return f"still {error.state or 'asleep'} after {error.elapsed:.0f} s (the wake limit)"
    if isinstance(error, SpaceAuthError):
        code = f" ({error.status})" if error.status else ""
        return f"refused access{code}: an HF token is needed"
    if isinstance(error, SpaceStatusError) and error.status == 404:
        return "not found (404)"
    if isinstance(error, SpaceChangedError):
        return excerpt(f"its app changed: {'; '.join(error.differences)}", 160)
    if isinstance(error, SpaceStatusError) and error.state in _DOWN_WORDS:
        return _DOWN_WORDS[error.state]
    text = str(error)
    url = error.url or ""
    for prefix in (f"The Space at {url} ", f"Cannot reach the Space at {url}: ", f"the Space at {url} "):
        if url and text.startswith(prefix):
            text = text[len(prefix) :]
    if isinstance(error, SpaceQuotaError):
        return f"over quota or busy: {excerpt(text, 90)}"
    if isinstance(error, (SpaceConnectionError, SpaceConnectTimeoutError)):
        return f"cannot be reached: {excerpt(text, 70)}"
    return excerpt(text, 120)


#: When copies failed for different reasons, the error's kind is the first of these present:
#: the one that tells a retry layer the most hopeful next step (wait, then try again),
#: MissingAuthError only when every copy wants a token.
_PRECEDENCE: tuple[type[SpaceError], ...] = (
    SpaceQuotaError,
    SpaceTimeoutError,
    SpaceConnectionError,
    SpaceStatusError,
    SpaceAuthError,
)


def combine(
    failures: Sequence[tuple[str, SpaceError]],
    skipped: Iterable[Skipped] = (),
    final: SpaceError | None = None,
) -> SpaceError:
    """One error naming every copy tried (and skipped) and why each failed.

    ``final`` is an error that ended the call by itself (not a reason to move
    on, or raised after the answer started): the result is of its kind and
    starts with its message. Otherwise the kind is the most hopeful of the
    failures (see ``_PRECEDENCE``; ``retry_after`` is the shortest known).
    """
    skipped = tuple(skipped)
    earlier = [f"{url}: {reason(error)}" for url, error in failures]
    earlier += [f"{s.url}: skipped, failed {s.ago:.0f} s ago ({s.reason})" for s in skipped]
    if final is not None:
        if not earlier:
            return final
        message = f"{excerpt(str(final), 250)} (copies tried before: {'; '.join(earlier)})"
        return _like(final, message)
    if len(failures) == 1 and not skipped:
        return failures[0][1]
    errors = [error for _, error in failures]
    decisive = next(
        (e for kind in _PRECEDENCE for e in errors if isinstance(e, kind)), errors[-1]
    )
    tried = f"{len(failures)} tried" + (f", {len(skipped)} cooling down" if skipped else "")
    combined = _like(decisive, f"No copy of the Space could answer ({tried}): {'; '.join(earlier)}")
    if isinstance(combined, SpaceQuotaError):
        waits = [e.retry_after for e in errors if isinstance(e, SpaceQuotaError) and e.retry_after is not None]
        combined.retry_after = min(waits) if waits else None
    return combined


def _like(error: SpaceError, message: str) -> SpaceError:
    """A copy of ``error`` (same class and attributes) with another message and the copies' list."""
    kind = type(error)
    copy = kind.__new__(kind)
    copy.__dict__.update(error.__dict__)
    copy.args = (message,)
    copy.__cause__ = error.__cause__ if error.__cause__ is not None else error
    copy.__suppress_context__ = True
    return copy
