"""Where the Space configs are kept on disk: a folder of ours in g4f's cache directory.

g4f names its cache directory differently across releases: 8.8.x has
``g4f.config.get_cache_dir()`` (``G4F_CACHE_DIR``, else ``<config>/cache``);
earlier releases have no helper but the same ``CONFIG_DIR``. The Space
client takes a plain path (it knows nothing of g4f).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..space.store import ConfigStore

__all__ = ["cache_dir", "config_store", "SUBFOLDER"]

SUBFOLDER = "g4f_qwen_spaces"


def cache_dir() -> Path | None:
    """g4f's cache directory (not created here), or None when none can be named.

    No I/O: ``get_cache_dir()`` of g4f 8.8 creates the folder, so its rule
    is followed rather than called (``G4F_CACHE_DIR``, else ``<config dir>/cache``).
    """
    override = os.environ.get("G4F_CACHE_DIR", "").strip()
    if override:
        return Path(override).expanduser()
    try:
        from g4f import config as g4f_config
    except ImportError:  # pragma: no cover - g4f is a dependency
        return None
    folder = getattr(g4f_config, "CACHE_DIR", None) or _under_config(g4f_config)
    return Path(folder) if folder else None


def _under_config(g4f_config: object) -> Path | None:
    config_dir = getattr(g4f_config, "CONFIG_DIR", None)
    return Path(config_dir) / "cache" if config_dir else None


def config_store() -> ConfigStore | None:
    """The disk store of parsed Space configs, under g4f's cache directory."""
    folder = cache_dir()
    return ConfigStore(folder / SUBFOLDER) if folder is not None else None
