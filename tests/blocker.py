"""Another caller of a one-job Space, to make it busy: the browser and drop-in layers use it."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Blocker:
    """Another caller of the one-job Space, in a thread of its own, until ``release()``.

    ``ready`` is set once it runs (its first text) or, with ``queued``, once it
    waits in the Space's queue (its first status).
    """

    def __init__(self, provider, prompt: str, queued: bool = False) -> None:
        self.provider, self.prompt, self.queued = provider, prompt, queued
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    async def _consume(self) -> None:
        from g4f.providers.response import Reasoning

        messages = [{"role": "user", "content": self.prompt}]
        async for chunk in self.provider.create_async_generator("", messages, stream=self.queued):
            if isinstance(chunk, Reasoning) if self.queued else (isinstance(chunk, str) and chunk):
                self.ready.set()

    def _run(self) -> None:
        self.task = self.loop.create_task(self._consume())
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except BaseException as error:  # noqa: BLE001 - reported by release()
            self.error = error
        finally:
            self.loop.close()

    def release(self) -> None:
        """Stop this caller (the Space cancels its job) and wait until it is gone."""
        if self.task is not None:
            try:
                self.loop.call_soon_threadsafe(self.task.cancel)
            except RuntimeError:  # the loop is closed: the caller has already finished
                pass
        self.thread.join(15)
        assert not self.thread.is_alive(), "the blocking caller did not stop"
        assert self.error is None, self.error


@contextmanager
def busy(provider) -> Iterator[Callable[..., Blocker]]:
    """``with busy(provider) as start:`` ``start(prompt)`` starts a caller that keeps a one-job
    Space's worker busy (``start(prompt, queued=True)``: one that waits in its queue), once it
    runs (or waits); every one is released at the end."""
    import pytest

    blockers: list[Blocker] = []

    def start(prompt: str, queued: bool = False) -> Blocker:
        blocker = Blocker(provider, prompt, queued)
        blockers.append(blocker)
        if not blocker.ready.wait(15):
            pytest.fail(f"the other caller ({prompt!r}) got no {'status' if queued else 'text'} in 15 s")
        return blocker

    try:
        yield start
    finally:
        for blocker in blockers:
            blocker.release()
