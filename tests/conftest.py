"""Fixtures of every layer, and the set-up that runs before any test imports g4f.

g4f's config and cache folders point at a temporary directory (never the
developer's home), seeded with the providers list that g4f 8.x would otherwise
download at import. The package under test is the one installed in the
environment (tox installs the built wheel): the checkout's folder is only
appended to ``sys.path`` (``--import-mode=append``), for ``tests`` itself.

Layers (markers): a test that starts real Gradio servers is marked
``gradio``, one under tests/dropin ``dropin`` (both set here), browser tests
``browser``; ``pytest -m "not gradio and not dropin and not browser"`` is the
fast layer.

Gradio fixtures (each value is a running :class:`tests.servers.GradioServer`:
use ``.url``, ``.version``, ``.api_prefix``, ``.config()``):

``qvq_server``              QVQ app, params ["5", "6"], ids gradio5 / gradio6
``qwen2_server``            Qwen2 app, params ["4", "6"], ids gradio4 / gradio6
                            (chatbot: tuples on 4, messages with content parts on 6)
``qwen2_server_messages5``  Qwen2 app on gradio 5 with ``--chatbot-type messages``
``gradio_server_factory``   ``factory(app, version, *args)`` -> cached server per
                            (app, version, args); ``factory.fresh(...)`` -> a new
                            uncached one (use that if the test kills it);
                            ``factory.prefetch([(app, version, args), ...])``.

Servers start lazily and stop at the end of the session; on the first request,
every server the collected tests need (through the three fixed fixtures) is
started in parallel threads. Do not ``kill()`` a shared server.

Loopback only (tests/loopback.py): every test fails that connects to, or looks up,
anything but loopback (the guard refuses before a packet leaves); ``loopback_only``
is autouse.

``proxy`` (a recording forward proxy, tests/recordingproxy.py) and ``image_host`` (an
image URL server) serve tests/test_proxy.py.

Fault fixtures: ``socket_baseline`` (the test must leave as many TCP sockets
open as it found), ``fault`` (a started :class:`tests.faultserver.FaultServer`)
and ``fault_factory``.
"""
from __future__ import annotations

import atexit
import gc
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import loopback_only, pytest_runtest_call  # noqa: F401 - the guard: before anything connects
from tests.offline import prepare_g4f_home

G4F_HOME = Path(tempfile.mkdtemp(prefix="g4fqs-home-"))
atexit.register(shutil.rmtree, G4F_HOME, ignore_errors=True)
os.environ.update(prepare_g4f_home(G4F_HOME))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

from tests.faultserver import (  # noqa: E402
    CONNECTIONS,
    QWEN2_CONFIG,
    FaultServer,
    _stable_count,
    address,
    tcp_socket_count,
)
from tests.servers import POOL, GradioServer, ServerPool  # noqa: E402

import g4f.debug  # noqa: E402 - already imported by tests.faultserver

#: g4f's first completion would start a thread asking PyPI for its newest version
#: (0.6 to 8.0: in the caller's thread); ``debug.version_check`` is the only switch in
#: every version of the matrix (0.6.4.3, 7.5.0, 8.0.5, 8.8.x). Child processes that
#: use g4f set it in their script (tests/dropin/harness.py PREAMBLE, tests/test_lifecycle.py
#: CHILD, bench/run.py); g4f's own commands run with a dead loopback proxy (harness).
g4f.debug.version_check = False

#: The providers' URL variables (the providers themselves are imported by fixtures, late).
QVQ_ENV, QWEN2_ENV = "G4F_QWEN_QVQ_72B_URL", "G4F_QWEN_QWEN_2_72B_URL"

#: Fixtures that start real Gradio servers: a test using one is in the ``gradio`` layer.
GRADIO_FIXTURES = {"gradio_pool", "gradio_server_factory", "qvq_server", "qwen2_server", "qwen2_server_messages5",
                   "module_servers"}


#: The fast layer's selection, and how many processes it is spread over.
FAST_LAYER = ("not gradio", "not dropin", "not browser")
FAST_WORKERS = 4


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Spread the fast layer over :data:`FAST_WORKERS` processes (pytest-xdist).

    Most of its time is waiting: about 40 tests prove a deadline, a stall
    timeout or a wake-up backoff against a server that deliberately hangs.
    Only when the selection leaves out every server layer (their session
    fixtures would start once per worker) and no ``-n`` was given; ``-n 0``
    runs it in one process.
    """
    option = config.option
    if getattr(option, "numprocesses", 0) is not None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if option.collectonly or not all(term in (option.markexpr or "") for term in FAST_LAYER):
        return
    option.numprocesses = FAST_WORKERS
    option.dist = "load"
    option.tx = ["popen"] * FAST_WORKERS


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what import and collection made out of the collector's way.

    ``socket_baseline`` collects garbage around every test; with g4f and the
    test modules frozen, that costs a few milliseconds instead of tens.
    """
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its layer, so ``-m "not gradio and not dropin and not browser"`` is the fast one."""
    for item in items:
        if "dropin" in item.path.parts:
            item.add_marker(pytest.mark.dropin)
        if GRADIO_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gradio)


# -- Gradio servers ------------------------------------------------------------------

QVQ = "qvq_space"
QWEN2 = "qwen2_space"

# fixture name -> (app, version or None when parametrised, args)
_FIXED = {
    "qvq_server": (QVQ, None, ()),
    "qwen2_server": (QWEN2, None, ()),
    "qwen2_server_messages5": (QWEN2, "5", ("--chatbot-type", "messages")),
}

_prefetched = False


def _wanted_specs(session) -> list[tuple]:
    """Servers needed by the collected (and not deselected) tests."""
    specs = []
    for item in getattr(session, "items", ()) or ():
        names = getattr(item, "fixturenames", ())
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        for name, (app, version, args) in _FIXED.items():
            if name not in names:
                continue
            version = version or params.get(name)
            if version is None:
                continue
            spec = (app, str(version), args)
            if spec not in specs:
                specs.append(spec)
    return specs


def _get(request, app: str, version: str, args=()) -> GradioServer:
    global _prefetched
    if not _prefetched:
        _prefetched = True
        POOL.prefetch(_wanted_specs(request.session))
    return POOL.get(app, version, *args)


@pytest.fixture(scope="session")
def gradio_pool():
    """The process-wide :class:`ServerPool`; stops every server at session end."""
    global _prefetched
    _prefetched = False
    yield POOL
    POOL.close()


class GradioServerFactory:
    def __init__(self, pool: ServerPool) -> None:
        self.pool = pool

    def __call__(self, app: str, version: str, *args: str) -> GradioServer:
        return self.pool.get(app, version, *args)

    def fresh(self, app: str, version: str, *args: str) -> GradioServer:
        return self.pool.fresh(app, version, *args)

    def prefetch(self, specs) -> None:
        self.pool.prefetch(specs)


@pytest.fixture(scope="session")
def gradio_server_factory(gradio_pool) -> GradioServerFactory:
    """``factory("qvq_space", "5", "--show-error")`` -> running server (cached)."""
    return GradioServerFactory(gradio_pool)


@pytest.fixture(scope="session", params=["5", "6"], ids=["gradio5", "gradio6"])
def qvq_server(request, gradio_pool) -> GradioServer:
    return _get(request, QVQ, request.param)


@pytest.fixture(scope="session", params=["4", "6"], ids=["gradio4", "gradio6"])
def qwen2_server(request, gradio_pool) -> GradioServer:
    return _get(request, QWEN2, request.param)


@pytest.fixture(scope="session")
def qwen2_server_messages5(request, gradio_pool) -> GradioServer:
    return _get(request, QWEN2, "5", ("--chatbot-type", "messages"))


# -- faults and sockets --------------------------------------------------------------


@pytest.fixture
def socket_baseline():
    """Fail the test if it leaves more (or fewer) TCP sockets open than it found.

    After the test, up to 1 s is allowed for closes to settle (a closed
    aiohttp transport drops its socket on the next loop iteration). Set
    ``G4FQS_DEBUG_SOCKETS=1`` (with ``-s``) to print the counts and settle time.
    """
    gc.collect()
    before = _stable_count()
    yield before
    deadline = time.monotonic() + 1.0
    now = tcp_socket_count()
    while now != before and time.monotonic() < deadline:
        gc.collect()  # only when needed: an unreferenced session may still hold one
        now = tcp_socket_count()
        if now != before:
            time.sleep(0.02)
    if os.environ.get("G4FQS_DEBUG_SOCKETS"):
        print(f"\n[sockets] settled in {1.0 - (deadline - time.monotonic()):.3f} s: {before} -> {now}")
    assert now == before, f"open TCP sockets: {before} before the test, {now} after"


def _forget_config(server: FaultServer) -> None:
    # Ports are reused: a config cached for an earlier server on the same
    # port must not stand in for this one's /config.
    from g4f_qwen_spaces.space import CONFIG_CACHE

    CONFIG_CACHE.invalidate(server.url)


@pytest.fixture
def fault(socket_baseline):
    """A started :class:`FaultServer` (stopped after the test)."""
    server = FaultServer().start()
    _forget_config(server)
    try:
        yield server
    finally:
        server.stop()
        _forget_config(server)


@pytest.fixture
def fault_factory(socket_baseline):
    """``fault_factory(host=..., ssl_context=..., config=...)`` -> a started FaultServer."""
    servers: list[FaultServer] = []

    def make(**options: Any) -> FaultServer:
        server = FaultServer(**options).start()
        _forget_config(server)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()
            _forget_config(server)


@pytest.fixture
def qvq_at(fault, monkeypatch):
    """QVQ pointed at a fault server (its default config: the QVQ shape)."""
    monkeypatch.setenv(QVQ_ENV, fault.url)
    return fault


@pytest.fixture
def qwen2_at(fault_factory, monkeypatch):
    """Qwen2 pointed at a fault server with Qwen2's config shape."""
    server = fault_factory(config=QWEN2_CONFIG)
    monkeypatch.setenv(QWEN2_ENV, server.url)
    return server


@pytest.fixture
def allowed():
    """The hosts a test may reach (``space`` adds the Space); any other connection fails it."""
    hosts: set[tuple[str, int]] = set()
    start = len(CONNECTIONS)
    yield hosts
    reached = set(CONNECTIONS[start:])
    assert reached <= hosts, f"contacted {sorted(reached - hosts)} besides {sorted(hosts)}"


@pytest.fixture
def space(fault, monkeypatch, allowed):
    """QVQ pointed at a fault server, the only host the test may reach."""
    monkeypatch.setenv(QVQ_ENV, fault.url)
    allowed.add(address(fault.url))
    return fault


@pytest.fixture
def proxy(socket_baseline):
    """A started :class:`tests.recordingproxy.RecordingProxy` (use ``.url`` as ``proxy=``)."""
    from tests.recordingproxy import RecordingProxy

    server = RecordingProxy().start()
    yield server
    server.stop()


@pytest.fixture
def image_host(fault_factory, monkeypatch):
    """A fault server serving a PNG at ``/pics/fox.png``; image URLs on loopback allowed."""
    import io

    from PIL import Image

    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV
    from tests.faultserver import respond

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (255, 0, 0)).save(buffer, "PNG")
    server = fault_factory()
    server.route("GET", "/pics/fox.png", respond(200, buffer.getvalue(), content_type="image/png"))
    return server


@pytest.fixture(scope="module")
def recording_servers():
    """One fault server per provider (Qwen2's with its config shape), for a whole module."""
    from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B

    qvq, qwen2 = FaultServer().start(), FaultServer(config=QWEN2_CONFIG).start()
    yield {Qwen_QVQ_72B: qvq, Qwen_Qwen_2_72B: qwen2}
    qvq.stop()
    qwen2.stop()


@pytest.fixture
def recorder(recording_servers, monkeypatch):
    """Each provider pointed at a recording server, no requests recorded yet."""
    for provider, server in recording_servers.items():
        server.requests.clear()
        monkeypatch.setenv(provider.url_env, server.url)
    return recording_servers


@pytest.fixture
def blackhole(socket_baseline):
    """A port whose accept backlog is full: a connect gets no answer at all."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.05)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    for sock in fillers + [listener]:
        sock.close()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """(cert, key) of a self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, timeout=60,
    )
    if result.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate: {result.stderr[-300:]!r}")
    return cert, key


# -- state our package keeps per process ---------------------------------------------


@pytest.fixture
def secret(request):
    """The requesting module's ``TOKEN``, registered for redaction during the test."""
    from g4f_qwen_spaces.space.redact import register_secret, release_secret

    token = request.module.TOKEN
    register_secret(token)
    yield token
    release_secret(token)


@pytest.fixture
def real_urls(monkeypatch):
    """Both providers on their real Space URLs, no config cached before or after."""
    from g4f_qwen_spaces.space import CONFIG_CACHE

    monkeypatch.delenv(QVQ_ENV, raising=False)
    monkeypatch.delenv(QWEN2_ENV, raising=False)
    CONFIG_CACHE.invalidate()
    yield
    CONFIG_CACHE.invalidate()


@pytest.fixture
def lifecycle_isolated(tmp_path, monkeypatch):
    """Its own g4f cache folder; no wake limit, cool-downs or cached configs from other tests."""
    from g4f_qwen_spaces.space import CONFIG_CACHE
    from g4f_qwen_spaces.space.copies import COOLDOWN
    from g4f_qwen_spaces.space.wake import WAKE_ENV

    monkeypatch.setenv("G4F_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(WAKE_ENV, raising=False)
    monkeypatch.delenv("G4F_QWEN_SPACES_COOLDOWN", raising=False)
    COOLDOWN.clear()
    CONFIG_CACHE.invalidate()
    yield
    COOLDOWN.clear()
    CONFIG_CACHE.invalidate()


# -- providers pointed at Gradio servers ---------------------------------------------


@pytest.fixture
def qvq(qvq_server, monkeypatch):
    monkeypatch.setenv(QVQ_ENV, qvq_server.url)
    return qvq_server


@pytest.fixture
def qwen2(qwen2_server, monkeypatch):
    monkeypatch.setenv(QWEN2_ENV, qwen2_server.url)
    return qwen2_server


@pytest.fixture
def gradio_spaces(qvq, qwen2):
    """Both providers pointed at Gradio servers: (QVQ's server, Qwen2's server)."""
    return qvq, qwen2


@pytest.fixture(scope="module")
def module_servers(request, gradio_server_factory):
    """Every server the requesting module lists in ``SPECS`` (app, version, args), started together."""
    specs = request.module.SPECS
    gradio_server_factory.prefetch(specs)
    return {(app, version, args): gradio_server_factory(app, version, *args) for app, version, args in specs}


@pytest.fixture
def use(module_servers, socket_baseline, monkeypatch):
    """``use(app, version, *args)`` points that app's provider at one of ``module_servers``."""
    from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B

    def point(app: str, version: str, *args: str):
        server = module_servers[(app, version, tuple(args))]
        provider = Qwen_QVQ_72B if app == "qvq_space" else Qwen_Qwen_2_72B
        monkeypatch.setenv(provider.url_env, server.url)
        return server, provider

    return point


# -- g4f ---------------------------------------------------------------------------------


@pytest.fixture
def circuit_breaker():
    """g4f's provider circuit breaker (8.8+; None before), reset around the test."""
    from g4f.providers import retry_provider

    breaker = getattr(retry_provider, "ProviderCircuitBreaker", None)
    if breaker is not None:
        breaker.reset()
    yield breaker
    if breaker is not None:
        breaker.reset()


@pytest.fixture
def g4f_debug_log(monkeypatch):
    """What g4f.debug logs (every g4f version logs a failed provider there)."""
    from g4f import debug

    lines: list[str] = []
    monkeypatch.setattr(debug, "logging", True)
    monkeypatch.setattr(debug, "log_handler", lambda *text, **_: lines.append(" ".join(map(str, text))))
    return lines


# -- files -----------------------------------------------------------------------------


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


# -- Hugging Face on loopback ----------------------------------------------------------

HF_SUFFIX = ".hf.space"


@pytest.fixture
def hf_names(monkeypatch):
    """``*.hf.space`` names resolve to 127.0.0.1, in this process only; no Hub unless a test starts one.

    The client decides by host name whether a Space is on Hugging Face (the
    token header, the Hub), so tests need such names on loopback. aiohttp's
    resolver here is its ThreadedResolver (no aiodns installed), which calls
    ``socket.getaddrinfo`` at each lookup: patching that is enough, and any
    other name resolves as before. ``HF_ENDPOINT`` points at a closed
    loopback port, so a Hub question never leaves the machine.
    ``hf_names(url, "sub")`` -> the same server as ``http://sub.hf.space:PORT``.
    """
    from urllib.parse import urlsplit

    from tests.faultserver import dead_port

    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().rstrip(".").endswith(HF_SUFFIX):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{dead_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,.hf.space")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,.hf.space")

    from g4f_qwen_spaces.space import CONFIG_CACHE

    made: list[str] = []

    def on_hf(url: str, sub: str) -> str:
        parts = urlsplit(url)
        name = f"{parts.scheme}://{sub}{HF_SUFFIX}:{parts.port}"
        CONFIG_CACHE.invalidate(name)  # ports are reused: no config of an earlier server
        made.append(name)
        return name

    yield on_hf
    for name in made:
        CONFIG_CACHE.invalidate(name)


@pytest.fixture
def hub(hf_names, monkeypatch):
    """A started :class:`tests.hfproxy.HubServer`, set as ``HF_ENDPOINT``."""
    from tests.hfproxy import HubServer

    server = HubServer().start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    try:
        yield server
    finally:
        server.stop()
