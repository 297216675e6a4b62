"""What every test layer shares: free ports, child environments, venvs and processes.

Only the standard library is used (no pytest, gradio, aiohttp or g4f), so the
Gradio servers (:mod:`tests.servers`) and the drop-in harness
(:mod:`tests.dropin.harness`) build on the same pieces:

* :func:`ensure_venv` makes a venv once, under a file lock that other test
  processes and threads respect, and writes a marker only after the venv
  verifies; a later call with the same key reuses it.
* :class:`Service` runs a server process in its own process group with a log
  file, waits until it answers, and stops it (TERM, then KILL) on every path,
  at interpreter exit included.
* :func:`http` makes a request that never goes through a proxy.
"""
from __future__ import annotations

import atexit
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL = "127.0.0.1,localhost"
PIP_TIMEOUT = 1800.0
#: Variables a child Python must not inherit from the test run.
ENV_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")
VENV_MARKER = ".g4fqs-venv.json"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without Python overrides, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env.update(extra)
    return env


def run_logged(cmd: Sequence[Any], what: str, timeout: float, cwd: Path | None = None,
               env: dict[str, str] | None = None) -> str:
    """Run ``cmd``; its stdout, or a ``RuntimeError`` carrying the output's tail."""
    args = [str(c) for c in cmd]
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                            env=env or child_env(PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1"))
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-5000:]
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {' '.join(args)}\n{tail}")
    return result.stdout


class FileLock:
    """An fcntl lock on ``path`` (exclusive unless ``shared``), for threads and processes."""

    def __init__(self, path: Path, shared: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "a+")  # noqa: SIM115 - released by close()
        fcntl.flock(self.file.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)

    def share(self) -> None:
        """Downgrade to a shared lock (others may read, nobody may rebuild)."""
        fcntl.flock(self.file.fileno(), fcntl.LOCK_SH)

    def close(self) -> None:
        if not self.file.closed:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
            self.file.close()

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def base_python(variable: str, want: tuple[int, int] = (3, 11)) -> str:
    """The interpreter that creates venvs: ``$variable``, else Python ``want``, else this one.

    The servers and drop-in venvs use 3.11 whatever Python runs the tests, so
    a run on 3.13 still tests against the Gradio versions known to run there.
    """
    chosen = os.environ.get(variable)
    if chosen:
        found = shutil.which(chosen) or chosen
        if not os.path.exists(found):
            raise RuntimeError(f"{variable}={chosen!r} not found")
        return found
    if sys.version_info[:2] == want:
        return sys.executable
    candidate = shutil.which("python%d.%d" % want)
    if candidate:
        # a pyenv shim exists even when that version is not selected: try it
        try:
            subprocess.run([candidate, "-c", "import venv"], check=True, capture_output=True,
                           timeout=60, env=child_env())
            return candidate
        except (OSError, subprocess.SubprocessError):
            pass
    return sys.executable


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _marker(venv: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((venv / VENV_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and venv_python(venv).exists() else None


_held: list[FileLock] = []  # shared locks on venvs in use: nobody rebuilds or prunes them


def ensure_venv(venv: Path, key: dict[str, Any], install: Sequence[Sequence[str]], verify: str,
                python: str, hold: bool = False) -> dict[str, Any]:
    """Create ``venv`` once: ``python -m venv``, one ``pip install`` per entry of
    ``install``, then ``verify`` (code printing a JSON object as its last line;
    a non-empty ``"bad"`` list in it fails). Returns the marker written after
    that. A venv whose marker has the same ``key`` is reused as it is.

    With ``hold``, a shared lock is kept for the life of this process, so that
    another process never removes a venv this one uses.
    """
    lock = FileLock(venv.parent / f".{venv.name}.lock")
    try:
        marker = _marker(venv)
        if marker is None or marker.get("key") != key:
            started = time.monotonic()
            shutil.rmtree(venv, ignore_errors=True)
            run_logged([python, "-m", "venv", venv], f"creating the venv {venv.name}", 600)
            for args in install:
                run_logged([venv_python(venv), "-m", "pip", "install", "-q", *args],
                           f"pip install into {venv.name}", PIP_TIMEOUT)
            out = run_logged([venv_python(venv), "-c", verify], f"verifying {venv.name}", 300)
            info = json.loads(out.strip().splitlines()[-1])
            if info.get("bad"):
                raise RuntimeError(f"{venv.name} does not verify: {'; '.join(info['bad'])}")
            marker = {"key": key, **info, "seconds": round(time.monotonic() - started, 1),
                      "created": time.time()}
            tmp = venv / (VENV_MARKER + ".tmp")
            tmp.write_text(json.dumps(marker))
            tmp.replace(venv / VENV_MARKER)
        if hold:
            lock.share()
            _held.append(lock)
        return marker
    finally:
        if not hold:
            lock.close()


def prune_unused(folder: Path, pattern: str, keep: Callable[[Path], bool]) -> None:
    """Remove the venvs ``folder/pattern`` not kept by ``keep`` that no process holds."""
    for other in folder.glob(pattern):
        if keep(other) or not other.is_dir():
            continue
        lock_path = folder / f".{other.name}.lock"
        try:
            handle = open(lock_path, "a+")  # noqa: SIM115 - closed below
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            try:
                shutil.rmtree(other, ignore_errors=True)
                if not other.exists():
                    lock_path.unlink(missing_ok=True)
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ------------------------------------------------------------------- http ---

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 120) -> Response:
    """A request that never goes through a proxy; error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Response(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, dict(error.headers or {}), error.read())


# -------------------------------------------------------------- processes ---


class ServiceStartError(RuntimeError):
    """The process exited or did not answer in time (the message has its log's tail)."""


_LIVE: set[Service] = set()
_live_lock = threading.Lock()


class Service:
    """A server process in its own process group, its output in ``log_path``.

    Subclasses say what runs (:meth:`command`) and how to tell it is ready
    (:meth:`ready`); :meth:`launch` starts it on a free port and waits.
    """

    name = "service"

    def __init__(self, tmpdir: Path | None = None) -> None:
        self.tmpdir = tmpdir or Path(tempfile.mkdtemp(prefix=f"g4fqs-{self.name}-"))
        self.log_path = self.tmpdir / f"{self.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.url: str | None = None
        self.startup_seconds: float | None = None
        self._log: Any = None

    # -- what a subclass declares
    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        """Does the process answer yet? (It is known to be running.)"""
        raise NotImplementedError

    # -- life cycle
    def spawn(self, env: dict[str, str], cwd: Path) -> None:
        """Start :meth:`command` on a new free port (no wait)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if self._log is not None:
            self._log.close()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed by stop()
        cmd = self.command()
        self._log.write(f"$ {' '.join(cmd)}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        with _live_lock:
            _LIVE.add(self)

    def wait_ready(self, started: float, timeout: float) -> None:
        """Poll :meth:`ready` until it is true; raise if the process dies or time runs out."""
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise ServiceStartError(f"{self.describe()} exited with code {self.proc.returncode} "
                                        f"before answering\n--- log tail ({self.log_path}) ---\n{self.log_tail()}")
            try:
                if self.ready():
                    self.startup_seconds = time.monotonic() - started
                    return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > started + timeout:
                raise ServiceStartError(f"{self.describe()} not ready after {timeout:.0f} s"
                                        f"\n--- log tail ({self.log_path}) ---\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 5 s; always reaps. Idempotent."""
        self._reap(kill=False)
        if self._log is not None:
            self._log.close()
            self._log = None
        with _live_lock:
            _LIVE.discard(self)

    def kill(self) -> None:
        """SIGKILL the process group now (for example mid-stream) and reap it."""
        self._reap(kill=True)

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _reap(self, kill: bool) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None and not kill:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                kill = True
        if kill or proc.poll() is not None:
            # Also when the leader is gone: its children may still hold the group.
            self._signal(signal.SIGKILL)
        proc.wait()

    # -- state
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - chars))
                return log.read().decode("utf-8", "replace")
        except OSError as error:
            return f"<no log: {error}>"

    def describe(self) -> str:
        return f"{self.name} on {self.url}"

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()} pid={self.pid} {'alive' if self.alive else 'stopped'}>"


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        live = list(_LIVE)
    for service in live:
        try:
            service.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
