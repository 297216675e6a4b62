"""Image files for a Space: validated bytes, safe names, bounded downloads, FileData.

Everything here is independent of g4f: collecting images from g4f's messages
and media list lives with the providers (``providers/media.py``). Image URLs
are fetched with the call's session and what is left of its deadline, never
sent the token, refused on private networks (unless allowed), and read in
bounded pieces.
"""
from __future__ import annotations

import asyncio
import io
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .body import Body
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
    session: aiohttp.ClientSession,
    *,
    timeout: float,
    proxy: str | None = None,
    limit: int = MAX_IMAGE_BYTES,
) -> bytes:
    """The bytes at an image URL, within ``timeout`` seconds and ``limit`` bytes."""
    await _check_public(url)
    try:
        async with session.get(
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
    except (asyncio.TimeoutError, TimeoutError) as error:
        raise SpaceTimeoutError(
            f"Downloading the image took longer than the {timeout:.3g} s left of the call's timeout"
        ) from error
    except aiohttp.ClientError as error:
        raise SpaceInputError(f"Cannot download the image: {type(error).__name__}") from error


async def _check_public(url: str) -> None:
    """Refuse URLs that resolve to loopback/private addresses (SSRF), unless allowed."""
    if os.environ.get(ALLOW_PRIVATE_URLS_ENV, "") == "1":
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        raise SpaceInputError(f"Cannot resolve the image URL's host {host!r:.80}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise SpaceInputError(
                f"Image URLs on private or local networks are refused ({host:.80}); "
                f"set {ALLOW_PRIVATE_URLS_ENV}=1 to allow them"
            )


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
