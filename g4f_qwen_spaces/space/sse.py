"""Server-sent events from a byte stream, with our own bound per event.

aiohttp's ``async for line in resp.content`` raises ``LineTooLong`` past
512 KiB, and one Gradio event carrying a long chat history can exceed that.
So we read raw chunks and cut events on blank lines ourselves, refusing an
event (or a run of bytes with no blank line) longer than ``max_event``.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .errors import SpaceLimitError, SpaceProtocolError, excerpt

__all__ = ["SSEParser", "SSEBatches", "iter_sse_batches", "decode_json"]


_NEWLINES = re.compile(rb"\n+")
#: Events in a row with no ``data`` (comments, bare fields) before we give up.
MAX_EMPTY_EVENTS = 10_000
#: How much of a stream's start is kept: what a stream that was not one (an HTML page) said.
HEAD_BYTES = 8 * 1024


class SSEParser:
    """Incremental parser: feed bytes, get the ``data:`` payloads of complete events.

    Only the ``data`` field matters for Gradio (``event:`` lines are used by
    ``/call``, which we do not stream from); comments and other fields are
    skipped. Each event's data lines are joined with ``\\n`` per the SSE spec.
    """

    __slots__ = ("_buffer", "_scanned", "max_event", "_empty", "head")

    def __init__(self, max_event: int = 16 * 1024 * 1024) -> None:
        self.max_event = max_event
        self._empty = 0  # events in a row without data (Gradio never sends one)
        self._buffer = bytearray()
        # Where to resume searching for the separator, so a huge event that
        # arrives in many chunks is scanned once, not once per chunk.
        self._scanned = 0
        #: The stream's first bytes (up to :data:`HEAD_BYTES`), to say what a stream that
        #: ended without a single event was instead.
        self.head = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add a chunk; return the data payloads of the events it completed."""
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        buffer = self._buffer
        split_crlf = buffer[-1:] == b"\r"  # a CRLF cut between two chunks
        buffer += chunk
        if split_crlf or b"\r" in chunk:
            # Gradio sends LF only; normalise CRLF so one code path serves all.
            start = max(self._scanned - 1, 0)
            buffer[start:] = buffer[start:].replace(b"\r\n", b"\n")
        payloads: list[bytes] = []
        start = 0
        # Two back: a "\r" that ended the last chunk may have become the "\n" of a pair.
        search = max(self._scanned - 2, 0)
        while True:
            if buffer[start : start + 1] == b"\n":
                # Blank lines between events (or a flood of them): skipped at C speed.
                start = search = _NEWLINES.match(buffer, start).end()  # type: ignore[union-attr]
            end = buffer.find(b"\n\n", search)
            if end < 0:
                break
            if end - start > self.max_event:
                self._buffer = bytearray()
                raise self._too_long()
            if buffer.startswith(b"data: ", start) and buffer.find(b"\n", start, end) < 0:
                payloads.append(buffer[start + 6 : end])  # type: ignore[arg-type]  # bytes-like: the common case
                if self._empty:
                    self._empty = 0  # data ends a run of events without it, on this path too
            else:
                data = _event_data(bytes(buffer[start:end]))
                if data is not None:
                    payloads.append(data)
                    self._empty = 0
                else:
                    self._empty += 1
                    if self._empty > MAX_EMPTY_EVENTS:
                        self._buffer = bytearray()
                        raise SpaceLimitError(
                            f"The Space sent over {MAX_EMPTY_EVENTS:,} events in a row without data",
                            "events without data",
                        )
            start = search = end + 2
        if start:
            del buffer[:start]
        self._scanned = len(buffer)
        if self._scanned > self.max_event:
            self._buffer = bytearray()
            raise self._too_long()
        return payloads

    def _too_long(self) -> SpaceLimitError:
        return SpaceLimitError(
            f"The Space sent an event longer than the {self.max_event:,} bytes allowed", "one event"
        )

    def close(self) -> bytes | None:
        """End of stream: the data of a final event with no trailing blank line."""
        rest = bytes(self._buffer).strip(b"\n")
        self._buffer.clear()
        self._scanned = 0
        return _event_data(rest) if rest else None

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete event."""
        return len(self._buffer)


def _event_data(block: bytes) -> bytes | None:
    lines = []
    for line in block.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(b" ") else value)
    return b"\n".join(lines) if lines else None


def decode_json(payload: bytes | bytearray | str) -> Any:
    """JSON-decode one event, raising a protocol error with a short excerpt."""
    try:
        # Decoding first skips json's encoding sniffing; Gradio sends UTF-8.
        return json.loads(payload.decode("utf-8") if not isinstance(payload, str) else payload)
    except ValueError:  # includes UnicodeDecodeError
        raise SpaceProtocolError(f"Malformed event from the Space: {excerpt(payload)}") from None
    except RecursionError:
        raise SpaceProtocolError("The Space sent an event nested too deeply") from None


class SSEBatches:
    """Per network read, the data payloads (undecoded) of the events it completed.

    Batching per read lets the caller emit one text chunk for everything that
    arrived together instead of paying g4f's per-chunk cost per token.
    Payloads are decoded by the caller one by one, so a malformed event does
    not hide the good ones that arrived with it. A class, not an async
    generator, so event-loop shutdown cannot finalise it out of order.
    """

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        *,
        max_event: int = 16 * 1024 * 1024,
        check: Callable[[], object] | None = None,
    ) -> None:
        self._chunks = chunks.__aiter__()
        self._parser = SSEParser(max_event)
        self._done = False
        # Called before each read (the deadline): decompressed data can be
        # ready without waiting, and then no socket timeout would ever fire.
        self._check = check

    def __aiter__(self) -> SSEBatches:
        return self

    @property
    def head(self) -> bytes:
        """The stream's first bytes (see :attr:`SSEParser.head`)."""
        return self._parser.head

    async def __anext__(self) -> list[bytes]:
        while not self._done:
            if self._check is not None:
                self._check()
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._done = True
                last = self._parser.close()
                if last is not None:
                    return [last]
                break
            payloads = self._parser.feed(chunk)
            if payloads:
                return payloads
            await asyncio.sleep(0)  # let other requests run while a big event arrives
        raise StopAsyncIteration


iter_sse_batches = SSEBatches


def iter_sse(data: bytes) -> Iterator[Any]:
    """Parse a complete SSE body (tests, diagnostics)."""
    parser = SSEParser()
    for payload in parser.feed(data):
        yield decode_json(payload)
    last = parser.close()
    if last is not None:
        yield decode_json(last)
