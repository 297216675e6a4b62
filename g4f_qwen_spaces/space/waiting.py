"""Which waiting statuses a caller sees, and when.

Gradio gives every job "position 1 of 1" when it joins the queue, so showing
each queue status makes every answer start with a wait nobody had. The rules:

- a queue status is shown only when the caller really waits: someone is ahead
  (rank >= 1), or the job has not started ``grace`` seconds after it joined;
  a job that starts at once shows nothing;
- a waking or starting Space is always a real wait: its statuses are shown;
- once anything was shown, the start of the answer replaces it with one final
  line saying how long the call waited (and a failure with one saying when it
  gave up), so no stale "position 2 of 3" stays above an answer.

Pure bookkeeping with an injectable clock: the caller asks :attr:`due_at`
when it needs a timer and calls :meth:`due` when the timer fires.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from .queue import QueueStatus

__all__ = ["GRACE", "WaitingStatus", "seconds_text"]

#: How long a job may sit in the queue, nobody ahead, before its status is shown.
GRACE = 1.0

#: Shown when the grace ran out before the Space sent any estimate.
QUEUED = "Waiting in the Space's queue"


def seconds_text(seconds: float) -> str:
    """``0.4 s``, ``9.6 s``, ``12 s``: a tenth below ten seconds, whole seconds above."""
    seconds = max(seconds, 0.0)
    if round(seconds, 1) < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s"


class WaitingStatus:
    """One call's waiting statuses, over every copy of the Space it tries."""

    def __init__(self, grace: float = GRACE, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace = grace
        self._clock = clock
        self._began = clock()
        self._joined: float | None = None  # when the current job joined the queue
        self._held: str | None = None  # a queue status within the grace, not shown
        self._started: float | None = None  # when the current job started
        self.shown = False  # some status reached the caller
        self.woke = False  # part of the wait was the Space waking or starting
        self.ended = False  # the final line was given

    def waking(self, text: str) -> str:
        """A waking or starting Space: shown as it is."""
        self.shown = self.woke = True
        return text

    def joined(self) -> None:
        """A job joined the queue (a later copy's job starts its own grace)."""
        self._joined, self._held, self._started = self._clock(), None, None

    def queue(self, status: QueueStatus) -> str | None:
        """The text to show for a queue update, or None."""
        if self._started is not None:
            return None
        if status.started:
            self._started, self._held = self._clock(), None
            return None
        text = status.describe()
        if self.shown or (status.rank or 0) >= 1 or self._past_grace():
            self.shown = True
            return text
        self._held = text
        return None

    @property
    def due_at(self) -> float | None:
        """When to call :meth:`due` if nothing happens before (None: no timer needed)."""
        if self.shown or self._joined is None or self._started is not None:
            return None
        return self._joined + self.grace

    def due(self) -> str | None:
        """The grace ran out and the job has not started: the status to show."""
        if self.due_at is None:
            return None
        self.shown = True
        return self._held or QUEUED

    def answering(self) -> str | None:
        """The answer's first text arrived: the final line, once, if anything was shown."""
        if self._started is None:
            self._started = self._clock()
        if not self.shown or self.ended:
            return None
        self.ended = True
        waited = seconds_text(self._started - self._began)
        if self.woke:
            return f"Waited {waited} for the Space to start"
        return f"Waited {waited} in the Space's queue"

    def failed(self) -> str | None:
        """The call failed: the final line, once, if a status was shown and no text came."""
        if not self.shown or self.ended:
            return None
        self.ended = True
        return f"Stopped after {seconds_text(self._clock() - self._began)}"

    def _past_grace(self) -> bool:
        return self._joined is not None and self._clock() - self._joined >= self.grace
