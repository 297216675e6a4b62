"""Images from g4f's requests, made ready for a Space with g4f's own helpers.

g4f hands providers images in many shapes: ``bytes``, file paths (``str`` or
``Path``), ``data:`` URIs, http(s) URLs, PIL images, file objects, and
OpenAI-style ``image_url`` content parts inside the messages. We reuse g4f's
``merge_media``, ``to_bytes``, ``is_accepted_format`` and
``extract_data_uri`` and keep the event loop free: disk and PIL work runs in
a thread, URLs are fetched by the Space client's bounded :func:`download`.
"""
from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote, urlsplit

from ..space.errors import SpaceInputError
from ..space.files import (
    EXTENSIONS,
    MAX_IMAGE_BYTES,
    ImageFile,
    download,
    image_type,
    safe_name,
    verify_image,
)
from ..space.http import SpaceHTTP

__all__ = ["collect_media", "load_image"]

def collect_media(media: Iterable[Any] | None, messages: list[dict[str, Any]]) -> list[tuple[Any, str | None]]:
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


def _merge_media(media: list[Any] | None, messages: list[dict[str, Any]]) -> Iterator[tuple[Any, str | None]]:
    buffer: list[Any] = []
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
    item: Any, name: str | None, http: SpaceHTTP, *, limit: int = MAX_IMAGE_BYTES
) -> ImageFile:
    """Read, validate and name one image; raise :class:`SpaceInputError` if unusable.

    A URL is fetched with what is left of the call's deadline.
    """
    if isinstance(item, dict):  # an OpenAI content part passed as media
        url = item.get("image_url", item.get("url"))
        item = url.get("url") if isinstance(url, dict) else url
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
    elif isinstance(item, str) and item.startswith(("http://", "https://")):
        data = await download(item, timeout=http.remaining(), proxy=http.proxy, limit=limit)
        name = name or PurePath(unquote(urlsplit(item).path)).name
    elif isinstance(item, str) and item.startswith("data:"):
        data = _from_data_uri(item)
    else:
        if isinstance(item, (str, os.PathLike)):
            name = name or os.path.basename(os.fspath(item))
        data = await asyncio.to_thread(_read_local, item, limit)
    if len(data) > limit:
        raise SpaceInputError(f"The image is {len(data):,} bytes; the limit is {limit:,} bytes")
    mime = _image_type(data)
    await asyncio.to_thread(verify_image, data)
    return ImageFile(data, safe_name(name, mime), mime)


def _image_type(data: bytes) -> str:
    from g4f.image import is_accepted_format

    try:
        mime: str | None = is_accepted_format(data)
    except ValueError:
        mime = None
    if mime not in EXTENSIONS:
        mime = image_type(data)
    if mime not in EXTENSIONS:
        raise SpaceInputError("The file is not an image this Space accepts (JPEG, PNG, GIF or WebP)")
    return mime


def _from_data_uri(uri: str) -> bytes:
    from g4f.image import extract_data_uri

    if not re.match(r"data:image/[\w.+-]+;base64,", uri[:64]):
        raise SpaceInputError("Only base64 data: URIs of images are accepted")
    try:
        return bytes(extract_data_uri(uri))
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
        return bytes(to_bytes(item))
    except (ValueError, TypeError, AttributeError, OSError) as error:
        raise SpaceInputError(f"Cannot read the image: {error}") from None


