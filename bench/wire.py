"""Bytes on the wire: our queue/data path versus Gradio's /call path.

A loopback TCP proxy counts every byte the server sends to the client
(headers included), so both paths are measured the same physical way.
"""
from __future__ import annotations

import asyncio
import json
from typing import Awaitable, Callable

import aiohttp


class Relay:
    """Forwards 127.0.0.1:<port> to the server; a subclass's ``_handle`` pipes each connection."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = None

    async def __aenter__(self):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader, writer) -> None:
        raise NotImplementedError


class CountingProxy(Relay):
    """Forwards 127.0.0.1:<port> to the server and counts server→client bytes."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.down = 0
        self.up = 0

    async def _handle(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src, dst, downstream: bool) -> None:
            try:
                while data := await src.read(65536):
                    if downstream:
                        self.down += len(data)
                    else:
                        self.up += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))

    def reset(self) -> None:
        self.down = self.up = 0


async def measure(proxy: CountingProxy, run: Callable[[str], Awaitable[str]]) -> tuple[int, str]:
    proxy.reset()
    text = await run(proxy.url)
    await asyncio.sleep(0.05)  # let the proxy count the last bytes
    return proxy.down, text


async def via_call(base: str, api_prefix: str, api_name: str, data: list) -> str:
    """Gradio's REST /call API: every 'generating' event resends the full output."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}{api_prefix}/call/{api_name}", json={"data": data}) as response:
            event_id = (await response.json())["event_id"]
        final = None
        async with session.get(f"{base}{api_prefix}/call/{api_name}/{event_id}") as response:
            event = None
            async for line in response.content:
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "complete":
                    final = json.loads(line[6:])
                    break
        return final


class DelayRelay(Relay):
    """Forwards 127.0.0.1:<port> to the server, holding every piece ``delay`` seconds each way.

    With ``delay=0.05`` each request/answer round trip takes 100 ms longer,
    like a client far from the Space; pieces keep their order and overlap
    (latency, not bandwidth).
    """

    def __init__(self, target_port: int, delay: float = 0.05) -> None:
        super().__init__(target_port)
        self.delay = delay

    def due(self, now: float, opened: float, upstream: bool) -> float:
        """When a piece read at ``now`` is passed on (``opened``: when the connection came)."""
        return now + self.delay

    async def _handle(self, reader, writer) -> None:
        loop = asyncio.get_running_loop()
        opened = loop.time()
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src, dst, upstream: bool) -> None:
            queue: asyncio.Queue = asyncio.Queue()

            async def deliver() -> None:
                while (item := await queue.get()) is not None:
                    due, data = item
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    dst.write(data)
                    await dst.drain()

            sender = asyncio.ensure_future(deliver())
            try:
                while data := await src.read(65536):
                    queue.put_nowait((self.due(loop.time(), opened, upstream), data))
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                queue.put_nowait(None)
                try:
                    await sender
                except ConnectionError:
                    pass
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        except asyncio.CancelledError:
            pass  # the bench is over (Python 3.11 would log a cancelled handler as an error)
