"""A misbehaving Gradio-5-like server on 127.0.0.1, and a socket-leak guard.

:class:`FaultServer` runs an ``aiohttp.web`` app in a thread of its own (its
own event loop), so both async tests and g4f's synchronous API can talk to
it. It answers like a Gradio 5 app with one queued ``generate`` endpoint
(``/config``, ``/gradio_api/upload``, ``/gradio_api/queue/join``,
``/gradio_api/queue/data``, ``/gradio_api/cancel``) until a test tells it to
misbehave:

* ``server.route(method, path, handler)`` replaces one route's handler
  (``respond(...)``, ``redirect(...)``, ``stall()``, or any async function of
  the request);
* ``server.script = [...]`` is what ``queue/data`` sends: message dicts
  (see ``generating``/``append``/``completed``/``failed``/... below), raw
  ``bytes``, and the steps :data:`HANG`, :data:`RESET`, ``Sleep(s)``,
  ``Heartbeats(every, for_)``, ``Wait(threading.Event)``. After the last
  step the response ends cleanly (no terminator is added: a script that does
  not send ``process_completed`` ends "without completion").

Every request is recorded (``server.requests``: method, path, query,
headers, body, uploaded file names); ``server.disconnects`` counts streams
the client dropped; ``server.wait_for(predicate)`` waits for a condition.

:func:`tcp_socket_count` and the ``socket_baseline`` fixture check that a
test leaves no TCP socket of this process open.
"""
from __future__ import annotations

import asyncio
import copy
import json
import os
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

import pytest
from aiohttp import web
from g4f.errors import G4FError

__all__ = [
    "FaultServer",
    "Outcome",
    "run",
    "check_error",
    "raised_by",
    "assert_plain",
    "dead_port",
    "QUOTA",
    "GUARD",
    "PREFIX",
    "CONFIG",
    "QWEN2_CONFIG",
    "QWEN2_DEFAULT_SYSTEM",
    "Recorded",
    "HANG",
    "RESET",
    "Sleep",
    "Heartbeats",
    "Wait",
    "Drip",
    "sse",
    "estimation",
    "starts",
    "generating",
    "append",
    "completed",
    "failed",
    "heartbeat",
    "close_stream",
    "unexpected_error",
    "respond",
    "redirect",
    "stall",
    "text_script",
    "tcp_socket_count",
    "socket_baseline",
    "fault",
    "fault_factory",
]

PREFIX = "/gradio_api"
EVENT_ID = "f00dfeedf00dfeedf00dfeedf00dfeed"

#: A Gradio 5.49-like config of the QVQ Space shape: fn 0 "clear", fn 1
#: "generate"(image, textbox) -> textbox.
CONFIG: dict = {
    "version": "5.49.1",
    "mode": "blocks",
    "protocol": "sse_v3",
    "api_prefix": PREFIX,
    "enable_queue": True,
    "max_file_size": None,
    "components": [
        {"id": 1, "type": "image", "props": {"type": "filepath"}},
        {"id": 2, "type": "textbox", "props": {"value": ""}},
        {"id": 3, "type": "textbox", "props": {"value": ""}},
        {"id": 4, "type": "button", "props": {}},
        {"id": 5, "type": "button", "props": {}},
    ],
    "dependencies": [
        {"id": 0, "targets": [[4, "click"]], "inputs": [], "outputs": [1, 2, 3],
         "api_name": "clear", "queue": True, "types": {"generator": False, "cancel": False}},
        {"id": 1, "targets": [[5, "click"]], "inputs": [1, 2], "outputs": [3],
         "api_name": "generate", "queue": True, "types": {"generator": True, "cancel": False}},
    ],
}

#: The default system prompt of the fault server's Qwen2 config: distinctive, so
#: a test of "the Space's default, read from the Space" fails if we send our own.
QWEN2_DEFAULT_SYSTEM = "You are a lighthouse keeper (the fault server's default)."

#: The Qwen2 Space as published (Gradio 4.32.1; /work/shared/NOTES.md, "The two
#: Spaces"), trimmed to what a client reads from a real 4.32.1 server's /config:
#: no api_prefix; fn 0 textbox.submit -> model_chat (auto-named), fn 1 the Send
#: button's model_chat ("model_chat_1"), fn 2 clear_session, fn 3
#: modify_system_session; inputs [textbox, chatbot, system_state] where
#: system_state (8) is a hidden Textbox; outputs [textbox, chatbot, system_input].
QWEN2_CONFIG: dict = {
    "version": "4.32.1",
    "mode": "blocks",
    "protocol": "sse_v3",
    "enable_queue": True,
    "show_error": False,
    "max_file_size": None,
    "components": [
        {"id": 4, "type": "textbox", "props": {"value": QWEN2_DEFAULT_SYSTEM, "label": "System", "visible": True}},
        {"id": 7, "type": "button", "props": {"value": "🛠️ Set system prompt and clear history"}},
        {"id": 8, "type": "textbox", "props": {"value": QWEN2_DEFAULT_SYSTEM, "visible": False}},
        {"id": 10, "type": "chatbot", "props": {"value": [], "label": "qwen2-72B-instruct", "visible": True}},
        {"id": 11, "type": "textbox", "props": {"label": "Input", "visible": True}},
        {"id": 13, "type": "button", "props": {"value": "🧹 Clear history"}},
        {"id": 14, "type": "button", "props": {"value": "🚀 Send"}},
    ],
    "dependencies": [
        {"id": 0, "targets": [[11, "submit"]], "inputs": [11, 10, 8], "outputs": [11, 10, 4],
         "api_name": "model_chat", "queue": True, "types": {"continuous": False, "generator": True}},
        {"id": 1, "targets": [[14, "click"]], "inputs": [11, 10, 8], "outputs": [11, 10, 4],
         "api_name": "model_chat_1", "queue": True, "types": {"continuous": False, "generator": True}},
        {"id": 2, "targets": [[13, "click"]], "inputs": [], "outputs": [11, 10],
         "api_name": "clear_session", "queue": True, "types": {"continuous": False, "generator": False}},
        {"id": 3, "targets": [[7, "click"]], "inputs": [4], "outputs": [8, 4, 10],
         "api_name": "modify_system_session", "queue": True, "types": {"continuous": False, "generator": False}},
    ],
}


# -- queue/data messages --------------------------------------------------------


def sse(message: Any) -> bytes:
    """One server-sent event carrying ``message`` as JSON (Gradio's framing)."""
    return b"data: " + json.dumps(message, ensure_ascii=False).encode() + b"\n\n"


def estimation(rank: int = 0, queue_size: int = 1, eta: Optional[float] = None) -> dict:
    return {"msg": "estimation", "event_id": EVENT_ID, "rank": rank, "queue_size": queue_size,
            "rank_eta": eta}


def starts(eta: Optional[float] = None) -> dict:
    return {"msg": "process_starts", "event_id": EVENT_ID, "eta": eta}


def generating(*values: Any) -> dict:
    """The first ``process_generating`` of an event: full output values."""
    return {"msg": "process_generating", "event_id": EVENT_ID, "success": True,
            "output": {"data": list(values), "is_generating": True}}


def append(text: str) -> dict:
    """A later ``process_generating``: append ``text`` to the single output."""
    return {"msg": "process_generating", "event_id": EVENT_ID, "success": True,
            "output": {"data": [[["append", [], text]]], "is_generating": True}}


def completed(*values: Any) -> dict:
    return {"msg": "process_completed", "event_id": EVENT_ID, "success": True,
            "output": {"data": list(values), "is_generating": False}}


def failed(error: Optional[str], major: int = 5) -> dict:
    """``process_completed`` with ``success: false`` as Gradio ``major`` sends it."""
    if major == 4 and error is not None:
        error = repr(error)
    output: dict = {"error": error}
    if error is not None:
        output.update(duration=10, visible=True, title="Error")
    return {"msg": "process_completed", "event_id": EVENT_ID, "success": False, "output": output,
            "title": "Error"}


def heartbeat() -> dict:
    return {"msg": "heartbeat", "event_id": None}


def close_stream() -> dict:
    return {"msg": "close_stream", "event_id": None}


def unexpected_error(message: str) -> dict:
    return {"msg": "unexpected_error", "event_id": None, "message": message, "success": False}


def text_script(pieces: list[str], *, complete: bool = True) -> list:
    """A streamed answer: full value, appends, then ``process_completed`` (optional)."""
    steps: list = [estimation(), starts(), generating(pieces[0])]
    steps += [append(p) for p in pieces[1:]]
    if complete:
        steps += [completed("".join(pieces)), close_stream()]
    return steps


# -- script steps ---------------------------------------------------------------


class _Step:
    pass


class _Hang(_Step):
    """Send nothing more, until the client leaves (or the server stops)."""


class _Reset(_Step):
    """Abort the TCP connection (RST) in the middle of the response."""


HANG = _Hang()
RESET = _Reset()


@dataclass
class Sleep(_Step):
    seconds: float


@dataclass
class Heartbeats(_Step):
    """A heartbeat every ``every`` seconds, for ``for_`` seconds (None: forever)."""

    every: float
    for_: Optional[float] = None


@dataclass
class Drip(_Step):
    """``data`` one byte at a time, one every ``every`` seconds, until the client leaves."""

    data: bytes
    every: float


@dataclass
class Wait(_Step):
    """Block the stream until ``event`` (a threading.Event) is set by the test."""

    event: threading.Event


# -- route handlers -------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def respond(status: int, body: Any = "", *, content_type: Optional[str] = None,
            headers: Optional[dict] = None) -> Handler:
    """A handler answering ``status`` with ``body`` (a dict/list is sent as JSON)."""
    if isinstance(body, (dict, list)):
        body, content_type = json.dumps(body), content_type or "application/json"
    content_type = content_type or "text/plain"

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body.encode() if isinstance(body, str) else body,
                            content_type=content_type, headers=headers)

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


def stall(status: int = 200, content_type: str = "application/json") -> Handler:
    """Send the status line and headers, then nothing, until the client leaves."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers={"Content-Type": content_type})
        await response.prepare(request)
        await asyncio.Event().wait()  # cancelled when the client disconnects
        return response

    return handler


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict  # lower-cased names
    body: bytes = b""
    files: list = field(default_factory=list)  # upload file names, as received
    peer: tuple = ()  # the client's (address, port): one per TCP connection

    def json(self) -> Any:
        return json.loads(self.body)


# aiohttp >= 3.13 wants typed request keys; older versions take a string.
RECORD = web.RequestKey("record", Recorded) if hasattr(web, "RequestKey") else "record"


class FaultServer:
    """A configurable fake Space; ``start()`` it, ``stop()`` it (idempotent)."""

    def __init__(self, host: str = "127.0.0.1", ssl_context: Optional[ssl.SSLContext] = None,
                 config: Optional[dict] = None) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.config = copy.deepcopy(config if config is not None else CONFIG)
        self.script: list = text_script(["Hello", " world"])
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self.event_id = EVENT_ID
        self._routes: dict[tuple[str, str], Handler] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._changed = threading.Condition()
        self.port = 0

    # -- life cycle

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> "FaultServer":
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"faultserver-{id(self):x}", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a client that leaves cancels its handler, so
        # HANG/stall steps end with the connection and are counted.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5,
                                     access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)
            loop.close()

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- configuration

    @property
    def prefix(self) -> str:
        """The API prefix the config declares (Gradio 4: none)."""
        return str(self.config.get("api_prefix") or "").rstrip("/")

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``method path`` with ``handler`` (``path`` as sent, prefix included)."""
        self._routes[(method.upper(), path)] = handler

    # -- observation

    def paths(self, method: Optional[str] = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def connections(self) -> int:
        """How many TCP connections the recorded requests came on (distinct client ports)."""
        return len({r.peer for r in self.requests})

    def requests_to(self, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(suffix)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate()`` is true (checked on every server event) or timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.05))
        return True

    async def async_wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # -- serving

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        record = Recorded(request.method, request.path, dict(request.query),
                          {k.lower(): v for k, v in request.headers.items()}, body)
        if request.path.endswith("/upload") and request.content_type.startswith("multipart/"):
            record.files = _multipart_filenames(request, body)
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        record.peer = tuple(peer[:2]) if peer else ()
        request[RECORD] = record
        self.requests.append(record)
        self._notify()
        handler = self._routes.get((request.method, request.path)) or self._default(request)
        return await handler(request)

    def _default(self, request: web.Request) -> Handler:
        method, path = request.method, request.path
        prefix = self.prefix
        if method == "GET" and path == "/config":
            return self._config
        if method == "POST" and path == f"{prefix}/upload":
            return self._upload
        if method == "POST" and path == f"{prefix}/queue/join":
            return respond(200, {"event_id": self.event_id})
        if method == "GET" and path == f"{prefix}/queue/data":
            return self._stream
        if method == "POST" and path == f"{prefix}/cancel":
            return respond(200, {"success": True})
        return respond(404, {"detail": "Not Found"})

    async def _config(self, request: web.Request) -> web.StreamResponse:
        config = dict(self.config, root=self.url)
        return web.json_response(config)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        names = request[RECORD].files
        return web.json_response([f"/tmp/gradio/fault/{name}" for name in names])

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "text/event-stream; charset=utf-8",
                                 "Cache-Control": "no-cache"})
        await response.prepare(request)
        try:
            for step in list(self.script):
                if isinstance(step, bytes):
                    await response.write(step)
                elif isinstance(step, dict):
                    await response.write(sse(step))
                elif isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds)
                elif isinstance(step, Heartbeats):
                    end = None if step.for_ is None else time.monotonic() + step.for_
                    while end is None or time.monotonic() < end:
                        await asyncio.sleep(step.every)
                        await response.write(sse(heartbeat()))
                elif isinstance(step, Drip):
                    for index in range(len(step.data)):
                        await response.write(step.data[index : index + 1])
                        await asyncio.sleep(step.every)
                    await asyncio.Event().wait()
                elif isinstance(step, Wait):
                    while not step.event.is_set():
                        await asyncio.sleep(0.01)
                elif step is HANG:
                    await asyncio.Event().wait()
                elif step is RESET:
                    request.transport.abort()  # type: ignore[union-attr]
                    await asyncio.Event().wait()
                else:
                    raise TypeError(f"unknown script step {step!r}")
            await response.write_eof()
        except (asyncio.CancelledError, ConnectionError):
            self.disconnects += 1
            self._notify()
            raise
        return response


def _multipart_filenames(request: web.Request, body: bytes) -> list[str]:
    """File names of the multipart parts, exactly as the client sent them."""
    import email.parser
    import email.policy

    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    names = []
    for part in message.iter_parts():
        name = part.get_param("filename", header="content-disposition")
        if name is not None:
            names.append(name)
    return names


# -- driving a provider -------------------------------------------------------

QUOTA = "You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:01:05"
#: Upper bound on any single call: a hang fails the test instead of the suite.
GUARD = 25.0
HI = [{"role": "user", "content": "hi"}]


# -- helpers --------------------------------------------------------------------------


@dataclass
class Outcome:
    chunks: list = field(default_factory=list)
    error: Optional[BaseException] = None
    elapsed: float = 0.0

    @property
    def texts(self) -> list[str]:
        return [c for c in self.chunks if isinstance(c, str)]

    @property
    def text(self) -> str:
        return "".join(self.texts)


async def run(provider=None, messages=HI, *, model: str = "", guard: float = GUARD,
              on_chunk: Optional[Callable[[Any], None]] = None, **kwargs: Any) -> Outcome:
    """Drive a provider to its end; record chunks, the error and the time taken
    (``on_chunk`` sees each chunk as it arrives)."""
    if provider is None:
        from g4f_qwen_spaces import Qwen_QVQ_72B as provider
    outcome = Outcome()
    start = time.monotonic()

    async def consume() -> None:
        async for chunk in provider.create_async_generator(model, messages, **kwargs):
            outcome.chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(chunk)

    try:
        await asyncio.wait_for(consume(), guard)
    except asyncio.TimeoutError as error:
        if not isinstance(error, G4FError):
            pytest.fail(f"the call hung: no error after {guard:g} s (chunks: {outcome.chunks!r})")
        outcome.error = error
    except Exception as error:  # noqa: BLE001 - the test inspects it
        outcome.error = error
    outcome.elapsed = time.monotonic() - start
    return outcome


async def raised_by(job: Any, kind: type[BaseException]) -> Any:
    """What iterating a Space client's ``job`` raises (it must be ``kind``); the job is closed on every path."""
    try:
        with pytest.raises(kind) as caught:
            async for _ in job:
                pass
    finally:
        await job.aclose()
    return caught.value


def check_error(outcome: Outcome, base: type, ours: type, *fragments: str,
                within: Optional[float] = None) -> BaseException:
    """The call failed with ``base`` and ``ours``; message plain and containing ``fragments``."""
    error = outcome.error
    assert error is not None, f"no error; text {outcome.text!r}"
    assert isinstance(error, base), f"{type(error).__mro__} is not a {base}: {error}"
    assert isinstance(error, ours), f"{type(error).__mro__} is not a {ours}: {error}"
    message = str(error)
    for fragment in fragments:
        assert fragment.lower() in message.lower(), f"{fragment!r} not in {message!r}"
    assert_plain(message)
    if within is not None:
        assert outcome.elapsed < within, f"took {outcome.elapsed:.2f} s (bound {within} s): {message}"
    return error


def assert_plain(message: str) -> None:
    assert message and len(message) <= 400, message
    assert "\n" not in message, message
    assert "<" not in message and ">" not in message, f"HTML in {message!r}"
    assert "Traceback" not in message, message


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]



# -- sockets --------------------------------------------------------------------


def _tcp_inodes() -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines, None)
                for line in lines:
                    fields = line.split()
                    if len(fields) > 9:
                        inodes.add(fields[9])
        except OSError:
            pass
    return inodes


def tcp_socket_count() -> int:
    """Open TCP sockets (client, server and listening) held by this process.

    Only TCP counts: the event loop's own self-pipe is a Unix socketpair, and
    pytest-asyncio creates and closes a loop per test around our fixture.
    """
    tcp = _tcp_inodes()
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in tcp:
            count += 1
    return count


def _stable_count(still: float = 0.06, within: float = 1.0) -> int:
    """The count once it has not changed for ``still`` seconds (at most ``within``).

    Connections pooled by an earlier test close when its event loop closes;
    the in-process server's end of each follows a moment later, in its own
    thread. A count taken in between would blame the next test for it.
    """
    previous, since = tcp_socket_count(), time.monotonic()
    end = since + within
    while time.monotonic() < end:
        time.sleep(0.01)
        current = tcp_socket_count()
        if current != previous:
            previous, since = current, time.monotonic()
        elif time.monotonic() - since >= still:
            return current
    return previous


# -- which hosts a test reached ----------------------------------------------------

#: Every TCP connection this process opens, from Python's audit hook: (host, port).
CONNECTIONS: list[tuple[str, int]] = []


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" and isinstance(args[1], tuple) and len(args[1]) >= 2:
        CONNECTIONS.append((str(args[1][0]), int(args[1][1])))


sys.addaudithook(_audit)


def address(url: str) -> tuple[str, int]:
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    return host, int(port.split("/")[0])
