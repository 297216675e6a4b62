"""Real Gradio servers on 127.0.0.1 for the tests.

* :func:`ensure_gradio` creates (once, see :func:`tests.support.ensure_venv`) a
  virtualenv per pinned Gradio version in ``<repo>/.cache/gradio/<version>``
  (``$G4FQS_GRADIO_DIR`` overrides the parent folder) and returns its python.
* :class:`GradioServer` runs ``tests/apps/<app>.py`` from such a venv on a free
  port and waits until ``GET /config`` answers.
* :class:`ServerPool` starts servers in background threads and caches them by
  ``(app, version, args)``; tests/conftest.py builds the pytest fixtures on it.

Only the standard library is used here (no gradio, no aiohttp, no g4f).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import json
import os
import shutil
import threading
import time
from pathlib import Path

from tests.support import (
    LOCAL,
    Service,
    ServiceStartError,
    base_python,
    child_env,
    ensure_venv,
    http,
    venv_python,
)

__all__ = [
    "GRADIO",
    "PINS",
    "PUBLISHED",
    "APPS_DIR",
    "REPO_ROOT",
    "resolve_version",
    "gradio_dir",
    "ensure_gradio",
    "GradioServer",
    "GradioStartError",
    "ServerPool",
    "POOL",
    "make_spec",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
APPS_DIR = Path(__file__).resolve().parent / "apps"

#: major -> exact version tested
GRADIO = {"4": "4.44.1", "5": "5.49.1", "6": "6.31.0"}

#: the versions the two real Spaces declare (``sdk_version`` in their README):
#: Qwen/Qwen2-72B-Instruct 4.32.1, Qwen/QVQ-72B-preview 5.9.1 (its 2024 app);
#: only the "published" apps run on them (tests/test_published.py)
PUBLISHED = {"qwen2": "4.32.1", "qvq": "5.9.1"}

#: extra requirements installed next to gradio (4.44.1 does not run on today's
#: PyPI resolution without them, see /work/shared/GRADIO_PROTOCOL.md §0)
PINS = {
    "4.44.1": ["huggingface_hub<1.0", "fastapi==0.115.0", "pydantic==2.10.6"],
    "5.49.1": [],
    "6.31.0": [],
    # /work/shared/NOTES.md, "Installing the Spaces' own Gradio versions"
    "4.32.1": ["huggingface_hub<0.26", "fastapi==0.111.0", "pydantic<2.11", "starlette<0.38"],
    "5.9.1": ["huggingface_hub<0.28", "pydantic<2.11"],
}

START_TIMEOUT = 120.0


def resolve_version(version: str) -> str:
    """``"5"``, ``"gradio5"`` or ``"5.49.1"`` -> ``"5.49.1"``."""
    v = str(version).removeprefix("gradio")
    if v in GRADIO:
        return GRADIO[v]
    if v in PINS:
        return v
    raise ValueError(f"unknown Gradio version {version!r}; known: {sorted(PINS)}")


# ---------------------------------------------------------------- venvs ---


def gradio_dir(version: str) -> Path:
    """Folder of the venv for ``version`` (it may not exist yet)."""
    root = os.environ.get("G4FQS_GRADIO_DIR") or (REPO_ROOT / ".cache" / "gradio")
    return Path(root).expanduser().resolve() / resolve_version(version)


_VERIFY = r"""
import json, sys
from importlib.metadata import version
import gradio
from packaging.requirements import Requirement
want, pins = %r, %r
bad = [] if gradio.__version__ == want else ["gradio==%%s (found %%s)" %% (want, gradio.__version__)]
for pin in pins:
    req = Requirement(pin)
    have = version(req.name)
    if not req.specifier.contains(have, prereleases=True):
        bad.append("%%s (found %%s)" %% (pin, have))
print(json.dumps({"bad": bad, "python": sys.version.split()[0]}))
"""


def ensure_gradio(version: str) -> Path:
    """The python of a venv holding ``gradio==version`` and its pins (made once)."""
    version = resolve_version(version)
    venv = gradio_dir(version)
    venv.parent.mkdir(parents=True, exist_ok=True)
    ensure_venv(
        venv,
        key={"gradio": version, "pins": PINS[version]},
        install=[[f"gradio=={version}", *PINS[version]]],
        verify=_VERIFY % (version, PINS[version]),
        python=base_python("G4FQS_GRADIO_PYTHON"),
    )
    return venv_python(venv)


# -------------------------------------------------------------- servers ---

GradioStartError = ServiceStartError
_PORT_ERRORS = ("Cannot find empty port", "address already in use", "Address already in use")


class GradioServer(Service):
    """One ``tests/apps/<app>.py`` process on 127.0.0.1.

    Use ``GradioServer.start(app, version, *args)`` (returns a started server;
    also a context manager that stops it).  Attributes: ``url``
    (``http://127.0.0.1:<port>``, no trailing slash), ``port``, ``version``
    (full, e.g. ``"5.49.1"``), ``app``, ``args``, ``pid``, ``log_path``.
    """

    name = "gradio"

    def __init__(self, app: str, version: str, *args: str) -> None:
        self.app = app.removesuffix(".py")
        self.version = resolve_version(version)
        self.args = tuple(str(a) for a in args)
        self.script = APPS_DIR / f"{self.app}.py"
        if not self.script.exists():
            raise FileNotFoundError(self.script)
        super().__init__()
        self.python: Path | None = None
        self._cleaned = False

    @classmethod
    def start(cls, app: str, version: str, *args: str, timeout: float = START_TIMEOUT,
              env: dict[str, str] | None = None) -> GradioServer:
        """Start ``tests/apps/<app>.py --port P *args`` under gradio ``version``
        and wait for ``GET /config`` == 200.  ``env`` adds environment variables
        (e.g. ``GRADIO_HEARTBEAT_INTERVAL``)."""
        server = cls(app, version, *args)
        try:
            server._launch(timeout, env or {})
        except BaseException:
            server.stop(cleanup=False)  # keep the log for inspection
            raise
        return server

    def command(self) -> list[str]:
        return [str(self.python), str(self.script), "--port", str(self.port), *self.args]

    def ready(self) -> bool:
        return http("GET", f"{self.url}/config", timeout=2).status == 200

    def _launch(self, timeout: float, extra_env: dict[str, str]) -> None:
        self.python = ensure_gradio(self.version)
        gradio_tmp = self.tmpdir / "gradio"
        gradio_tmp.mkdir(exist_ok=True)
        env = child_env(
            NO_PROXY=LOCAL,
            no_proxy=LOCAL,
            GRADIO_ANALYTICS_ENABLED="False",
            GRADIO_TEMP_DIR=str(gradio_tmp),
            HF_HUB_OFFLINE="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            DO_NOT_TRACK="1",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            **extra_env,
        )
        started = time.monotonic()
        for attempt in range(3):
            self.spawn(env, REPO_ROOT)
            try:
                self.wait_ready(started, timeout)
            except GradioStartError:
                tail = self.log_tail()
                exited = self.proc is not None and self.proc.poll() is not None
                if attempt < 2 and exited and any(e in tail for e in _PORT_ERRORS):
                    self.kill()
                    continue  # someone else took the port: try another one
                raise
            return

    def stop(self, cleanup: bool = True) -> None:
        """Stop the process group; remove the temporary folder (log, uploads)
        unless ``cleanup`` is false or $G4FQS_KEEP_SERVER_LOGS is set."""
        super().stop()
        if cleanup and not self._cleaned and not os.environ.get("G4FQS_KEEP_SERVER_LOGS"):
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self._cleaned = True

    @property
    def major(self) -> str:
        return self.version.split(".")[0]

    @property
    def api_prefix(self) -> str:
        """``""`` on Gradio 4, ``"/gradio_api"`` on 5 and 6 (what /config says)."""
        return "" if self.major == "4" else "/gradio_api"

    def config(self, timeout: float = 5) -> dict:
        """``GET /config`` as a dict."""
        return json.loads(http("GET", f"{self.url}/config", timeout=timeout).body)

    def describe(self) -> str:
        args = " ".join(self.args)
        return f"gradio {self.version} {self.app}{(' ' + args) if args else ''} on {self.url}"


# ----------------------------------------------------------------- pool ---

Spec = tuple  # (app, full_version, args)


def make_spec(app: str, version: str, *args: str) -> Spec:
    return (app.removesuffix(".py"), resolve_version(version), tuple(str(a) for a in args))


class ServerPool:
    """Starts servers in background threads and caches them by spec.

    ``get(app, version, *args)`` returns a running server (starting it if
    needed, restarting it if a test killed it); ``prefetch(specs)`` starts
    several at once; a failed start is cached and re-raised (no 120 s wait per
    test); ``close()`` stops everything (the pool stays usable afterwards)."""

    def __init__(self, max_workers: int = 6) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Spec, concurrent.futures.Future] = {}
        self._extra: list[GradioServer] = []
        self._max_workers = max_workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def _submit(self, spec: Spec, restart: bool = False) -> concurrent.futures.Future:
        with self._lock:
            fut = self._futures.get(spec)
            if fut is not None and not restart:
                return fut
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    self._max_workers, thread_name_prefix="gradio-start")
            fut = self._executor.submit(GradioServer.start, spec[0], spec[1], *spec[2])
            self._futures[spec] = fut
            return fut

    def prefetch(self, specs) -> None:
        """Start servers in the background; ``specs`` are ``(app, version, args)``."""
        for app, version, args in specs:
            self._submit(make_spec(app, version, *args))

    def get(self, app: str, version: str, *args: str) -> GradioServer:
        spec = make_spec(app, version, *args)
        server = self._submit(spec).result()
        if not server.alive:  # killed by a test: start a new one
            server.stop()
            server = self._submit(spec, restart=True).result()
        return server

    def fresh(self, app: str, version: str, *args: str) -> GradioServer:
        """A new, uncached server (for tests that kill it); stopped by close()."""
        server = GradioServer.start(app, version, *args)
        with self._lock:
            self._extra.append(server)
        return server

    def close(self) -> None:
        with self._lock:
            futures, self._futures = list(self._futures.values()), {}
            extra, self._extra = self._extra, []
            executor, self._executor = self._executor, None
        for fut in futures:
            try:
                server = fut.result()
            except BaseException:
                continue
            server.stop()
        for server in extra:
            server.stop()
        if executor is not None:
            executor.shutdown(wait=True)


#: the process-wide pool used by the fixtures in tests/conftest.py
POOL = ServerPool()
atexit.register(POOL.close)
