"""Parsed Space configs on disk, shared by every process that uses the same folder.

A new process (each ``g4f client`` call, each worker of a g4f API server)
would otherwise fetch a Space's ``/config`` before it can join the queue: one
more round trip, and on a real Space up to a few hundred KB, before the first
token. One small JSON file per Space URL keeps what :meth:`SpaceConfig.parse`
reads, so a warm process joins at once.

The files are untrusted input like the network: a bounded read, one format
marker, the URL checked, the age checked, the config validated by the same
parser as a live one. Anything else is ignored (and rewritten after the next
fetch). Writes are atomic (a temporary file, then :func:`os.replace`), so
workers sharing the folder never read half a file. Nothing secret is stored:
only the URL (which never carries credentials) and the Space's public config.

The methods do blocking file I/O on small files: a coroutine calls them
through ``asyncio.to_thread`` (see :class:`~.client.SpaceClient`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from .config import SpaceConfig
from .errors import SpaceError
from .redact import install_filter

__all__ = ["ConfigStore", "FORMAT", "MAX_FILE_BYTES", "MAX_AGE", "file_name"]

log = logging.getLogger("g4f_qwen_spaces")
install_filter(log)

#: The marker of our files: anything else in the folder is foreign.
FORMAT = "g4f-qwen-spaces/config/1"
#: The most read (and written) of one file: real configs are tens to hundreds of KB.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: How long a file is trusted without the Space disagreeing (a Space is rebuilt rarely;
#: a missing endpoint or a refused join drops it at once anyway).
MAX_AGE = 24 * 3600.0
#: Clock skew tolerated for a file "saved in the future" (another machine's clock on a share).
SKEW = 300.0


def file_name(base_url: str) -> str:
    """One file per base URL; the URL itself is inside the file and checked on load."""
    return hashlib.sha256(base_url.encode("utf-8")).hexdigest()[:32] + ".json"


class ConfigStore:
    """A folder of cached configs (created on the first write, mode 0700)."""

    def __init__(self, root: str | os.PathLike[str], *, max_age: float = MAX_AGE) -> None:
        self.root = Path(root)
        self.max_age = max_age

    def __repr__(self) -> str:
        return f"ConfigStore({str(self.root)!r})"

    def path(self, base_url: str) -> Path:
        return self.root / file_name(base_url)

    # -- reading ------------------------------------------------------------

    def load(self, base_url: str) -> SpaceConfig | None:
        """The cached config of ``base_url``, or None when absent, stale, corrupt or foreign."""
        raw = self._read(self.path(base_url))
        if raw is None:
            return None
        try:
            return self.validate(base_url, raw)
        except (SpaceError, ValueError, TypeError, KeyError, RecursionError) as error:
            log.debug("Ignoring the cached config of %s: %s", base_url, error)
            return None

    def validate(self, base_url: str, raw: bytes) -> SpaceConfig:
        """A cached file's config, or ValueError/SpaceError saying why it cannot be used."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a file of ours")
        if data.get("url") != base_url:
            raise ValueError("the file is for another URL")
        saved = data.get("saved")
        if isinstance(saved, bool) or not isinstance(saved, (int, float)):
            raise ValueError("no save time")
        age = time.time() - saved
        if not -SKEW <= age <= self.max_age:
            raise ValueError(f"saved {age:.0f} s ago")
        config = SpaceConfig.parse(base_url, data.get("config"))
        if not config.protocol.startswith("sse"):
            raise ValueError(f"protocol {config.protocol!r}")
        return config

    def _read(self, path: Path) -> bytes | None:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)
        except OSError:  # absent (the usual case), a symlink, unreadable
            return None
        try:
            file = os.fdopen(fd, "rb")  # refuses a folder (which os.open opens) without closing fd
        except OSError as error:
            os.close(fd)
            log.debug("Cannot read %s: %r", path, error)
            return None
        with file:
            try:
                data = file.read(MAX_FILE_BYTES + 1)
            except OSError as error:
                log.debug("Cannot read %s: %r", path, error)
                return None
        if len(data) > MAX_FILE_BYTES:
            log.debug("Ignoring %s: over %d bytes", path, MAX_FILE_BYTES)
            return None
        return data

    # -- writing ------------------------------------------------------------

    def save(self, config: SpaceConfig) -> bool:
        """Write ``config`` atomically; False (logged) when it cannot be written."""
        document: dict[str, Any] = {
            "format": FORMAT,
            "url": config.base_url,
            "saved": time.time(),
            "config": config.to_raw(),
        }
        try:
            data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as error:
            log.debug("Not caching the config of %s: %r", config.base_url, error)
            return False
        if len(data) > MAX_FILE_BYTES:
            log.debug("Not caching the config of %s: %d bytes", config.base_url, len(data))
            return False
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.root)
        except OSError as error:
            log.debug("Cannot write to %s: %r", self.root, error)
            return False
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path(config.base_url))
        except OSError as error:
            log.debug("Cannot write the config of %s: %r", config.base_url, error)
            _unlink(Path(temporary))
            return False
        return True

    def drop(self, base_url: str) -> None:
        """Forget ``base_url``'s file (the Space disagreed with it)."""
        _unlink(self.path(base_url))

    def clear(self) -> None:
        """Forget every file of ours in the folder."""
        try:
            names = os.listdir(self.root)
        except OSError:
            return
        for name in names:
            if len(name) == 37 and name.endswith(".json"):
                _unlink(self.root / name)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
