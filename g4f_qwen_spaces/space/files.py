"""Image files for a Space: validated bytes, safe names, bounded downloads, FileData.

Everything here is independent of g4f: collecting images from g4f's messages
and media list lives with the providers (``providers/media.py``). Image URLs
are fetched with what is left of the call's deadline, never sent the token,
refused on private networks (unless allowed), connected only to the
addresses that were checked, and read in bounded pieces.
"""
from __future__ import annotations

import asyncio
import io
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import aiohttp.abc

from .body import ACCEPT_ENCODING, Body
from .errors import SpaceInputError, SpaceLimitError, SpaceTimeoutError

__all__ = [
    "ImageFile",
    "download",
    "verify_image",
    "image_type",
    "file_data",
    "safe_name",
    "MAX_IMAGE_BYTES",
    "ALLOW_PRIVATE_URLS_ENV",
    "EXTENSIONS",
]

#: Largest image we upload (bytes); the Space's own ``max_file_size`` applies too.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: Set to ``1`` to allow image URLs on loopback/private networks (off by
#: default: a g4f API server must not fetch its own network for a client).
ALLOW_PRIVATE_URLS_ENV = "G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS"

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
#: One address as aiohttp's resolvers give it (a TypedDict from aiohttp 3.10 on).
ResolveResult = dict[str, Any]
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class ImageFile:
    """An image ready to upload: validated bytes, a safe file name, a MIME type."""

    data: bytes
    name: str
    mime: str

    def __repr__(self) -> str:
        return f"ImageFile(name={self.name!r}, mime={self.mime!r}, size={len(self.data)})"


def image_type(data: bytes) -> str | None:
    """The MIME type of an image a Space accepts, from its magic bytes; None otherwise."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def verify_image(data: bytes) -> None:
    """Reject a corrupt image (right magic bytes, broken body) before uploading it (in a thread)."""
    try:
        from PIL import Image
    except ImportError:  # pillow is optional; the Space will judge
        return
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as error:  # noqa: BLE001 - PIL raises many types
        raise SpaceInputError(f"The image is corrupt: {type(error).__name__}") from None


async def download(
    url: str,
    *,
    timeout: float,
    proxy: str | None = None,
    limit: int = MAX_IMAGE_BYTES,
) -> bytes:
    """The bytes at an image URL, within ``timeout`` seconds and ``limit`` bytes.

    The host is looked up once; every address is checked (unless private
    networks are allowed) and the connection may go only to those addresses
    (:class:`PinnedResolver`), so a DNS answer that changes between the check
    and the connect (rebinding) never reaches an address that was refused.
    Through a proxy, the proxy looks the name up; we still refuse what our
    own lookup finds private. The download has its own connection, closed
    after it: image hosts are not the Space and share nothing with it.
    """
    try:
        # The lookup is ours now, not aiohttp's: the deadline covers it too.
        return await asyncio.wait_for(_download(url, timeout, proxy, limit), timeout)
    except (asyncio.TimeoutError, TimeoutError) as error:
        raise SpaceTimeoutError(
            f"Downloading the image took longer than the {timeout:.3g} s left of the call's timeout"
        ) from error


async def _download(url: str, timeout: float, proxy: str | None, limit: int) -> bytes:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SpaceInputError(f"The image URL has an invalid port: {url!r:.100}") from None
    resolver = PinnedResolver(host, await checked_addresses(host, port))
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
    session = aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,  # Body decompresses, in bounded steps
        headers={"Accept-Encoding": ACCEPT_ENCODING},
    )
    try:
        async with session, session.get(
            url, proxy=proxy, timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False
        ) as response:
            if response.status != 200:
                raise SpaceInputError(f"The image URL answered {response.status}")
            data = bytearray()
            encoding = response.headers.get("Content-Encoding")
            body = Body(response.content.iter_any(), encoding, limit, "the image")
            async for piece in body:
                data += piece
            return bytes(data)
    except SpaceLimitError:
        raise SpaceInputError(f"The image is over the {limit:,}-byte limit") from None
    except aiohttp.ClientError as error:
        raise SpaceInputError(f"Cannot download the image: {type(error).__name__}") from error


async def checked_addresses(host: str, port: int) -> list[ResolveResult]:
    """One lookup of ``host``; every address must be public (SSRF), unless allowed."""
    if not host:  # ``http:///x.png``: nothing to look up (an empty name is not asked of DNS)
        raise SpaceInputError(f"Cannot resolve the image URL's host {host!r:.80}")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except OSError:
        raise SpaceInputError(f"Cannot resolve the image URL's host {host!r:.80}") from None
    allowed = os.environ.get(ALLOW_PRIVATE_URLS_ENV, "") == "1"
    results: list[ResolveResult] = []
    for family, _, proto, _, sockaddr in infos:
        text = str(sockaddr[0])
        if not allowed and not is_public(ipaddress.ip_address(text.split("%", 1)[0])):
            raise SpaceInputError(
                f"Image URLs on private or local networks are refused ({host:.80}); "
                f"set {ALLOW_PRIVATE_URLS_ENV}=1 to allow them"
            )
        results.append(
            {"hostname": host, "host": text, "port": port, "family": family, "proto": proto,
             "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV}
        )
    if not results:
        raise SpaceInputError(f"Cannot resolve the image URL's host {host!r:.80}")
    return results


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an image may be fetched from this address by default (a global one)."""
    return address.is_global


class PinnedResolver(aiohttp.abc.AbstractResolver):
    """Answers the checked addresses for the checked host, without a second lookup.

    Any other name (a proxy's) is looked up normally: only the image host is pinned.
    """

    def __init__(self, host: str, addresses: list[ResolveResult]) -> None:
        self._host = host
        self._addresses = addresses
        self._other = aiohttp.ThreadedResolver()

    async def resolve(  # type: ignore[override]  # aiohttp ≥ 3.10 names the dict type
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != self._host:
            return [dict(found) for found in await self._other.resolve(host, port, family)]
        wanted = [a for a in self._addresses if family in (socket.AF_UNSPEC, a["family"])]
        if not wanted:
            raise OSError(f"No checked address of {host!r:.80} for this address family")
        return [dict(a, port=port) for a in wanted]

    async def close(self) -> None:
        await self._other.close()


_UNSAFE = re.compile(r"[^\w.-]+")


def safe_name(name: str | None, mime: str) -> str:
    """A plain file name: no directories, no odd characters, the right extension."""
    extension = EXTENSIONS[mime]
    base = PurePath(str(name).replace("\\", "/")).name if name else ""
    stem, _, given = base.rpartition(".") if "." in base else (base, "", "")
    if given.lower() == "jpeg" and extension == "jpg":
        extension = "jpeg"  # keep the caller's spelling of the same type
    stem = _UNSAFE.sub("_", stem).strip("._")[:80] or "image"
    return f"{stem}.{extension}"


def file_data(path: str, image: ImageFile) -> dict[str, Any]:
    """Gradio's FileData for an uploaded file (``meta`` marks it as validated)."""
    return {
        "path": path,
        "orig_name": image.name,
        "size": len(image.data),
        "mime_type": image.mime,
        "meta": {"_type": "gradio.FileData"},
    }
