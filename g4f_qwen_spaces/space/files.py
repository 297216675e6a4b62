"""Images from g4f's media list, made ready to upload to a Space.

g4f hands providers images in many shapes: ``bytes``, file paths (``str`` or
``Path``), ``data:`` URIs, http(s) URLs, PIL images, file objects, and
OpenAI-style ``image_url`` content parts inside the messages. We reuse g4f's
own helpers (``merge_media``, ``to_bytes``, ``is_accepted_format``) and keep
the event loop free: disk and PIL work runs in a thread, URLs are fetched
with aiohttp.
"""
from __future__ import annotations

import asyncio
import io
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import unquote, urlsplit

import aiohttp

from .errors import SpaceInputError

__all__ = ["ImageFile", "collect_media", "load_image", "file_data", "MAX_IMAGE_BYTES"]

#: Largest image we upload (bytes); the Space's own ``max_file_size`` applies too.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: Set to ``1`` to allow image URLs on loopback/private networks (off by
#: default: a g4f API server must not fetch its own network for a client).
ALLOW_PRIVATE_URLS_ENV = "G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS"

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


@dataclass(frozen=True)
class ImageFile:
    """An image ready to upload: validated bytes, a safe file name, a MIME type."""

    data: bytes
    name: str
    mime: str

    def __repr__(self) -> str:
        return f"ImageFile(name={self.name!r}, mime={self.mime!r}, size={len(self.data)})"


def collect_media(media: Optional[Iterable[Any]], messages: list) -> list[tuple[Any, Optional[str]]]:
    """All images of a request: ``image_url`` parts of the last user turn, then ``media``."""
    try:
        from g4f.tools.media import merge_media
    except ImportError:  # pragma: no cover - every supported g4f has it
        merge_media = _merge_media
    media = list(media) if media else None
    try:
        merged = list(merge_media(media, messages))
    except (AttributeError, TypeError):
        # g4f ≤ 7.5 reads image_url as a plain string and fails on OpenAI's
        # {"url": ...} form; the fallback reads both.
        merged = list(_merge_media(media, messages))
    items = []
    for item in merged:
        if isinstance(item, (list, tuple)):
            data, name = (item[0], item[1] if len(item) > 1 else None)
        else:
            data, name = item, None
        if data is None or (isinstance(data, (str, bytes)) and not data):
            continue
        items.append((data, name))
    return items


def _merge_media(media: Optional[list], messages: list) -> Iterator[tuple[Any, Optional[str]]]:
    buffer: list = []
    for message in messages:
        if message.get("role") != "user":
            buffer = []
            continue
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    url = part.get("image_url")
                    buffer.append((url.get("url") if isinstance(url, dict) else url, None))
    yield from buffer
    if media:
        yield from media


async def load_image(
    item: Any,
    name: Optional[str],
    session: aiohttp.ClientSession,
    *,
    proxy: Optional[str] = None,
    limit: int = MAX_IMAGE_BYTES,
    timeout: float = 30.0,
) -> ImageFile:
    """Read, validate and name one image; raise :class:`SpaceInputError` if unusable."""
    if isinstance(item, dict):  # an OpenAI content part passed as media
        url = item.get("image_url", item.get("url"))
        item = url.get("url") if isinstance(url, dict) else url
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
    elif isinstance(item, str) and item.startswith(("http://", "https://")):
        data = await _download(item, session, proxy=proxy, limit=limit, timeout=timeout)
        name = name or PurePath(unquote(urlsplit(item).path)).name
    elif isinstance(item, str) and item.startswith("data:"):
        data = _from_data_uri(item)
    else:
        if isinstance(item, (str, os.PathLike)):
            name = name or os.path.basename(os.fspath(item))
        data = await asyncio.to_thread(_read_local, item, limit)
    if len(data) > limit:
        raise SpaceInputError(
            f"The image is {len(data):,} bytes; the limit is {limit:,} bytes"
        )
    mime = _image_type(data)
    await asyncio.to_thread(_verify, data)
    return ImageFile(data, safe_name(name, mime), mime)


def _image_type(data: bytes) -> str:
    from g4f.image import is_accepted_format

    try:
        mime = is_accepted_format(data)
    except ValueError:
        mime = None
    if mime not in _EXTENSIONS:
        raise SpaceInputError(
            "The file is not an image this Space accepts (JPEG, PNG, GIF or WebP)"
        )
    return mime


def _verify(data: bytes) -> None:
    """Reject a corrupt image (right magic bytes, broken body) before uploading it."""
    try:
        from PIL import Image
    except ImportError:  # pillow is optional for g4f; the Space will judge
        return
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as error:  # noqa: BLE001 - PIL raises many types
        raise SpaceInputError(f"The image is corrupt: {type(error).__name__}") from None


def _from_data_uri(uri: str) -> bytes:
    from g4f.image import extract_data_uri

    if not re.match(r"data:image/[\w.+-]+;base64,", uri[:64]):
        raise SpaceInputError("Only base64 data: URIs of images are accepted")
    try:
        return extract_data_uri(uri)
    except ValueError as error:
        raise SpaceInputError(f"The data: URI is not valid base64: {error}") from None


def _read_local(item: Any, limit: int) -> bytes:
    """Paths, PIL images and file objects (PIL and files through g4f's ``to_bytes``); in a thread."""
    from g4f.image import to_bytes

    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if not os.path.isfile(path):
            raise SpaceInputError(f"Image file not found: {path!r:.120}")
        if os.path.getsize(path) > limit:
            raise SpaceInputError(
                f"The image is {os.path.getsize(path):,} bytes; the limit is {limit:,} bytes"
            )
        with open(path, "rb") as file:  # older g4f's to_bytes does not read paths
            return file.read()
    if getattr(item, "format", "") is None and hasattr(item, "save"):
        # A PIL image made in memory has no format for to_bytes to reuse.
        buffer = io.BytesIO()
        item.save(buffer, "PNG")
        return buffer.getvalue()
    try:
        return to_bytes(item)
    except (ValueError, TypeError, AttributeError, OSError) as error:
        raise SpaceInputError(f"Cannot read the image: {error}") from None


async def _download(
    url: str, session: aiohttp.ClientSession, *, proxy: Optional[str], limit: int, timeout: float
) -> bytes:
    await _check_public(url)
    try:
        async with session.get(
            url, proxy=proxy, timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False
        ) as response:
            if response.status != 200:
                raise SpaceInputError(f"The image URL answered {response.status}")
            if (response.content_length or 0) > limit:
                raise SpaceInputError(f"The image is over the {limit:,}-byte limit")
            data = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                data += chunk
                if len(data) > limit:
                    raise SpaceInputError(f"The image is over the {limit:,}-byte limit")
            return bytes(data)
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        raise SpaceInputError(f"Cannot download the image: {type(error).__name__}") from None


async def _check_public(url: str) -> None:
    """Refuse URLs that resolve to loopback/private addresses (SSRF), unless allowed."""
    if os.environ.get(ALLOW_PRIVATE_URLS_ENV, "") == "1":
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        raise SpaceInputError(f"Cannot resolve the image URL's host {host!r}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise SpaceInputError(
                f"Image URLs on private or local networks are refused ({host}); "
                f"set {ALLOW_PRIVATE_URLS_ENV}=1 to allow them"
            )


_UNSAFE = re.compile(r"[^\w.-]+")


def safe_name(name: Optional[str], mime: str) -> str:
    """A plain file name: no directories, no odd characters, the right extension."""
    extension = _EXTENSIONS[mime]
    base = PurePath(str(name).replace("\\", "/")).name if name else ""
    stem, _, given = base.rpartition(".") if "." in base else (base, "", "")
    if given.lower() == "jpeg" and extension == "jpg":
        extension = "jpeg"  # keep the caller's spelling of the same type
    stem = _UNSAFE.sub("_", stem).strip("._")[:80] or "image"
    return f"{stem}.{extension}"


def file_data(path: str, image: ImageFile) -> dict:
    """Gradio's FileData for an uploaded file (``meta`` marks it as validated)."""
    return {
        "path": path,
        "orig_name": image.name,
        "size": len(image.data),
        "mime_type": image.mime,
        "meta": {"_type": "gradio.FileData"},
    }
