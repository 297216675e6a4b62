"""An async client for one Gradio Space: config, upload, queued calls.

The streaming path is ``{prefix}/queue/join`` + ``{prefix}/queue/data``
(server-sent diffs, O(n) bytes for an n-character answer, and the Space's
real error messages), never ``/call/<api_name>`` (the whole output resent on
every token, O(n²), and errors lost on Gradio 4/5).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp

from .config import CONFIG_CACHE, ConfigCache, Endpoint, SpaceConfig
from .errors import (
    SpaceConnectionError,
    SpaceError,
    SpaceProtocolError,
    SpaceStatusError,
    excerpt,
)
from .files import ImageFile, file_data
from .http import DRAIN_TIMEOUT, Request, SpaceHTTP
from .queue import Completed, EventState, Update
from .redact import install_filter
from .shape import EndpointShape
from .sse import SSEBatches
from .store import ConfigStore

__all__ = ["SpaceClient", "Job"]

log = logging.getLogger("g4f_qwen_spaces")
install_filter(log)

CANCEL_TIMEOUT = 3.0
CANCEL_GRACE = 1.0


_T = TypeVar("_T")


def boundary(method: Callable[..., Awaitable[_T]]) -> Callable[..., Awaitable[_T]]:
    """Whatever a client method fails with leaves it as the :class:`SpaceError` family."""

    @functools.wraps(method)
    async def guarded(self: SpaceClient, *args: Any, **kwargs: Any) -> _T:
        try:
            return await method(self, *args, **kwargs)
        except Exception as error:
            mapped = self.map_error(error)
            if mapped is error:
                raise
            raise mapped from error

    return guarded


class SpaceClient(SpaceHTTP):
    """One request's connection to a Space (open it with ``async with``).

    ``store`` (optional) keeps parsed configs on disk for other processes;
    the in-memory ``cache`` is looked at first, the store next, ``/config`` last.
    """

    def __init__(
        self,
        base_url: str,
        *,
        cache: ConfigCache = CONFIG_CACHE,
        store: ConfigStore | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, **options)
        self.cache = cache
        self.store = store
        if store is not None:
            cache.attach(store)
        self.session_hash = secrets.token_hex(6)

    async def cached(self) -> SpaceConfig | None:
        """The config from memory, else from the disk store (read in a thread)."""
        config = self.cache.get(self.base_url)
        if config is None and self.store is not None:
            config = await asyncio.to_thread(self.store.load, self.base_url)
            if config is not None:
                self.cache.put(config)
        return config

    async def forget(self) -> None:
        """Drop this Space's config from memory and disk: the Space disagreed with it."""
        await asyncio.to_thread(self.cache.invalidate, self.base_url)

    @boundary
    async def endpoint(self, wanted: str | EndpointShape) -> tuple[SpaceConfig, Endpoint]:
        """The config and the endpoint named ``wanted`` (or shaped as it says).

        A cached config that lacks the endpoint (or where it differs) is
        fetched again once: the Space may have been rebuilt since (or another
        app now serves the URL).
        """
        cached = await self.cached()
        # Memory and disk were just asked: on a miss, straight to /config.
        config = cached or await self.config(refresh=True)
        try:
            return config, self._resolve(config, wanted)
        except SpaceProtocolError:
            if cached is None:
                raise
        config = await self.config(refresh=True)
        return config, self._resolve(config, wanted)

    def _resolve(self, config: SpaceConfig, wanted: str | EndpointShape) -> Endpoint:
        if isinstance(wanted, str):
            return config.endpoint(wanted)
        return wanted.resolve(config, self.url_hint)

    @boundary
    async def config(self, *, refresh: bool = False) -> SpaceConfig:
        """The app's config, from the process cache when fresh."""
        if not refresh:
            cached = await self.cached()
            if cached is not None:
                return cached
        async with self.request("GET", f"{self.base_url}/config") as response:
            raw = await self.json(response, "/config", self.limits.config)
        try:
            config = SpaceConfig.parse(self.base_url, raw)
            if config.protocol and not config.protocol.startswith("sse"):
                raise SpaceProtocolError(
                    f"The Space at {self.base_url} speaks Gradio protocol {config.protocol!r}; "
                    "this client needs sse_v3 (Gradio 4 or later)"
                )
        except SpaceError:
            await self.forget()  # the app changed into something we cannot use
            raise
        self.cache.put(config)
        if self.store is not None:
            await asyncio.to_thread(self.store.save, config)
        return config

    @boundary
    async def upload(self, config: SpaceConfig, image: ImageFile) -> dict[str, Any]:
        """Upload one file; return the FileData that references it in a call."""
        form = aiohttp.FormData()
        form.add_field("files", image.data, filename=image.name, content_type=image.mime)
        url = config.url("/upload")
        async with self.request(
            "POST", url, params={"upload_id": secrets.token_hex(5)}, data=form
        ) as response:
            paths = await self.json(response, "the upload")
        if not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str):
            raise SpaceProtocolError(
                f"The Space did not accept the upload (it answered {excerpt(str(paths), 80)})"
            )
        if len(paths[0]) > 4096:
            raise SpaceProtocolError(
                "The Space answered the upload with an absurdly long path", url=self.base_url
            )
        return file_data(paths[0], image)

    @boundary
    async def submit(self, config: SpaceConfig, endpoint: Endpoint, data: list[Any]) -> Job:
        """Join the queue and open the event stream; iterate the returned job for updates."""
        payload = {
            "data": data,
            "event_data": None,
            "fn_index": endpoint.fn_index,
            "trigger_id": endpoint.trigger_id,
            "session_hash": self.session_hash,
        }
        try:
            async with self.request("POST", config.url("/queue/join"), json=payload) as response:
                joined = await self.json(response, "the queue join")
        except SpaceError as error:
            if disagrees(error):
                # Perhaps the app was re-wired (fn_index moved): read it anew next time.
                await self.forget()
            raise
        event_id = joined.get("event_id") if isinstance(joined, dict) else None
        if not isinstance(event_id, str):
            raise SpaceProtocolError(
                f"The Space did not queue the job: {excerpt(joined, 120)}", url=self.base_url
            )
        job = Job(self, config, endpoint, event_id)
        try:
            await job.open()
        except BaseException:
            await job.aclose()
            raise
        return job

    async def cancel(self, config: SpaceConfig, endpoint: Endpoint, event_id: str) -> None:
        """Best effort: tell the Space to stop the job (the dropped stream does too).

        It gets what is left of the deadline (at most ``CANCEL_TIMEOUT``), and
        ``CANCEL_GRACE`` after it ran out: stopping the job frees the Space's
        queue (and a ZeroGPU quota) for everyone.
        """
        budget = min(CANCEL_TIMEOUT, max(self.deadline - time.monotonic(), CANCEL_GRACE))
        if self._session is None or self._session.closed or budget <= 0:
            return
        url = config.url("/cancel")
        body = {"session_hash": self.session_hash, "fn_index": endpoint.fn_index, "event_id": event_id}
        try:
            async with self._session.post(
                url,
                json=body,
                headers=self._headers(url, None),
                proxy=self.proxy,
                timeout=aiohttp.ClientTimeout(total=budget),
                allow_redirects=False,
            ) as response:
                log.debug("Cancelled job %s at %s: %s", event_id, self.base_url, response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            log.debug("Cancel of job %s at %s failed: %r", event_id, self.base_url, error)


def disagrees(error: SpaceError) -> bool:
    """Whether a refused join says the cached config is wrong (not: asleep, busy, unreachable).

    A protocol error or an HTTP error without a Hugging Face state (404, 422,
    500…) may mean the app was re-wired; a status page, a 502/503/504 (seen
    while a Space starts), a quota, a refused token or a dead connection say
    nothing about the config.
    """
    if isinstance(error, SpaceProtocolError):
        return True
    return type(error) is SpaceStatusError and error.state is None and error.status not in (502, 503, 504)


class Job:
    """One queued call: ``async for update in job``; ``await job.aclose()`` always.

    Closing a job that has not completed (the caller stopped reading, a
    timeout, a task cancellation) asks the Space to cancel it and drops the
    stream, so a Space does not keep generating for nobody. A class rather
    than an async generator, so its cleanup runs when we say, in order.
    """

    def __init__(self, client: SpaceClient, config: SpaceConfig, endpoint: Endpoint, event_id: str) -> None:
        self.client = client
        self.config = config
        self.endpoint = endpoint
        self.event_id = event_id
        self.state = EventState(event_id, major=config.major, base_url=client.base_url)
        self.finished = False
        self.completed = False  # the Space sent the final output
        self._request: Request | None = None
        self._response: aiohttp.ClientResponse | None = None
        self._batches: SSEBatches | None = None
        self._pending: deque[Update | Exception] = deque()
        self._reading: asyncio.Task[list[bytes] | None] | None = None  # see ready_by()

    async def open(self) -> None:
        self._request = request = self.client.request(
            "GET",
            self.config.url("/queue/data"),
            params={"session_hash": self.client.session_hash},
            headers={"Accept": "text/event-stream"},
            stream=True,
        )
        self._response = response = await request.__aenter__()
        limits = self.client.limits
        self._batches = SSEBatches(
            self.client.body(response, limits.stream, "the event stream"),
            max_event=limits.event,
            check=self.client.remaining,
        )

    def __aiter__(self) -> Job:
        return self

    async def __anext__(self) -> Update:
        while not self._pending:
            if self.finished:
                raise StopAsyncIteration
            await self._read()
        update = self._pending.popleft()
        if isinstance(update, Exception):
            raise self.client.map_error(update, True)
        return update

    async def ready_by(self, when: float) -> bool:
        """Wait until an update is ready or the monotonic clock reaches ``when``;
        True when one is (the next ``__anext__`` then returns at once).

        For a caller that must act when nothing happens for a while (a queue
        status shown after a grace). When the time runs out the network read
        goes on in a task of its own and the next ``__anext__`` takes it up, so
        nothing read is lost and the stream is never cut midway.
        """
        while not self._pending and not self.finished:
            if self._reading is None:
                self._reading = asyncio.ensure_future(self._next_batch())
            remaining = when - time.monotonic()
            if remaining > 0 and not self._reading.done():
                await asyncio.wait((self._reading,), timeout=remaining)
            if not self._reading.done():
                return False
            await self._read()  # takes up the finished read (a heartbeat gives no update)
        return True

    async def _next_batch(self) -> list[bytes] | None:
        """The next batch of events, or None at the end of the stream."""
        assert self._batches is not None, "Job.open() was not awaited"
        try:
            return await self._batches.__anext__()
        except StopAsyncIteration:
            return None

    async def _read(self) -> None:
        if self._batches is None:
            raise RuntimeError("Job.open() was not awaited")
        reading, self._reading = self._reading, None
        try:
            batch = await (reading if reading is not None else self._next_batch())
        except BaseException as error:
            mapped = self.client.map_error(error, True)
            if isinstance(mapped, SpaceConnectionError):
                self.finished = True  # the connection is gone: nothing to cancel
            if mapped is error:
                raise
            raise mapped from error
        if batch is None:
            self.finished = True
            raise self._closed_early()
        try:
            updates = self.state.feed(batch)
        except SpaceError as error:
            self.finished = True  # the job is over on the Space's side
            raise self.client.map_error(error, True) from error.__cause__
        except Exception as error:  # a validation gap: still one error family
            self.finished = True
            raise self.client.map_error(error, True) from error
        for update in updates:
            self._pending.append(update)
            if isinstance(update, Completed):
                self.finished = self.completed = True
                return
        if self.state.failure is not None:
            # Raised after the updates that arrived with it, so text streamed
            # before a failure is never lost.
            self.finished = True
            self._pending.append(self.state.failure)
        elif self.state.closed:
            self.finished = True
            self._pending.append(self._closed_early())

    def _closed_early(self) -> SpaceError:
        """The stream ended before the answer: an HTML page instead of a stream says so."""
        if self._response is not None and self._batches is not None:
            try:
                self.client.check_html(self._response, self._batches.head.decode("utf-8", "replace"))
            except SpaceStatusError as error:
                return error
        return SpaceProtocolError(
            f"The Space at {self.client.base_url} closed the stream before the answer was complete",
            url=self.client.base_url,
        )

    async def aclose(self) -> None:
        """Cancel the job on the Space if it is not over, and drop the stream."""
        request, self._request = self._request, None
        reading, self._reading = self._reading, None
        try:
            if reading is not None:
                await _settle(reading)
            if not self.finished:
                self.finished = True
                await self.client.cancel(self.config, self.endpoint, self.event_id)
        finally:
            if request is not None:
                if self.completed:
                    # The answer is whole: read the stream's last bytes so
                    # the next call reuses its connection.
                    await request.finish(min(DRAIN_TIMEOUT, max(self.client.deadline - time.monotonic(), 0)))
                else:
                    request.close()


async def _settle(task: asyncio.Task[Any]) -> None:
    """Cancel a read left running (or take its outcome, so none is reported as never retrieved)."""
    task.cancel()  # nothing when it is done
    try:
        await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise  # our own cancellation, not the task's
    except Exception:  # noqa: BLE001 - the job is being closed; its error was not asked for
        pass
