"""Test setup: g4f offline in throw-away folders, Gradio servers on 127.0.0.1.

This module runs before any test imports g4f: it points g4f's config and cache
folders at a temporary directory (never the developer's home) and seeds the
providers list that g4f 8.x would otherwise download at import.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.offline import prepare_g4f_home  # noqa: E402

G4F_HOME = Path(tempfile.mkdtemp(prefix="g4fqs-home-"))
atexit.register(shutil.rmtree, G4F_HOME, ignore_errors=True)
os.environ.update(prepare_g4f_home(G4F_HOME))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

pytest_plugins = ["tests.gradio_fixtures"]


import http.server  # noqa: E402
import threading  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def aiohttp_image_server():
    """A loopback HTTP server for image URLs: call it with (path, bytes) → URL."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def add(path: str, data: bytes) -> str:
        files[path] = data
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    yield add
    server.shutdown()
    server.server_close()


#: Fixtures that start real Gradio servers: a test using one is in the ``gradio`` layer.
GRADIO_FIXTURES = {"gradio_pool", "gradio_server_factory", "qvq_server", "qwen2_server", "qwen2_server_messages5"}


def pytest_collection_modifyitems(config, items):
    """Mark each test with its layer, so ``-m "not gradio and not dropin and not browser"`` is the fast one."""
    for item in items:
        if "dropin" in item.path.parts:
            item.add_marker(pytest.mark.dropin)
        if GRADIO_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gradio)
