"""Fixtures of the browser layer: g4f's own web front end in Debian's Chromium.

One ``g4f gui`` process (from the running environment, where the wheel is
installed, so the drop-in hook registers our providers), serving the pinned
front end from a temporary working directory, pointed at two local test Spaces:
QVQ on Gradio 5 running one job at a time (with a progress log), Qwen2 on
Gradio 4.  One headless Chromium; a fresh browser context per test.

These tests run on the newest g4f only (the front end is pinned against its
GUI backend); there, a missing Chromium, Playwright, npm or front end is a
failure, not a skip.
"""
from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.blocker import busy
from tests.browser.chat import (
    CDN_SCRIPTS,
    CHROMIUM_ARGS,
    NEWEST_G4F,
    NPM_PACKAGES,
    ChatPage,
    Router,
    chromium_path,
    front_end_dir,
    npm_dir,
)
from tests.dropin.harness import QVQ_URL_ENV, QWEN2_URL_ENV, G4fServer


def g4f_version() -> tuple:
    return tuple(int(p) for p in metadata.version("g4f").split(".")[:2] if p.isdigit())


def pytest_collection_modifyitems(config, items):
    """Mark this folder ``browser``; leave it out (with the reason) on older g4f."""
    here = Path(__file__).parent
    old = g4f_version() < NEWEST_G4F
    for item in items:
        if here not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if old:
            item.add_marker(pytest.mark.skip(reason=(
                f"browser tests run on the newest g4f only (>= {'.'.join(map(str, NEWEST_G4F))}; "
                f"this env has g4f {metadata.version('g4f')}): the pinned front end talks to that "
                f"GUI backend; older g4f keep the backend-level GUI tests in tests/dropin")))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, a screenshot of the page as it was, and its path in the report."""
    outcome = yield
    report = outcome.get_result()
    chat = item.funcargs.get("chat") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(chat, ChatPage):
        try:
            path = chat.screenshot("failure")
            text = f"screenshot: {path}"
        except Exception as error:  # noqa: BLE001 - the page may be gone
            text = f"no screenshot: {error!r}"
        print(text)
        report.sections.append(("browser", text + "\n--- page console (tail) ---\n"
                                + "\n".join(chat.console[-30:])))


# -- what the page needs -----------------------------------------------------------


@pytest.fixture(scope="session")
def front_end() -> Path:
    folder = front_end_dir()
    if not (folder / "chat" / "index.html").is_file():
        pytest.fail(f"g4f's pinned front end is missing at {folder} (set $G4FQS_G4F_GUI_DIR to the "
                    "folder holding g4f.dev/, or put shared/ beside the clone)")
    return folder


@pytest.fixture(scope="session")
def cdn_scripts() -> dict:
    """The two CDN scripts, from npm (installed here if .ci/run did not)."""
    root = npm_dir()
    files = {name: root / "node_modules" / rel for name, rel in CDN_SCRIPTS.items()}
    if not all(f.is_file() for f in files.values()):
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"npm is needed to install {' '.join(NPM_PACKAGES)} into {root}")
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".install.lock", "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            if not all(f.is_file() for f in files.values()):
                r = subprocess.run([npm, "install", "--prefix", str(root), "--cache", str(root / ".npm-cache"),
                                    "--no-audit", "--no-fund", *NPM_PACKAGES],
                                   capture_output=True, text=True, timeout=300)
                if r.returncode != 0:
                    pytest.fail(f"npm install failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        pytest.fail(f"npm did not install {missing}")
    return files


# Module scope, not session: while Playwright's sync API runs, its event loop
# counts as running in this thread, and pytest-asyncio could not run the async
# tests of later modules.
@pytest.fixture(scope="module")
def chromium(playwright_driver):
    path = chromium_path()
    if path is None:
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium): "
                    "the browser tests need it on the newest g4f")
    browser = playwright_driver.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def playwright_driver():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"Playwright for Python is missing (it is in the test extras): {error}")
    with sync_playwright() as driver:
        yield driver


# -- the Spaces and g4f's GUI -------------------------------------------------------------


class BrowserSpaces:
    """QVQ on Gradio 5 (one job at a time, progress logged) and Qwen2 on Gradio 4."""

    def __init__(self, qvq, qwen2, progress_log: Path) -> None:
        self.qvq, self.qwen2, self.progress_log = qvq, qwen2, progress_log

    @property
    def env(self) -> dict:
        return {QVQ_URL_ENV: self.qvq.url, QWEN2_URL_ENV: self.qwen2.url}

    def progress(self, marker: str) -> list[dict]:
        """The pieces the QVQ Space's generator produced for prompts containing ``marker``."""
        try:
            lines = self.progress_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [entry for entry in map(json.loads, lines) if marker in entry["text"]]


@pytest.fixture(scope="session")
def browser_spaces(gradio_server_factory, tmp_path_factory) -> BrowserSpaces:
    log = tmp_path_factory.mktemp("progress") / "qvq.jsonl"
    qvq_spec = ("qvq_space", "5", ("--concurrency", "1", "--progress-log", str(log)))
    qwen2_spec = ("qwen2_space", "4", ())
    gradio_server_factory.prefetch([qvq_spec, qwen2_spec])
    return BrowserSpaces(gradio_server_factory(qvq_spec[0], qvq_spec[1], *qvq_spec[2]),
                         gradio_server_factory(*qwen2_spec[:2]), log)


@pytest.fixture(scope="session")
def gui_server(front_end, browser_spaces):
    """``g4f gui --host 127.0.0.1 --port P`` of this environment, cwd holding ``g4f.dev/``."""
    venv = Path(sys.prefix)
    if not (venv / "bin" / "g4f").exists():
        pytest.fail(f"no g4f console script in {venv / 'bin'}")
    server = G4fServer(venv, "gui", browser_spaces.env)
    (server.tmp / "work" / "g4f.dev").symlink_to(front_end, target_is_directory=True)
    server.start()
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    yield server
    died = not server.alive
    server.stop()
    if died:
        raise AssertionError(f"{server.describe()} died during the tests\n{server.log_tail()}")


@pytest.fixture
def chat(chromium, gui_server, cdn_scripts, tmp_path):
    """A fresh browser context on the chat page; screenshots go to the test's tmp dir."""
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    router = Router(gui_server.url, cdn_scripts)
    context.route("**/*", router)
    page = ChatPage(context.new_page(), gui_server.url, tmp_path)
    page.router = router
    try:
        yield page.open()
    finally:
        context.close()


@pytest.fixture
def busy_qvq(browser_spaces, monkeypatch):
    """``busy_qvq(prompt)`` starts a caller that keeps the QVQ Space's only worker busy;
    ``busy_qvq(prompt, queued=True)`` one that waits in its queue."""
    from g4f_qwen_spaces import Qwen_QVQ_72B

    monkeypatch.setenv(Qwen_QVQ_72B.url_env, browser_spaces.qvq.url)
    with busy(Qwen_QVQ_72B) as start:
        yield start
