"""Response bodies read in bounded pieces, decompressed by us.

aiohttp's own decompression inflates a whole network chunk at once (a 1 MB
gzip chunk can become a GiB), and older aiohttp releases have no bound at
all. So sessions are opened with ``auto_decompress=False`` and bodies pass
through :class:`Inflater`, which never produces more than :data:`PIECE`
bytes per step, and :func:`iter_body`, which counts the decompressed bytes
against a limit. ``Content-Length`` is never trusted.
"""
from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .errors import SpaceLimitError, SpaceProtocolError, excerpt

__all__ = ["Inflater", "Body", "read_body", "ACCEPT_ENCODING", "PIECE"]

#: What we ask for: the encodings :class:`Inflater` reads.
ACCEPT_ENCODING = "gzip, deflate"
#: Largest piece of output per decompression step.
PIECE = 256 * 1024


class Inflater:
    """Incremental, bounded-step decoding of one ``Content-Encoding``."""

    def __init__(self, encoding: str | None, url: str = "") -> None:
        self._where = f"The Space at {url}" if url else "The Space"
        self._url = url or None
        coding = (encoding or "identity").strip().lower()
        self._raw_deflate_tried = False
        self._deflate = coding == "deflate"
        self.compressed = coding not in ("identity", "")
        if not self.compressed:
            self._decoder: Any | None = None
        elif coding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise SpaceProtocolError(
                f"{self._where} sent an encoding this client did not ask for: {excerpt(coding, 40)}",
                url=url or None,
            )

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``chunk``, each at most :data:`PIECE` bytes."""
        if self._decoder is None:
            yield chunk
            return
        if self._decoder.eof:
            return  # trailing bytes after the stream end are ignored
        data = chunk
        while data:
            try:
                piece = self._decoder.decompress(data, PIECE)
            except zlib.error as error:
                if self._deflate and not self._raw_deflate_tried:
                    # "deflate" is sent both zlib-wrapped and raw in the wild.
                    self._raw_deflate_tried = True
                    self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise SpaceProtocolError(
                    f"{self._where} sent a corrupt compressed body: {error}", url=self._url
                ) from error
            self._raw_deflate_tried = True
            data = self._decoder.unconsumed_tail
            if piece:
                yield piece
            if self._decoder.eof:
                return  # trailing bytes after the stream end are ignored

    def finish(self) -> Iterator[bytes]:
        """What is left at the end of the body; a truncated compressed stream is an error."""
        if self._decoder is not None and not self._decoder.eof:
            rest = self._decoder.flush(PIECE)
            if rest:
                yield rest
            if not self._decoder.eof:
                raise SpaceProtocolError(f"{self._where} sent a truncated compressed body", url=self._url)


class Body:
    """``async for piece in Body(...)``: decoded pieces, counted against ``limit``.

    A class, not an async generator, so event-loop shutdown cannot finalise
    it out of order; on the hot path (an uncompressed event stream) it costs
    one addition and one comparison per network chunk.
    """

    __slots__ = ("_chunks", "_inflater", "_pieces", "_done", "limit", "what", "url", "total")

    def __init__(
        self, chunks: AsyncIterator[bytes], encoding: str | None, limit: int, what: str, *, url: str = ""
    ) -> None:
        self._chunks = chunks.__aiter__()
        inflater = Inflater(encoding, url)
        self._inflater: Inflater | None = inflater if inflater.compressed else None
        self._pieces: Iterator[bytes] = iter(())
        self._done = False
        self.limit = limit
        self.what = what
        self.url = url
        self.total = 0

    def __aiter__(self) -> Body:
        return self

    async def __anext__(self) -> bytes:
        while True:
            piece = next(self._pieces, None)
            if piece is None:
                if self._done:
                    raise StopAsyncIteration
                try:
                    piece = await self._chunks.__anext__()
                except StopAsyncIteration:
                    self._done = True
                    if self._inflater is None:
                        raise
                    self._pieces = self._inflater.finish()
                    continue
                if self._inflater is not None:
                    self._pieces = self._inflater.feed(piece)
                    continue
            self.total += len(piece)
            if self.total > self.limit:
                raise _over(self.what, self.limit, self.url)
            return piece


async def read_body(
    chunks: AsyncIterator[bytes], encoding: str | None, limit: int, what: str,
    *, url: str = "", truncate: bool = False,
) -> bytes:
    """A whole body up to ``limit`` bytes; past it an error, or with ``truncate`` its head."""
    body = bytearray()
    pieces = Body(chunks, encoding, limit if not truncate else limit + PIECE * 2, what, url=url)
    async for piece in pieces:
        body += piece
        if truncate and len(body) >= limit:
            del body[limit:]
            break
        if len(body) > limit:
            raise _over(what, limit, url)
    return bytes(body)


def _over(what: str, limit: int, url: str) -> SpaceLimitError:
    return SpaceLimitError(
        f"The Space at {url} sent more than the {_size(limit)} allowed for {what}"
        if url else f"The Space sent more than the {_size(limit)} allowed for {what}",
        what,
        url=url or None,
    )


def _size(count: int) -> str:
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"
