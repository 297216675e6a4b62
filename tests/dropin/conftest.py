"""Fixtures of the drop-in layer: the built wheel in fresh venvs, g4f's own servers.

Every test in this folder is marked ``dropin`` (tests/conftest.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dropin.harness import (
    PLUGIN_PACKAGES,
    QVQ_URL_ENV,
    QWEN2_URL_ENV,
    G4fServer,
    Prefetch,
    editable_venv,
    fresh_venv,
    start_servers,
)


@dataclass
class Spaces:
    """The local Gradio servers the providers are pointed at."""

    qvq: object
    qwen2: object

    @property
    def env(self) -> dict:
        return {QVQ_URL_ENV: self.qvq.url, QWEN2_URL_ENV: self.qwen2.url}


#: QVQ runs one job at a time, so a test can make it busy (test_gui_status.py).
QVQ_SPEC = ("qvq_space", "5", ("--concurrency", "1"))
QWEN2_SPEC = ("qwen2_space", "4", ())


@pytest.fixture(scope="session")
def spaces(gradio_server_factory) -> Spaces:
    """QVQ on Gradio 5 (one job at a time) and Qwen2 on Gradio 4 (tuples chatbot)."""
    gradio_server_factory.prefetch([QVQ_SPEC, QWEN2_SPEC])
    return Spaces(gradio_server_factory(QVQ_SPEC[0], QVQ_SPEC[1], *QVQ_SPEC[2]),
                  gradio_server_factory(QWEN2_SPEC[0], QWEN2_SPEC[1], *QWEN2_SPEC[2]))


def _wanted(session) -> tuple[bool, bool]:
    """Do the collected tests need the plugins venv / the editable venv?"""
    items = getattr(session, "items", ()) or ()
    plugins = any("plugins_venv" in getattr(item, "fixturenames", ()) for item in items)
    editable = any("editable" in item.name for item in items)
    return plugins, editable


@pytest.fixture(scope="session")
def dropin_venv(request, gradio_server_factory) -> Path:
    """The wheel + g4f under test in a fresh (cached) venv.  Starts the Gradio
    servers first, and afterwards builds the other venvs the collected tests
    need in the background, so the waits overlap."""
    gradio_server_factory.prefetch([QVQ_SPEC, QWEN2_SPEC])
    venv = fresh_venv()
    prefetch = Prefetch()
    plugins, editable = _wanted(request.session)
    if os.environ.get("G4FQS_DROPIN_PREFETCH", "1") == "0":
        plugins = editable = False
    if plugins:
        prefetch.start(fresh_venv, plugins=PLUGIN_PACKAGES)
    if editable:
        prefetch.start(editable_venv)
    request.addfinalizer(prefetch.join)
    return venv


@pytest.fixture(scope="session")
def plugins_venv(dropin_venv) -> Path:
    """The wheel plus two third-party plugin packages (tests/plugins)."""
    return fresh_venv(plugins=PLUGIN_PACKAGES)


@pytest.fixture(scope="session")
def g4f_servers(dropin_venv, spaces):
    """``g4f gui`` and ``g4f api`` of the drop-in venv (started together)."""
    servers = start_servers(dropin_venv, ("gui", "api"), spaces.env)
    yield servers
    for server in servers.values():
        died = not server.alive
        server.stop()
        if died:  # pragma: no cover - shown in the teardown error
            raise AssertionError(f"{server.describe()} died during the tests\n{server.log_tail()}")


@pytest.fixture(scope="session")
def gui(g4f_servers) -> G4fServer:
    return g4f_servers["gui"]


@pytest.fixture(scope="session")
def api(g4f_servers) -> G4fServer:
    return g4f_servers["api"]


@pytest.fixture
def busy_qvq(spaces, monkeypatch):
    """``busy_qvq(prompt)`` starts a caller (in this process) that keeps the QVQ
    Space's only worker busy until released; every one is released at the end."""
    from g4f_qwen_spaces import Qwen_QVQ_72B
    from tests.blocker import busy

    monkeypatch.setenv(Qwen_QVQ_72B.url_env, spaces.qvq.url)
    with busy(Qwen_QVQ_72B) as start:
        yield start
