"""Real Gradio servers on 127.0.0.1 for the tests.

* :func:`ensure_gradio` creates (once, under a file lock) a virtualenv per pinned
  Gradio version in ``<repo>/.cache/gradio/<version>`` (``$G4FQS_GRADIO_DIR``
  overrides the parent folder) and returns its python.
* :class:`GradioServer` runs ``tests/apps/<app>.py`` from such a venv on a free
  port and waits until ``GET /config`` answers.
* :class:`ServerPool` starts servers in background threads and caches them by
  ``(app, version, args)``; tests/gradio_fixtures.py builds the pytest fixtures on it.

Only the standard library is used here (no gradio, no aiohttp, no g4f).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path

__all__ = [
    "GRADIO",
    "PINS",
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

#: extra requirements installed next to gradio (4.44.1 does not run on today's
#: PyPI resolution without them, see /work/shared/GRADIO_PROTOCOL.md §0)
PINS = {
    "4.44.1": ["huggingface_hub<1.0", "fastapi==0.115.0", "pydantic==2.10.6"],
    "5.49.1": [],
    "6.31.0": [],
}

MARKER_NAME = ".g4fqs-installed.json"
START_TIMEOUT = 120.0
PIP_TIMEOUT = 1800.0
_LOCAL_NO_PROXY = "127.0.0.1,localhost"
# environment variables a child python must not inherit from the test run
_ENV_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")


def resolve_version(version: str) -> str:
    """``"5"``, ``"gradio5"`` or ``"5.49.1"`` -> ``"5.49.1"``."""
    v = str(version).removeprefix("gradio")
    if v in GRADIO:
        return GRADIO[v]
    if v in PINS:
        return v
    raise ValueError(f"unknown Gradio version {version!r}; known: {sorted(PINS)}")


def _opener() -> urllib.request.OpenerDirector:
    # never go through a proxy for 127.0.0.1
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
    env.update(extra)
    return env


# ---------------------------------------------------------------- venvs ---


def gradio_dir(version: str) -> Path:
    """Folder of the venv for ``version`` (it may not exist yet)."""
    root = os.environ.get("G4FQS_GRADIO_DIR") or (REPO_ROOT / ".cache" / "gradio")
    return Path(root).expanduser().resolve() / resolve_version(version)


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _base_python() -> str:
    """Interpreter used to create a venv: $G4FQS_GRADIO_PYTHON, else a
    Python 3.11 (gradio 4.44 is known good there), else sys.executable."""
    env = os.environ.get("G4FQS_GRADIO_PYTHON")
    if env:
        found = shutil.which(env) or env
        if not os.path.exists(found):
            raise RuntimeError(f"G4FQS_GRADIO_PYTHON={env!r} not found")
        return found
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    candidate = shutil.which("python3.11")
    if candidate:
        # a pyenv shim exists even when that version is not selected: try it
        try:
            subprocess.run([candidate, "-c", "import venv"], check=True,
                           capture_output=True, timeout=60, env=_child_env())
            return candidate
        except (OSError, subprocess.SubprocessError):
            pass
    return sys.executable


_VERIFY = r"""
import json, sys
from importlib.metadata import version
import gradio
from packaging.requirements import Requirement
want, pins = sys.argv[1], json.loads(sys.argv[2])
bad = [] if gradio.__version__ == want else ["gradio==%s (found %s)" % (want, gradio.__version__)]
for pin in pins:
    req = Requirement(pin)
    have = version(req.name)
    if not req.specifier.contains(have, prereleases=True):
        bad.append("%s (found %s)" % (pin, have))
print(json.dumps({"bad": bad, "python": sys.version.split()[0]}))
"""


def _verify(python: Path, version: str) -> tuple[bool, str]:
    """Does the venv import the right gradio with its pins satisfied?"""
    if not python.exists():
        return False, f"{python} missing"
    try:
        r = subprocess.run(
            [str(python), "-c", _VERIFY, version, json.dumps(PINS[version])],
            capture_output=True, text=True, timeout=300,
            env=_child_env(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1"),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return False, repr(exc)
    if r.returncode != 0:
        return False, (r.stdout + r.stderr)[-3000:]
    info = json.loads(r.stdout.strip().splitlines()[-1])
    if info["bad"]:
        return False, "; ".join(info["bad"])
    return True, info["python"]


def _marker_ok(venv: Path, version: str) -> bool:
    try:
        data = json.loads((venv / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return False
    return (
        data.get("gradio") == version
        and data.get("pins") == PINS[version]
        and _venv_python(venv).exists()
    )


def _run_logged(cmd: list[str], what: str, timeout: float) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=_child_env(PIP_NO_INPUT="1"))
    if r.returncode != 0:
        tail = (r.stdout + r.stderr)[-4000:]
        raise RuntimeError(f"{what} failed (exit {r.returncode}): {' '.join(cmd)}\n{tail}")


def ensure_gradio(version: str) -> Path:
    """Return the python of a venv holding ``gradio==version`` (+ its pins),
    creating it when missing.  Safe to call from parallel pytest processes and
    threads: the work happens under an fcntl lock, and a marker file is written
    only after a successful, verified install.  An existing venv without the
    marker (e.g. made by hand) is adopted if it verifies, rebuilt otherwise."""
    version = resolve_version(version)
    venv = gradio_dir(version)
    python = _venv_python(venv)
    if _marker_ok(venv, version):
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    lock_path = venv.parent / f".{version}.lock"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            if _marker_ok(venv, version):
                return python
            ok, detail = _verify(python, version) if python.exists() else (False, "")
            if not ok:
                base = _base_python()
                _run_logged([base, "-m", "venv", "--clear", str(venv)],
                            f"creating venv for gradio {version}", 600)
                _run_logged(
                    [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                     f"gradio=={version}", *PINS[version]],
                    f"pip install gradio=={version}", PIP_TIMEOUT,
                )
                ok, detail = _verify(python, version)
                if not ok:
                    raise RuntimeError(f"gradio {version} venv does not verify: {detail}")
            tmp = venv / (MARKER_NAME + ".tmp")
            tmp.write_text(json.dumps({"gradio": version, "pins": PINS[version],
                                       "python": detail, "created": time.time()}))
            tmp.replace(venv / MARKER_NAME)
            return python
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


# -------------------------------------------------------------- servers ---


class GradioStartError(RuntimeError):
    """The server did not answer GET /config in time (message has the log tail)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_LIVE: "weakref.WeakSet[GradioServer]" = weakref.WeakSet()
_PORT_ERRORS = ("Cannot find empty port", "address already in use", "Address already in use")


class GradioServer:
    """One ``tests/apps/<app>.py`` process on 127.0.0.1.

    Use ``GradioServer.start(app, version, *args)`` (returns a started server;
    also a context manager that stops it).  Attributes: ``url``
    (``http://127.0.0.1:<port>``, no trailing slash), ``port``, ``version``
    (full, e.g. ``"5.49.1"``), ``app``, ``args``, ``pid``, ``log_path``.
    """

    def __init__(self, app: str, version: str, *args: str) -> None:
        self.app = app.removesuffix(".py")
        self.version = resolve_version(version)
        self.args = tuple(str(a) for a in args)
        self.script = APPS_DIR / f"{self.app}.py"
        if not self.script.exists():
            raise FileNotFoundError(self.script)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.url: str | None = None
        self.pid: int | None = None
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"g4fqs-{self.app}-{self.version}-"))
        self.log_path = self.tmpdir / "server.log"
        self.startup_seconds: float | None = None
        self._log_file = None
        self._cleaned = False

    # -- life cycle
    @classmethod
    def start(cls, app: str, version: str, *args: str, timeout: float = START_TIMEOUT,
              env: dict[str, str] | None = None) -> "GradioServer":
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

    def _launch(self, timeout: float, extra_env: dict[str, str]) -> None:
        python = ensure_gradio(self.version)
        t0 = time.monotonic()
        for attempt in range(3):
            self.port = _free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self._spawn(python, extra_env)
            try:
                self._wait_ready(t0 + timeout, timeout)
            except GradioStartError:
                tail = self.log_tail()
                if attempt < 2 and self.proc.poll() is not None and any(e in tail for e in _PORT_ERRORS):
                    self._reap(kill=True)
                    continue  # someone else took the port: try another one
                raise
            self.startup_seconds = time.monotonic() - t0
            return

    def _spawn(self, python: Path, extra_env: dict[str, str]) -> None:
        gradio_tmp = self.tmpdir / "gradio"
        gradio_tmp.mkdir(exist_ok=True)
        env = _child_env(
            NO_PROXY=_LOCAL_NO_PROXY,
            no_proxy=_LOCAL_NO_PROXY,
            GRADIO_ANALYTICS_ENABLED="False",
            GRADIO_TEMP_DIR=str(gradio_tmp),
            HF_HUB_OFFLINE="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            DO_NOT_TRACK="1",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra_env)
        if self._log_file is not None:
            self._log_file.close()
        self._log_file = open(self.log_path, "ab")
        cmd = [str(python), str(self.script), "--port", str(self.port), *self.args]
        self._log_file.write(f"$ {' '.join(cmd)}\n".encode())
        self._log_file.flush()
        self.proc = subprocess.Popen(
            cmd, cwd=str(REPO_ROOT), env=env, stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.pid = self.proc.pid
        _LIVE.add(self)

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        opener = _opener()
        last = "no answer yet"
        while True:
            if self.proc.poll() is not None:
                raise GradioStartError(
                    f"{self.describe()} exited with code {self.proc.returncode} before "
                    f"answering /config\n--- log tail ({self.log_path}) ---\n{self.log_tail()}")
            try:
                with opener.open(f"{self.url}/config", timeout=2) as resp:
                    if resp.status == 200:
                        return
                    last = f"HTTP {resp.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise GradioStartError(
                    f"{self.describe()} not ready after {timeout:.0f}s ({last})"
                    f"\n--- log tail ({self.log_path}) ---\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self, cleanup: bool = True) -> None:
        """SIGTERM the process group, SIGKILL after 5 s; always reaps. Idempotent.
        Removes the temporary folder (log, uploads) unless ``cleanup`` is false
        or $G4FQS_KEEP_SERVER_LOGS is set."""
        self._reap(kill=False)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if cleanup and not self._cleaned and not os.environ.get("G4FQS_KEEP_SERVER_LOGS"):
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self._cleaned = True
        _LIVE.discard(self)

    def kill(self) -> None:
        """SIGKILL the process group now (e.g. mid-stream) and reap it.  The log
        stays readable until :meth:`stop`."""
        self._reap(kill=True)

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _reap(self, kill: bool) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            if not kill:
                self._signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    kill = True
            if kill:
                self._signal(signal.SIGKILL)
        proc.wait()

    def __enter__(self) -> "GradioServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def major(self) -> str:
        return self.version.split(".")[0]

    @property
    def api_prefix(self) -> str:
        """``""`` on Gradio 4, ``"/gradio_api"`` on 5 and 6 (what /config says)."""
        return "" if self.major == "4" else "/gradio_api"

    def config(self, timeout: float = 5) -> dict:
        """``GET /config`` as a dict."""
        with _opener().open(f"{self.url}/config", timeout=timeout) as resp:
            return json.loads(resp.read())

    def log_tail(self, chars: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - chars))
                return f.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"<no log: {exc}>"

    def describe(self) -> str:
        args = " ".join(self.args)
        return f"gradio {self.version} {self.app}{(' ' + args) if args else ''} on {self.url}"

    def __repr__(self) -> str:
        state = "alive" if self.alive else "stopped"
        return f"<GradioServer {self.describe()} pid={self.pid} {state}>"


@atexit.register
def _stop_all() -> None:
    for server in list(_LIVE):
        try:
            server.stop()
        except Exception:
            pass


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


#: the process-wide pool used by tests/gradio_fixtures.py
POOL = ServerPool()
atexit.register(POOL.close)
