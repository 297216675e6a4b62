"""Gradio's queue messages (protocol ``sse_v3``) turned into updates.

This module is pure: it reads decoded ``queue/data`` messages and keeps each
output's value, so it is tested without a server. The network side lives in
:mod:`.client`.
"""
from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .diff import apply_ops
from .errors import (
    SpaceAppError,
    SpaceError,
    SpaceProtocolError,
    SpaceQuotaError,
    excerpt,
)
from .redact import install_filter
from .sse import decode_json

__all__ = ["QueueStatus", "Generating", "Completed", "Update", "EventState", "app_error"]

log = logging.getLogger("g4f_qwen_spaces")
install_filter(log)


@dataclass(frozen=True)
class QueueStatus:
    """The job waits in the Space's queue (``rank`` 0 = next) or has started."""

    rank: int | None = None
    queue_size: int | None = None
    eta: float | None = None
    started: bool = False

    def describe(self) -> str:
        # An estimate that rounds to 0 s says nothing ("about 0 s"): left out.
        eta = round(self.eta) if self.eta is not None else 0
        if self.started:
            return "Generating" + (f" (about {eta} s)" if eta >= 1 else "")
        text = "Waiting in the Space's queue"
        if self.rank is not None:
            text += f": position {self.rank + 1}"
            if self.queue_size:
                text += f" of {self.queue_size}"
        if eta >= 1:
            text += f", about {eta} s"
        return text


@dataclass
class Generating:
    """Output values after the messages of one network read were applied."""

    values: list[Any]


@dataclass
class Completed:
    """The final output values."""

    values: list[Any]


Update = QueueStatus | Generating | Completed


class EventState:
    """Follows one queued event (``event_id``) through its messages."""

    def __init__(self, event_id: str, *, major: int = 0, base_url: str = "") -> None:
        self.event_id = event_id
        self.major = major
        self.base_url = base_url
        self.url = base_url or None
        self.values: list[Any] | None = None
        self.completed = False
        self.closed = False
        #: An error that arrived in a batch after some output: raise it once
        #: the updates before it were delivered.
        self.failure: Exception | None = None

    def feed(self, messages: Iterable[Any]) -> list[Update]:
        """Apply a batch of messages (dicts or raw JSON payloads); return the updates.

        When a message fails after others in the same batch produced output,
        that output is returned and the error is kept in :attr:`failure`, so
        text that arrived before a failure is never lost.
        """
        updates: list[Update] = []
        generated = False
        try:
            for message in messages:
                if isinstance(message, (bytes, bytearray, str)):
                    message = decode_json(message)
                generated = self._apply(message, updates) or generated
        except SpaceError as error:
            if generated and self.values is not None:
                updates.append(Generating(self.values))
            if not updates:
                raise
            self.failure = error
            return updates
        if generated and self.values is not None and not (updates and isinstance(updates[-1], Completed)):
            updates.append(Generating(self.values))  # a completion carries full values
        return updates

    def _apply(self, message: Any, updates: list[Update]) -> bool:
        """Handle one message; True when it changed the output values."""
        if not isinstance(message, dict):
            raise SpaceProtocolError(f"Unexpected event from the Space: {excerpt(message)}", url=self.url)
        kind = message.get("msg")
        event_id = message.get("event_id")
        if event_id is not None and event_id != self.event_id:
            return False  # another event of the same session
        if kind == "process_generating":
            self._generating(message)
            return True
        if kind == "process_completed":
            updates.append(self._completed(message))
        elif kind == "estimation":
            updates.append(
                QueueStatus(
                    rank=_int(message.get("rank")),
                    queue_size=_int(message.get("queue_size")),
                    eta=_float(message.get("rank_eta")),
                )
            )
        elif kind == "process_starts":
            updates.append(QueueStatus(eta=_float(message.get("eta")), started=True))
        elif kind == "close_stream":
            self.closed = True
        elif kind == "unexpected_error":
            raise SpaceError(
                f"The Space at {self.base_url} reported: {excerpt(message.get('message'), 200)}",
                url=self.url,
            )
        elif kind == "log":
            log.debug("Space log (%s): %s", excerpt(message.get("level"), 20), excerpt(message.get("log")))
        # "heartbeat", "progress", "process_streaming" and future kinds: nothing to do.
        return False

    def _generating(self, message: dict[str, Any]) -> None:
        output = message.get("output")
        if not isinstance(output, dict) or not isinstance(output.get("data"), list):
            if message.get("success") is False or (isinstance(output, dict) and output.get("error")):
                raise app_error(output if isinstance(output, dict) else {}, self.major, self.base_url)
            raise SpaceProtocolError(f"Unexpected progress from the Space: {excerpt(message)}", url=self.url)
        data = output["data"]
        if self.values is None:
            self.values = list(data)  # the first message of an event has full values
            return
        if len(data) != len(self.values):
            raise SpaceProtocolError("The Space changed the number of outputs mid-stream", url=self.url)
        for index, ops in enumerate(data):
            if ops:
                self.values[index] = apply_ops(self.values[index], ops)

    def _completed(self, message: dict[str, Any]) -> Completed:
        self.completed = True
        output = message.get("output")
        if message.get("success") is False:
            raise app_error(output if isinstance(output, dict) else {}, self.major, self.base_url)
        if not isinstance(output, dict) or "data" not in output:
            raise SpaceAppError(f"The job was cancelled by the Space at {self.base_url}", url=self.url)
        data = output["data"]
        if not isinstance(data, list):
            raise SpaceProtocolError(f"Unexpected result from the Space: {excerpt(data)}", url=self.url)
        self.values = list(data)
        return Completed(self.values)


#: What a Space over its quota says, in the title or the message: the ZeroGPU
#: wordings of the ``spaces`` package ("You have exceeded your free GPU quota
#: (…)", "Unlogged user is runnning out of daily ZeroGPU quotas…", "Space app
#: has reached its GPU limit…", "You have exceeded your runs limit.", "No GPU
#: was available after 60s…") and Gradio 5's title "ZeroGPU quota exceeded".
_QUOTA = re.compile(
    r"gpu quota|quota exceeded|zerogpu|gpu limit|runs limit|no gpu was available", re.I
)
_RETRY_IN = re.compile(r"(?:retry|try again)\s+in\s+(?:(\d+):)?(\d+):(\d+)", re.I)
_SECONDS_LEFT = re.compile(r"(?:retry|try again)\s+in\s+(\d+(?:\.\d+)?)\s*s", re.I)
#: Titles that say nothing: Gradio 5's default for ``gr.Error`` and its kin.
_PLAIN_TITLES = frozenset({"", "error", "warning", "info"})


def app_error(output: dict[str, Any], major: int, base_url: str) -> SpaceError:
    """The exception for a failed job, carrying the Space's own message.

    Gradio 5 sends an error's title apart (``{"error": …, "title": …}``); a
    title other than the default "Error" is kept in front of the message
    (``"ZeroGPU quota exceeded: You have exceeded…"``) unless the message
    already starts with it, and counts for telling a quota apart.
    """
    message = output.get("error")
    if isinstance(message, str):
        message = _unquote(message, major) if len(message) < 65536 else message
    url = base_url or None
    title = _title(output.get("title"))
    if message and title and not excerpt(message, 300).lower().startswith(title.lower()):
        message = f"{title}: {excerpt(message, 300)}"
    elif not message:
        message = title
    if not message:
        return SpaceAppError(
            f"The Space at {base_url} failed without a message (the app hides its errors)", url=url
        )
    text = excerpt(message, 300)
    if _QUOTA.search(text):
        return SpaceQuotaError(text, _retry_seconds(text), url=url)
    return SpaceAppError(text, url=url)


def _title(value: Any) -> str:
    """An error's title worth showing ("" for none, a non-string or the default "Error")."""
    if not isinstance(value, str):
        return ""
    title = excerpt(value[:400], 80)
    return "" if title.lower() in _PLAIN_TITLES or title == "(empty)" else title


def _unquote(message: str, major: int) -> str:
    # Gradio 4 sends repr(str(error)): 'You have exceeded your GPU quota'.
    if major == 4 and len(message) >= 2 and message[0] == message[-1] and message[0] in "'\"":
        try:
            value = ast.literal_eval(message)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return message[1:-1]
        if isinstance(value, str):
            return value
    return message


def _retry_seconds(text: str) -> float | None:
    match = _RETRY_IN.search(text)
    if match:
        hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    match = _SECONDS_LEFT.search(text)
    return float(match.group(1)) if match else None


def _int(value: Any) -> int | None:
    """A count from the Space, or None when it is not a sane one."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    return None


def _float(value: Any) -> float | None:
    """Seconds from the Space, or None when not a finite, non-negative number below a year."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 3.2e7:
        return float(value)
    return None
