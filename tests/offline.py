"""Make g4f importable with no network, in folders of the test's own.

g4f 8.x fetches a live providers list when its provider machinery is first
imported and raises ``ConnectionError`` offline; it first looks for
``<G4F_CACHE_DIR>/.models/<YYYY-MM-DD>/providers.json``.
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path

PROVIDERS_JSON = {"providers": {"default": {"baseUrl": "http://127.0.0.1:9/v1"}}, "defaultModels": {}}


def prepare_g4f_home(home: Path) -> dict:
    """Create config/cache folders under ``home``; return the env vars to set."""
    config, cache = home / "config", home / "cache"
    config.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today()
    # Seed yesterday, today and tomorrow: a run that crosses midnight (or a
    # clock in another time zone than g4f's) still finds its file.
    for day in (today - datetime.timedelta(days=1), today, today + datetime.timedelta(days=1)):
        folder = cache / ".models" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "providers.json").write_text(json.dumps(PROVIDERS_JSON))
    return {
        "G4F_CONFIG_DIR": str(config),
        "G4F_CACHE_DIR": str(cache),
        "HF_HUB_OFFLINE": "1",
    }
