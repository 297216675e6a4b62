"""Harness of the drop-in tests: the real wheel in fresh venvs, real g4f processes.

Nothing here imports g4f or ``g4f_qwen_spaces``; only the standard library
(plus pytest for the fixtures at the end).

* :func:`build_wheel` builds the wheel of this repository once, cached under
  ``<repo>/.cache/dropin/wheels/<hash>`` by a hash of the packaged sources.
* :func:`fresh_venv` makes (once, under an fcntl lock, with a marker written
  after success) a venv holding that wheel, ``g4f[api,gui]==<version>`` and
  what g4f's GUI, API and CLI import; cached under
  ``<repo>/.cache/dropin/<g4f version>-<wheel hash>``.  :func:`editable_venv`
  does the same with ``pip install -e <repo>``.
* :func:`run_in_venv` runs a script or a console script of such a venv in an
  isolated environment: a throw-away ``HOME``, g4f config/cache folders seeded
  so that g4f stays offline, ``cwd`` outside the repository, no
  ``PYTHONPATH``, the Space URL variables pointing at the local Gradio servers,
  and a dead proxy for everything but 127.0.0.1.
* :func:`start_gui` / :func:`start_api` run ``g4f gui`` / ``g4f api`` as real
  processes in their own process group.

The g4f version under test is the one installed in the test process
(``importlib.metadata.version("g4f")``); ``$G4FQS_DROPIN_G4F`` overrides it.
``$G4FQS_DROPIN_DIR`` moves the cache; ``$G4FQS_KEEP_DROPIN_TMP=1`` keeps the
temporary folders (HOME, logs) of every run; ``$G4FQS_DROPIN_PREFETCH=0`` builds
the extra venvs (plugins, editable) only when a test asks for them, instead
of in the background.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from tests.support import (
    ENV_DROP,
    FileLock,
    Response,
    Service,
    base_python,
    ensure_venv,
    free_port,
    http,
    prune_unused,
    run_logged,
    venv_python,
)

REPO = Path(__file__).resolve().parents[2]
PLUGINS_SRC = REPO / "tests" / "plugins"
MARKER = ".dropin-ok.json"
PIP_TIMEOUT = 1800
RUN_TIMEOUT = 180
START_TIMEOUT = 120

QVQ_URL_ENV = "G4F_QWEN_QVQ_72B_URL"
QWEN2_URL_ENV = "G4F_QWEN_QWEN_2_72B_URL"

#: what g4f's GUI (flask), API (fastapi/uvicorn) and CLI import, on top of
#: g4f's own "api" and "gui" extras (which add a2wsgi, werkzeug,
#: beautifulsoup4, PyYAML and websockets where the version declares them).
RUNTIME_DEPS = ["flask[async]", "fastapi", "uvicorn", "python-multipart", "loguru", "pillow", "aiohttp"]

#: g4f 8.x reads (and would otherwise download) this providers list.
PROVIDERS_JSON = {"providers": {"default": {"baseUrl": "http://127.0.0.1:9/v1"}}, "defaultModels": {}}
#: Nothing listens there: every request that is not for 127.0.0.1/localhost
#: (PyPI version check, live provider lists) fails at once instead of leaving
#: the machine.
DEAD_PROXY = "http://127.0.0.1:9"
LOCAL = "127.0.0.1,localhost"

_ENV_KEEP = ("PATH", "TERM", "TZ", "SYSTEMROOT")

RESULT = "@@DROPIN-RESULT@@"

#: Prepended to scripts that use g4f: the start-up hook must be loaded and
#: must not have imported g4f or our package by itself; the version check
#: (a PyPI request on the first completion) is switched off.
PREAMBLE = textwrap.dedent(
    f"""
    import json, os, sys
    def emit(value):
        print({RESULT!r} + json.dumps(value, default=repr), flush=True)
    _early = sorted(m for m in sys.modules if m == "g4f" or m.startswith(("g4f.", "g4f_qwen_spaces.")) or m == "g4f_qwen_spaces")
    assert not _early, "imported at start-up: %r" % _early
    import g4f, g4f.debug
    g4f.debug.version_check = False
    """
)


def _keep_tmp() -> bool:
    return bool(os.environ.get("G4FQS_KEEP_DROPIN_TMP"))


def cache_root() -> Path:
    root = os.environ.get("G4FQS_DROPIN_DIR") or (REPO / ".cache" / "dropin")
    path = Path(root).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------ wheel ---

_SKIP_DIRS = {"build", "dist", "tests", "bench", "node_modules", "__pycache__"}


def source_files(root: Path = REPO) -> list[Path]:
    """What goes into the wheel: the top-level files and the package folders
    (everything but dot-folders, build output, tests, benchmarks, venvs)."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith(".") and d not in _SKIP_DIRS and not d.endswith(".egg-info")
            and not (rel == Path(".") and (d.startswith(("venv", "env")) or (Path(dirpath) / d / "pyvenv.cfg").exists()))
        )
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo", ".whl")) or (rel == Path(".") and name.startswith(".")):
                continue
            out.append(rel / name)
    return out


def _hash_files(root: Path, files: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(str(rel).encode() + b"\0")
        h.update((root / rel).read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def source_hash() -> str:
    return _hash_files(REPO, source_files())


_wheel_lock = threading.Lock()
_wheel: dict = {}


def build_wheel() -> Path:
    """The wheel of this repository, built from a copy of its sources (the
    repository itself is not written to); cached on disk by
    :func:`source_hash`.  Built once per process: edits made while the tests
    run do not change the wheel (nor the venvs) of this session."""
    with _wheel_lock:
        if "wheel" in _wheel:
            return _wheel["wheel"]
        files = source_files()
        digest = _hash_files(REPO, files)
        out = cache_root() / "wheels" / digest
        with FileLock(cache_root() / "wheels" / f".{digest}.lock"):
            wheels = sorted(out.glob("*.whl"))
            if not ((out / MARKER).exists() and wheels):
                t0 = time.monotonic()
                shutil.rmtree(out, ignore_errors=True)
                with tempfile.TemporaryDirectory(prefix="g4fqs-wheel-") as tmp:
                    src = Path(tmp) / "src"
                    for rel in files:
                        (src / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(REPO / rel, src / rel)
                    dist = Path(tmp) / "dist"
                    try:
                        import build  # noqa: F401  (the test extra)
                        cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", dist, src]
                    except ImportError:
                        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, src]
                    run_logged(cmd, "building the wheel", 600, cwd=Path(tmp))
                    built = sorted(dist.glob("*.whl"))
                    if len(built) != 1:
                        raise RuntimeError(f"expected one wheel, got {built}")
                    out.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(built[0], out / built[0].name)
                (out / MARKER).write_text(json.dumps({"hash": digest, "seconds": time.monotonic() - t0}))
                wheels = sorted(out.glob("*.whl"))
        _wheel["wheel"] = wheels[0]
        _prune_wheels(keep=digest)
        return wheels[0]


def _prune_wheels(keep: str, max_age: float = 3 * 86400) -> None:
    """Drop cached wheels (and their lock files) unused for ``max_age`` seconds."""
    folder = cache_root() / "wheels"
    for other in folder.iterdir():
        if other.name == keep or not other.is_dir():
            continue
        try:
            if time.time() - (other / MARKER).stat().st_mtime < max_age:
                continue
        except OSError:
            pass
        shutil.rmtree(other, ignore_errors=True)
        (folder / f".{other.name}.lock").unlink(missing_ok=True)


# ------------------------------------------------------------------ venvs ---


def g4f_version() -> str:
    """The g4f version to test: the one installed here, or $G4FQS_DROPIN_G4F."""
    return os.environ.get("G4FQS_DROPIN_G4F") or metadata.version("g4f")


def g4f_major_minor(version: Optional[str] = None) -> tuple:
    parts = (version or g4f_version()).split(".")
    return tuple(int(p) for p in parts[:2] if p.isdigit())


def g4f_requirements(version: str) -> list[str]:
    return [f"g4f[api,gui]=={version}", *RUNTIME_DEPS]


_VERIFY = r"""
import json, sys
from importlib.metadata import version, distributions
print(json.dumps({"g4f": version("g4f"), "python": sys.version.split()[0],
                  "dists": sum(1 for _ in distributions())}))
"""

_venv_guard = threading.Lock()
_venvs: dict = {}
_name_locks: dict = {}


def _ensure_venv(name: str, key: dict, install: Sequence[Sequence[str]], family: str,
                 keep_prefix: Optional[str] = None) -> Path:
    """``<cache>/<name>`` made once (:func:`tests.support.ensure_venv`) and held
    for this process; then older venvs of the same ``family`` are pruned."""
    with _venv_guard:
        if name in _venvs:
            return _venvs[name]
        per_name = _name_locks.setdefault(name, threading.Lock())
    with per_name:
        with _venv_guard:
            if name in _venvs:
                return _venvs[name]
        venv = cache_root() / name
        info = ensure_venv(venv, key, install, _VERIFY, base_python("G4FQS_DROPIN_PYTHON"), hold=True)
        if key.get("g4f") and info["g4f"] != key["g4f"]:
            raise RuntimeError(f"{name}: g4f {info['g4f']} installed, wanted {key['g4f']}")
        with _venv_guard:
            _venvs[name] = venv
    keep = keep_prefix or name
    prune_unused(cache_root(), f"{family}*", lambda other: other.name.startswith(keep) or other.name in _venvs)
    return venv


def _wheel_hash(wheel: Path) -> str:
    return wheel.parent.name


def plugin_source(name: str) -> Path:
    path = PLUGINS_SRC / name
    if not path.is_dir():
        raise FileNotFoundError(path)
    return path


def fresh_venv(g4f_version_: Optional[str] = None, *, plugins: Sequence[str] = ()) -> Path:
    """A venv with the wheel, ``g4f[api,gui]==<version>`` and :data:`RUNTIME_DEPS`
    (plus the third-party test packages ``tests/plugins/<name>`` in ``plugins``).
    Cached as ``<version>-<wheel hash>[-plugins-<hash>]``; older venvs of the
    same g4f version are removed."""
    version = g4f_version_ or g4f_version()
    wheel = build_wheel()
    whash = _wheel_hash(wheel)
    name = f"{version}-{whash}"
    install: list[list[str]] = [[str(wheel), *g4f_requirements(version)]]
    key = {"g4f": version, "wheel": wheel.name, "wheel_hash": whash, "deps": RUNTIME_DEPS}
    if not plugins:
        return _ensure_venv(name, key, install, family=f"{version}-", keep_prefix=name)
    srcs = [plugin_source(p) for p in plugins]
    phash = _hash_files(PLUGINS_SRC, [(src / f).relative_to(PLUGINS_SRC) for src in srcs for f in source_files(src)])
    name += f"-plugins-{phash[:8]}"
    # pip builds local folders in place: install from copies, not the repo
    copies = cache_root() / "plugin-src" / phash[:16]
    for src in srcs:
        if not (copies / src.name).exists():
            shutil.copytree(src, copies / src.name, ignore=shutil.ignore_patterns(
                "build", "*.egg-info", "__pycache__"), dirs_exist_ok=True)
    install.append([str(copies / src.name) for src in srcs])
    key["plugins"] = [list(plugins), phash]
    return _ensure_venv(name, key, install, family=f"{version}-{whash}-plugins-", keep_prefix=name)


def editable_venv(g4f_version_: Optional[str] = None) -> Path:
    """A venv with ``pip install -e <repo>`` and g4f (no start-up hook written:
    the test runs ``python -m g4f_qwen_spaces install-hook`` itself)."""
    version = g4f_version_ or g4f_version()
    meta = [p for p in ("setup.cfg", "pyproject.toml", "setup.py") if (REPO / p).exists()]
    digest = _hash_files(REPO, [Path(p) for p in meta])
    name = f"editable-{version}-{digest}"
    key = {"g4f": version, "editable": str(REPO), "meta_hash": digest, "deps": RUNTIME_DEPS}
    return _ensure_venv(name, key, [["-e", str(REPO), *g4f_requirements(version)]],
                        family=f"editable-{version}-", keep_prefix=name)


#: the third-party test packages (tests/plugins) of the plugin-loader tests
PLUGIN_PACKAGES = ("broken_plugin", "echo_plugin")


class Prefetch:
    """Build venvs in background threads (the tests run meanwhile); ``join()``
    waits for them, so no pip is left running when the session ends.  Errors
    are not raised here: the test that needs the venv builds it again and fails."""

    def __init__(self) -> None:
        self.threads: list = []
        self.errors: list = []

    def start(self, func, *args, **kwargs) -> None:
        def run():
            try:
                func(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - reported by the test that needs it
                self.errors.append(exc)
        thread = threading.Thread(target=run, name=f"dropin-{func.__name__}", daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()


def site_packages(venv: Path) -> Path:
    found = sorted((venv / "lib").glob("python3*/site-packages"))
    if not found:
        raise FileNotFoundError(f"no site-packages in {venv}")
    return found[0]


# ------------------------------------------------------- isolated runs ---


def _days() -> list[str]:
    today = datetime.date.today()
    return [(today + datetime.timedelta(days=d)).isoformat() for d in (-1, 0, 1)]


def prepare_home(tmp: Path) -> dict:
    """Create HOME, g4f config/cache and a work dir under ``tmp``; seed the
    providers lists g4f 7.5/8.x read before going online.  Returns env vars."""
    home, config, cache, work, temp = (tmp / "home", tmp / "g4f-config", tmp / "g4f-cache",
                                       tmp / "work", tmp / "tmp")
    for d in (home, config, cache, work, temp):
        d.mkdir(parents=True, exist_ok=True)
    # 7.5/8.0.5 use ~/.g4f when it exists (and create it themselves later):
    # create it now so the cookies folder is the same on every run.
    g4f_home = home / ".g4f"
    g4f_home.mkdir()
    stub = json.dumps(PROVIDERS_JSON)
    for day in _days():
        for folder in (
            cache / ".models" / day,                      # 8.8: <G4F_CACHE_DIR>/.models/<day>
            g4f_home / "cookies" / "models" / day,         # 7.5 / 8.0.5: <cookies_dir>/models/<day>
            config / "cookies" / "models" / day,           # 8.8 with G4F_CONFIG_DIR (cookies dir)
        ):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "providers.json").write_text(stub)
    return {
        "HOME": str(home),
        "G4F_CONFIG_DIR": str(config),
        "G4F_CACHE_DIR": str(cache),
        "TMPDIR": str(temp),
    }


def isolated_env(tmp: Path, venv: Path, env: Optional[dict] = None) -> dict:
    """The whole environment of a child: nothing inherited but PATH & co.
    ``env`` adds variables; a value of None removes one."""
    base = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    base["PATH"] = f"{venv / 'bin'}{os.pathsep}{base.get('PATH', '/usr/bin:/bin')}"
    base.update(prepare_home(tmp))
    base.update(
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        HF_HUB_OFFLINE="1",
        NO_PROXY=LOCAL,
        no_proxy=LOCAL,
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
        http_proxy=DEAD_PROXY,
        https_proxy=DEAD_PROXY,
    )
    for k, v in (env or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = str(v)
    for k in ENV_DROP:
        base.pop(k, None)
    return base


@dataclass
class RunResult:
    cmd: list
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    tmp: Path

    def describe(self, chars: int = 4000) -> str:
        return (f"$ {' '.join(map(str, self.cmd))[:500]}\nexit {self.returncode} after {self.seconds:.1f}s"
                f"\n--- stdout (tail) ---\n{self.stdout[-chars:]}\n--- stderr (tail) ---\n{self.stderr[-chars:]}")

    def results(self) -> list:
        return [json.loads(line[len(RESULT):]) for line in self.stdout.splitlines() if line.startswith(RESULT)]

    def result(self):
        """The last value the script passed to ``emit()``."""
        found = self.results()
        if not found:
            raise AssertionError("the script emitted no result\n" + self.describe())
        return found[-1]


_IMPORTS_US = re.compile(r"\b(?:import|from)\s+g4f_qwen_spaces(?!_hook)\b|import_module\(\s*['\"]g4f_qwen_spaces['\".]")


def script(*parts: str) -> str:
    """Join code fragments written at any indentation (each is dedented)."""
    return "\n".join(textwrap.dedent(part).strip("\n") for part in parts) + "\n"


def run_in_venv(venv: Path, code_or_args: Union[str, Sequence[str]], env: Optional[dict] = None, *,
                check: bool = True, timeout: float = RUN_TIMEOUT, files: Optional[dict] = None,
                preamble: bool = True, allow_plugin_import: bool = False) -> RunResult:
    """Run python code (a string; :data:`PREAMBLE` is prepended unless
    ``preamble=False``) or a command (a list; a bare first element is looked
    up in the venv's ``bin``) in an isolated environment whose ``cwd`` is a
    fresh temporary folder holding ``files`` ({name: bytes or str}).

    Scripts must not import ``g4f_qwen_spaces`` (that is the point); pass
    ``allow_plugin_import=True`` for the tests of the explicit API."""
    tmp = Path(tempfile.mkdtemp(prefix="g4fqs-dropin-"))
    try:
        full_env = isolated_env(tmp, venv, env)
        work = tmp / "work"
        for name, data in (files or {}).items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                target.write_text(data)
            else:
                target.write_bytes(data)
        if isinstance(code_or_args, str):
            code = textwrap.dedent(code_or_args)
            if not allow_plugin_import and _IMPORTS_US.search(code):
                raise ValueError("drop-in scripts must not import g4f_qwen_spaces")
            cmd = [str(venv_python(venv)), "-c", (PREAMBLE + code) if preamble else code]
        else:
            cmd = [str(a) for a in code_or_args]
            if os.sep not in cmd[0] and (venv / "bin" / cmd[0]).exists():
                cmd[0] = str(venv / "bin" / cmd[0])
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, cwd=str(work), env=full_env, capture_output=True, text=True,
                               timeout=timeout, stdin=subprocess.DEVNULL, errors="replace")
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"timed out after {timeout}s: {' '.join(cmd)[:300]}\n--- stdout ---\n"
                f"{(exc.stdout or b'')[-3000:]!r}\n--- stderr ---\n{(exc.stderr or b'')[-3000:]!r}") from None
        result = RunResult(cmd, r.returncode, r.stdout, r.stderr, time.monotonic() - t0, tmp)
        if check and r.returncode != 0:
            raise AssertionError("child failed\n" + result.describe())
        return result
    finally:
        if not _keep_tmp():
            shutil.rmtree(tmp, ignore_errors=True)


def run_json(venv: Path, code: str, env: Optional[dict] = None, **kwargs):
    """Run a script and return what it passed to ``emit()`` last."""
    return run_in_venv(venv, code, env, **kwargs).result()


# ---------------------------------------------------------------- servers ---


def closed_port_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}"


class G4fServer(Service):
    """``g4f gui`` or ``g4f api`` of a venv on 127.0.0.1, in its own process group."""

    def __init__(self, venv: Path, kind: str, env: Optional[dict] = None) -> None:
        assert kind in ("gui", "api"), kind
        self.name = kind
        super().__init__(Path(tempfile.mkdtemp(prefix=f"g4fqs-dropin-{kind}-")))
        self.venv, self.kind = venv, kind
        self.env = isolated_env(self.tmpdir, venv, env)

    @property
    def tmp(self) -> Path:
        return self.tmpdir

    def command(self) -> list[str]:
        g4f = str(self.venv / "bin" / "g4f")
        if self.kind == "gui":
            # same flags in 0.6.4.3 … 8.8.6 (g4f/gui/gui_parser.py)
            return [g4f, "gui", "--host", "127.0.0.1", "--port", str(self.port)]
        return [g4f, "api", "--bind", f"127.0.0.1:{self.port}"]

    def ready(self) -> bool:
        """Any HTTP answer will do (404 for an unknown path)."""
        http("GET", f"{self.url}/__dropin_ready__", timeout=2)
        return True

    def start(self) -> "G4fServer":
        self._t0 = time.monotonic()
        self.spawn(self.env, self.tmpdir / "work")
        return self

    def wait_ready(self, started: Optional[float] = None, timeout: float = START_TIMEOUT) -> None:  # type: ignore[override]
        super().wait_ready(self._t0 if started is None else started, timeout)

    def request(self, method: str, path: str, body=None, headers: Optional[dict] = None,
                timeout: float = 120) -> Response:
        if not self.alive:
            raise AssertionError(f"{self.describe()} is not running\n--- log tail ---\n{self.log_tail()}")
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            return http(method, f"{self.url}{path}", body, headers, timeout)
        except Exception as exc:
            raise AssertionError(f"{method} {path} on {self.describe()}: {exc!r}"
                                 f"\n--- log tail ---\n{self.log_tail()}") from exc

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> Response:
        return self.request("POST", path, body, **kw)

    def expect(self, response: Response, status: int = 200) -> Response:
        """Assert the status; the message carries the body and the server's log."""
        if response.status != status:
            raise AssertionError(f"HTTP {response.status} (wanted {status}) from {self.describe()}: "
                                 f"{response.text[:2000]}\n--- log tail ---\n{self.log_tail()}")
        return response

    def describe(self) -> str:
        return f"g4f {self.kind} ({self.venv.name}) on {self.url}"

    def stop(self) -> None:
        super().stop()
        if not _keep_tmp():
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def start_servers(venv: Path, kinds: Sequence[str] = ("gui", "api"), env: Optional[dict] = None) -> dict:
    """Start several g4f servers at once and wait for all; {kind: server}."""
    servers = {kind: G4fServer(venv, kind, env).start() for kind in kinds}
    try:
        for server in servers.values():
            server.wait_ready()
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers


def start_gui(venv: Path, env: Optional[dict] = None) -> G4fServer:
    """``g4f gui --host 127.0.0.1 --port P``, started and answering."""
    return start_servers(venv, ("gui",), env)["gui"]


def start_api(venv: Path, env: Optional[dict] = None) -> G4fServer:
    """``g4f api --bind 127.0.0.1:P``, started and answering."""
    return start_servers(venv, ("api",), env)["api"]


# --------------------------------------------------------- wire helpers ---


def multipart(fields: dict, files: Sequence[tuple] = ()) -> tuple[bytes, str]:
    """Encode ``fields`` ({name: str}) and ``files`` ([(field, filename, bytes,
    content type)]) as multipart/form-data; returns (body, content type)."""
    boundary = "dropin-" + uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode()
        out += str(value).encode() + b"\r\n"
    for name, filename, data, ctype in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


@dataclass
class GuiStream:
    content: str
    events: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    providers: list = field(default_factory=list)


def parse_gui_stream(text: str) -> GuiStream:
    """The body of ``POST /backend-api/v2/conversation``: JSON lines
    (≤ 8.0.5) or server-sent events whose ``data:`` lines are JSON (8.8)."""
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("event:", "id:", ":")):
            continue
        if line.startswith("data:"):
            line = line[5:].strip()
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append({"type": "unparsed", "line": line})
    content = "".join(str(e.get("content", "")) for e in events
                      if isinstance(e, dict) and e.get("type") == "content")
    errors = [e for e in events if isinstance(e, dict) and (
        e.get("type") == "error" or (e.get("type") == "message" and e.get("error")) or e.get("type") == "unparsed")]
    providers = [e.get("provider") for e in events if isinstance(e, dict) and e.get("type") == "provider"]
    return GuiStream(content, events, errors, providers)


def parse_sse_chat(text: str) -> tuple[str, list]:
    """OpenAI-style SSE chat chunks → (joined content, the decoded chunks)."""
    chunks = []
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        chunks.append(json.loads(data))
    content = "".join((c.get("choices") or [{}])[0].get("delta", {}).get("content") or ""
                      for c in chunks if isinstance(c, dict))
    return content, chunks


def tiny_png(width: int = 3, height: int = 2, rgb=(0, 128, 255)) -> bytes:
    """A valid PNG made with zlib only (deterministic bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
