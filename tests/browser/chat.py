"""Drive g4f's web front end (the pinned copy in ``../shared/g4f-gui``) with Playwright.

Nothing here imports g4f or this package: the page talks to a real ``g4f gui``
process; this module only knows the page (see ../shared/g4f-gui/README.md for
the selectors) and which files the page may load.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Without the background-networking flags Chromium tries hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The two CDN scripts the chat page cannot do without: requested file name -> file in node_modules.
CDN_SCRIPTS = {
    "markdown-it.min.js": "markdown-it/dist/browser/markdown-it.umd.min.js",
    "jsencrypt.min.js": "jsencrypt/bin/jsencrypt.min.js",
}
NPM_PACKAGES = ("markdown-it", "jsencrypt")

#: The front end was pinned against this g4f's GUI backend (g4f.dev of 2026-08).
NEWEST_G4F = (8, 8)

#: What the model select holds once the page has loaded a provider's models
#: (the first of each provider's ``models``, its default).
DEFAULT_MODELS = {"Qwen_QVQ_72B": "qwen-qvq-72b-preview", "Qwen_Qwen_2_72B": "qwen-qwen2-72b-instruct"}

#: The chat front end refuses a second Enter within 3 s of the last one (``prompt_lock``).
PROMPT_LOCK = 3.0


#: The answer bubbles (the user's have ``.user`` instead of ``.assistant``).
_ASSISTANTS = "[...document.querySelectorAll('.message')].filter(m => m.querySelector(':scope > .assistant'))"

#: The last answer bubble as {text, status, provider}: the status line (a
#: ``Reasoning`` status) apart from the text, whitespace collapsed as shown.
_LAST_BUBBLE = f"""() => {{
    const flat = t => (t || '').replace(/\\s+/g, ' ').trim();
    const all = {_ASSISTANTS};
    const last = all[all.length - 1];
    if (!last) return null;
    const inner = last.querySelector('.content_inner');
    const title = inner && inner.querySelector('.reasoning_title');
    const parts = inner ? [...inner.childNodes].filter(n => !(n.classList && n.classList.contains('reasoning_body')))
                              .map(n => n.nodeType === 1 ? n.innerText : n.textContent) : [];
    return {{text: flat(parts.join(' ')), status: title ? flat(title.innerText) : null,
             provider: flat(last.querySelector('.provider')?.innerText)}};
}}"""


@dataclass(frozen=True)
class Bubble:
    """What one answer bubble shows."""

    text: str
    status: str | None
    provider: str

    @property
    def error(self) -> str | None:
        """The page's error line (``An error occurred: ...``), if the answer failed."""
        return self.text if self.text.startswith("An error occurred:") else None


def front_end_dir() -> Path:
    """``$G4FQS_G4F_GUI_DIR`` or ``<repo>/../shared/g4f-gui`` (CI copies shared/ beside the clone)."""
    root = os.environ.get("G4FQS_G4F_GUI_DIR") or (REPO.parent / "shared" / "g4f-gui")
    return Path(root).expanduser().resolve() / "g4f.dev"


def npm_dir() -> Path:
    """Where ``npm install`` put the CDN scripts: ``$G4FQS_NPM_DIR`` or ``<repo>/.cache/npm``."""
    root = os.environ.get("G4FQS_NPM_DIR") or (REPO / ".cache" / "npm")
    return Path(root).expanduser().resolve()


def chromium_path() -> str | None:
    return shutil.which("chromium")


class Router:
    """Playwright request routing: the GUI's own address passes, the two CDN
    scripts come from disk, everything else is aborted (and remembered)."""

    def __init__(self, gui_url: str, scripts: dict[str, Path]) -> None:
        self.gui_url = gui_url
        self.scripts = scripts
        self.aborted: list[str] = []
        self.served: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        if url.startswith(self.gui_url + "/") or url == self.gui_url:
            route.continue_()
            return
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        if name in self.scripts:
            self.served.append(name)
            route.fulfill(path=str(self.scripts[name]), content_type="application/javascript")
            return
        self.aborted.append(url)
        route.abort()


class ChatPage:
    """The chat page of one browser context, with the few actions the tests need."""

    def __init__(self, page, gui_url: str, shots: Path) -> None:
        self.page = page
        self.gui_url = gui_url
        self.shots = shots
        self._last_send = 0.0
        self.console: list[str] = []
        self.router: Router | None = None  #: set by the fixture that routes the context
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def open(self) -> ChatPage:
        self.page.goto(self.gui_url + "/chat/", wait_until="domcontentloaded")
        # filled from /backend-api/v2/providers once the page's scripts ran
        self.page.wait_for_function(
            "document.querySelectorAll('#provider option[value=Qwen_Qwen_2_72B]').length > 0",
            timeout=30_000,
        )
        return self

    def pick(self, provider: str) -> None:
        """Choose ``provider`` in the dropdown and wait until the page has loaded
        its models: the model select then holds the provider's default model.

        The page loads them with a request of its own after the change event; a
        message sent before that goes out with the previous provider's model
        (or none), and the bubble's label then lacks "with <model>"."""
        self.page.select_option("#provider", provider)
        assert self.page.eval_on_selector("#provider", "el => el.value") == provider
        model = DEFAULT_MODELS[provider]
        self.page.wait_for_function(
            "m => document.getElementById('model').value === m", arg=model, timeout=30_000)

    def ask(self, text: str) -> None:
        """Type ``text`` into the message box and press Enter, as a person does;
        returns once the page has opened the answer's bubble."""
        wait = self._last_send + PROMPT_LOCK + 0.1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        before = self.answer_count()
        self.page.fill("#userInput", text)
        self.page.press("#userInput", "Enter")
        self._last_send = time.monotonic()
        self.page.wait_for_function(f"({_ASSISTANTS}).length > {before}", timeout=10_000)

    def answer_count(self) -> int:
        return int(self.page.evaluate(f"({_ASSISTANTS}).length"))

    def bubble(self) -> Bubble | None:
        """What the last answer bubble shows, or None before the first."""
        found = self.page.evaluate(_LAST_BUBBLE)
        return Bubble(**found) if found else None

    def last_answer(self, wait: bool = True, timeout: float = 30.0) -> Bubble:
        """The last answer bubble once the page has finished it (Stop button hidden)."""
        if wait:
            self.wait_idle(timeout)
        bubble = self.bubble()
        assert bubble is not None, "no answer bubble"
        return bubble

    def poll(self, test, what: str, timeout: float = 30.0) -> Bubble:
        """Until ``test(bubble)`` is true for the last bubble; returns that bubble."""
        deadline = time.monotonic() + timeout
        seen: list = []
        while True:
            bubble = self.bubble()
            if bubble is not None:
                if not seen or seen[-1] != bubble:
                    seen.append(bubble)
                if test(bubble):
                    return bubble
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; "
                                     f"the bubble showed: {seen[-5:]!r}")
            time.sleep(0.05)

    def wait_for_status(self, pattern: re.Pattern, timeout: float = 30.0) -> Bubble:
        return self.poll(lambda b: bool(pattern.fullmatch(b.status or "")), f"status {pattern.pattern}",
                         timeout)

    def wait_for_text(self, test, timeout: float = 30.0) -> Bubble:
        return self.poll(lambda b: test(b.text), "answer text", timeout)

    def wait_for_error(self, timeout: float = 30.0) -> Bubble:
        return self.poll(lambda b: b.error is not None, "an error in the bubble", timeout)

    def generating(self) -> bool:
        """Is the Stop button shown (an answer is streaming)?"""
        return self.page.eval_on_selector(
            ".stop_generating", "el => !el.classList.contains('stop_generating-hidden')")

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until the page has finished the answer (Stop button hidden again)."""
        self.page.wait_for_function(
            "document.querySelector('.stop_generating').classList.contains('stop_generating-hidden')",
            timeout=timeout * 1000,
        )

    def stop(self) -> None:
        self.page.click("#cancelButton")

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), animations="disabled")
        return path
