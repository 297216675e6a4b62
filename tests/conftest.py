"""Test setup: g4f offline in throw-away folders, Gradio servers on 127.0.0.1.

This module runs before any test imports g4f: it points g4f's config and cache
folders at a temporary directory (never the developer's home) and seeds the
providers list that g4f 8.x would otherwise download at import.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.offline import prepare_g4f_home  # noqa: E402

G4F_HOME = Path(tempfile.mkdtemp(prefix="g4fqs-home-"))
os.environ.update(prepare_g4f_home(G4F_HOME))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

pytest_plugins = ["tests.gradio_fixtures"]
