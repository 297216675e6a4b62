"""An async client for one Gradio Space: config, upload, queued calls.

The streaming path is ``{prefix}/queue/join`` + ``{prefix}/queue/data``
(server-sent diffs, O(n) bytes for an n-character answer, and the Space's
real error messages), never ``/call/<api_name>`` (the whole output resent on
every token, O(n²), and errors lost on Gradio 4/5).
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any, AsyncIterator, Optional

import aiohttp

from .config import CONFIG_CACHE, ConfigCache, Endpoint, SpaceConfig
from .errors import SpaceError, SpaceProtocolError, excerpt
from .files import ImageFile, file_data
from .http import SpaceHTTP
from .queue import Completed, EventState, Update
from .sse import decode_json, iter_sse_batches

__all__ = ["SpaceClient"]

log = logging.getLogger("g4f_qwen_spaces")

CANCEL_TIMEOUT = 3.0


class SpaceClient(SpaceHTTP):
    """One request's connection to a Space (open it with ``async with``)."""

    def __init__(self, base_url: str, *, cache: ConfigCache = CONFIG_CACHE, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.cache = cache
        self.session_hash = secrets.token_hex(6)

    async def config(self, *, refresh: bool = False) -> SpaceConfig:
        """The app's config, from the process cache when fresh."""
        if not refresh:
            cached = self.cache.get(self.base_url)
            if cached is not None:
                return cached
        async with self.request("GET", f"{self.base_url}/config") as response:
            body = await response.text(errors="replace")
            self.check_html(response, body)
            config = SpaceConfig.parse(self.base_url, decode_json(body.encode()))
        if config.protocol and not config.protocol.startswith("sse"):
            raise SpaceProtocolError(
                f"The Space at {self.base_url} speaks Gradio protocol {config.protocol!r}; "
                "this client needs sse_v3 (Gradio 4 or later)"
            )
        self.cache.put(config)
        return config

    async def upload(self, config: SpaceConfig, image: ImageFile) -> dict:
        """Upload one file; return the FileData that references it in a call."""
        form = aiohttp.FormData()
        form.add_field("files", image.data, filename=image.name, content_type=image.mime)
        url = config.url("/upload")
        async with self.request(
            "POST", url, params={"upload_id": secrets.token_hex(5)}, data=form
        ) as response:
            paths = await response.json(content_type=None)
        if not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str):
            raise SpaceProtocolError(
                f"The Space did not accept the upload (it answered {excerpt(str(paths), 80)})"
            )
        return file_data(paths[0], image)

    async def submit(
        self, config: SpaceConfig, endpoint: Endpoint, data: list
    ) -> AsyncIterator[Update]:
        """Join the queue and yield updates until the job completes.

        Closing this generator early (the caller stopped reading) asks the
        Space to cancel the job and drops the stream, so a Space does not
        keep generating for nobody.
        """
        payload = {
            "data": data,
            "event_data": None,
            "fn_index": endpoint.fn_index,
            "trigger_id": endpoint.trigger_id,
            "session_hash": self.session_hash,
        }
        async with self.request("POST", config.url("/queue/join"), json=payload) as response:
            joined = await response.json(content_type=None)
        event_id = joined.get("event_id") if isinstance(joined, dict) else None
        if not isinstance(event_id, str):
            raise SpaceProtocolError(f"The Space did not queue the job: {excerpt(str(joined), 120)}")
        state = EventState(event_id, major=config.major, base_url=self.base_url)
        finished = False
        try:
            async with self.request(
                "GET",
                config.url("/queue/data"),
                params={"session_hash": self.session_hash},
                headers={"Accept": "text/event-stream"},
                stream=True,
            ) as stream:
                async for batch in iter_sse_batches(stream.content.iter_any()):
                    for update in state.feed(batch):
                        if isinstance(update, Completed):
                            finished = True
                        yield update
                        if finished:
                            return
                    if state.closed:
                        break
            raise SpaceProtocolError(
                f"The Space at {self.base_url} closed the stream before the answer was complete"
            )
        except SpaceError:
            finished = True  # the job is over on the Space's side
            raise
        finally:
            if not finished:
                await self._cancel(config, endpoint, event_id)

    async def _cancel(self, config: SpaceConfig, endpoint: Endpoint, event_id: str) -> None:
        """Best effort: tell the Space to stop the job (the dropped stream does too)."""
        if self._session is None or self._session.closed:
            return
        body = {"session_hash": self.session_hash, "fn_index": endpoint.fn_index, "event_id": event_id}
        try:
            async with self._session.post(
                config.url("/cancel"),
                json=body,
                headers=self._headers(config.url("/cancel"), None),
                proxy=self.proxy,
                timeout=aiohttp.ClientTimeout(total=CANCEL_TIMEOUT),
                allow_redirects=False,
            ) as response:
                log.debug("Cancelled job %s at %s: %s", event_id, self.base_url, response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError, asyncio.CancelledError, OSError) as error:
            log.debug("Cancel of job %s at %s failed: %r", event_id, self.base_url, error)
