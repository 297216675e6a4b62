"""A hostile Space: whatever it sends, a call stays bounded, typed, on its origin, secret-free.

Each test drives the provider against the scripted fault server (or a raw
socket where aiohttp's server cannot produce the bytes) and asserts the error
type (ours and its g4f parent), the message, an elapsed-time bound, and that
no other host was contacted. Memory cases run in a subprocess whose address
space is capped at 512 MB: an unbounded read would die there with MemoryError.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import zlib
from pathlib import Path

import pytest
from g4f.errors import ResponseError, ResponseStatusError
from g4f.errors import TimeoutError as G4FTimeoutError

from g4f_qwen_spaces import Qwen_QVQ_72B
from g4f_qwen_spaces.space import (
    SpaceConnectionError,
    SpaceInputError,
    SpaceLimitError,
    SpaceProtocolError,
    SpaceStatusError,
    SpaceTimeoutError,
)
from g4f_qwen_spaces.space.limits import DEADLINE_ENV, STREAM_ENV
from tests.faultserver import (
    CONNECTIONS,
    address,
    CONFIG,
    EVENT_ID,
    PREFIX,
    Drip,
    Heartbeats,
    append,
    check_error,
    generating,
    respond,
    run,
    sse,
    stall,
)

ROOT = Path(__file__).resolve().parent.parent
ENV = Qwen_QVQ_72B.url_env
TOKEN = "hf_TestTokenThatMustNeverLeak0123456789"
GIB = 1 << 30
MIB = 1 << 20


async def test_the_connection_audit_sees_every_connection(space):
    start = len(CONNECTIONS)
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world"
    assert set(CONNECTIONS[start:]) == {address(space.url)}
    assert 1 <= len(CONNECTIONS) - start <= len(space.requests) == 3  # config, join, data (kept alive)


# -- compression bombs -------------------------------------------------------------

_BLOCKS: dict[bytes, bytes] = {}


def _flushed(data: bytes) -> bytes:
    """Raw deflate of ``data`` ending in a full flush: independent, byte-aligned, repeatable."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def bomb(prefix: bytes, unit: bytes = b" ", size: int = GIB) -> bytes:
    """A gzip body of about ``size / 1000`` bytes that inflates to ``prefix`` + ``size`` bytes.

    64 MiB of ``unit`` is compressed once and its fully-flushed block repeated:
    a deflate stream may be cut and continued at any full flush.
    """
    if unit not in _BLOCKS:
        _BLOCKS[unit] = _flushed(unit * (64 * MIB // len(unit)))
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + _flushed(prefix) + _BLOCKS[unit] * (size // (64 * MIB))


def test_bomb_inflates_to_its_size():
    data = bomb(b"<html>", size=128 * MIB)
    assert len(data) < 200_000
    inflater = zlib.decompressobj(31)
    total = 0
    while data:
        total += len(inflater.decompress(data, 16 * MIB))
        data = inflater.unconsumed_tail
    assert total == 6 + 128 * MIB


def gzipped(body: bytes, content_type: str, status: int = 200):
    return respond(status, body, content_type=content_type, headers={"Content-Encoding": "gzip"})


MEMORY_RUNNER = textwrap.dedent(
    """
    import asyncio, json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))
    from g4f_qwen_spaces import Qwen_QVQ_72B

    def peak_rss_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    async def main():
        start = time.monotonic()
        error = None
        try:
            async for _ in Qwen_QVQ_72B.create_async_generator("", [{"role": "user", "content": "hi"}]):
                pass
        except BaseException as caught:
            error = caught
        return {
            "types": [c.__name__ for c in type(error).__mro__] if error else [],
            "message": str(error),
            "limit": getattr(error, "limit", None),
            "elapsed": time.monotonic() - start,
            # VmHWM, not ru_maxrss: the latter is inherited from the parent across fork/exec.
            "peak_rss_mb": peak_rss_kb() / 1024,
        }

    print(json.dumps(asyncio.run(main())))
    """
)


def run_capped(url: str, **env: str) -> dict:
    """One provider call in a subprocess limited to 512 MB of address space."""
    environment = dict(os.environ, **{ENV: url}, **env)  # the installed package, not the checkout
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_RUNNER], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB, {result['elapsed']:.2f} s: {result['message']}")
    return result


BOMBS = {
    # where: (route, handler, expected type, message, limit)
    "config": (
        ("GET", "/config"),
        lambda: gzipped(bomb(b'{"components": "'), "application/json"),
        "SpaceLimitError",
        "sent more than the 16 MiB allowed for /config",
        "/config",
    ),
    "error-page": (
        ("GET", "/config"),
        lambda: gzipped(bomb(b"<html><body>"), "text/html", status=500),
        "SpaceStatusError",
        "answered 500 with an HTML page instead of its API",
        None,
    ),
    "join": (
        ("POST", f"{PREFIX}/queue/join"),
        lambda: gzipped(bomb(b'{"event_id": "'), "application/json"),
        "SpaceLimitError",
        "sent more than the 1 MiB allowed for the queue join",
        "the queue join",
    ),
    "one-event": (
        ("GET", f"{PREFIX}/queue/data"),
        lambda: gzipped(bomb(b"data: "), "text/event-stream"),
        "SpaceLimitError",
        "sent an event longer than the 16,777,216 bytes allowed",
        "one event",
    ),
    "event-stream": (
        ("GET", f"{PREFIX}/queue/data"),
        lambda: gzipped(bomb(b"", unit=sse({"msg": "heartbeat"})), "text/event-stream"),
        "SpaceLimitError",
        "sent more than the 4 MiB allowed for the event stream",
        "the event stream",
    ),
}


@pytest.mark.parametrize("where", list(BOMBS))
def test_a_compression_bomb_stays_bounded(fault, where):
    (method, path), handler, kind, words, limit = BOMBS[where]
    fault.route(method, path, handler())
    # The event stream's own bound (64 MiB) lowered, or 1 GiB of heartbeats
    # would take a while to parse before it is reached.
    result = run_capped(fault.url, **({STREAM_ENV: "4"} if where == "event-stream" else {}))
    assert kind in result["types"] and "ResponseError" in result["types"], result
    assert words in result["message"], result
    assert result["limit"] == limit
    assert result["elapsed"] < 30
    assert result["peak_rss_mb"] < 100, result  # a plain call peaks near 56 MB


async def test_a_50_mb_event_without_a_blank_line_is_refused(space):
    chunk = b"x" * MIB
    space.script = [b"data: "] + [chunk] * 50
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceLimitError, "event longer than the 16,777,216 bytes")
    assert error.limit == "one event"


# -- time --------------------------------------------------------------------------


async def test_a_drip_without_timeout_ends_at_the_default_deadline(space, monkeypatch):
    monkeypatch.setenv(DEADLINE_ENV, "3")
    space.script = [Drip(b"data: " + b"x" * 1000, every=0.5)]
    outcome = await run()
    error = check_error(outcome, G4FTimeoutError, SpaceTimeoutError, "ran out of its total timeout (3 s)")
    assert 2.9 < outcome.elapsed < 6, outcome.elapsed
    print(f"drip: typed error after {outcome.elapsed:.2f} s with {DEADLINE_ENV}=3")
    assert error.url == space.url
    assert await space.async_wait_for(lambda: len(space.requests_to("/cancel")) == 1)


async def test_heartbeats_forever_end_at_the_default_deadline(space, monkeypatch):
    monkeypatch.setenv(DEADLINE_ENV, "2")
    space.script = [Heartbeats(0.2)]
    outcome = await run()
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, "ran out of its total timeout (2 s)")
    assert 1.9 < outcome.elapsed < 5, outcome.elapsed


async def test_the_image_download_gets_what_is_left_of_the_deadline(space, fault_factory, monkeypatch, allowed):
    monkeypatch.setenv("G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS", "1")
    images = fault_factory()
    allowed.add(address(images.url))
    images.route("GET", "/slow.png", stall(200, "image/png"))
    outcome = await run(timeout=2, media=[(f"{images.url}/slow.png", None)])
    error = check_error(outcome, G4FTimeoutError, SpaceTimeoutError)
    assert str(error) == "Downloading the image took longer than the 2 s left of the call's timeout"
    assert 1.9 < outcome.elapsed < 4.5, outcome.elapsed
    assert space.requests == []  # nothing reached the Space


@pytest.mark.parametrize("name", ["timeout", "stall_timeout"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 0, "soon", True])
async def test_only_finite_positive_timeouts(space, name, value):
    outcome = await run(**{name: value})
    error = check_error(outcome, ValueError, SpaceInputError)
    kind = "a number of seconds" if isinstance(value, (str, bool)) else "a finite positive number"
    assert str(error) == f"{name} must be {kind}, got {value!r}"
    assert space.requests == []


# -- types -------------------------------------------------------------------------

START = generating("")
#: case -> (events, the exact message): each passes a valid first message, so the diff itself is judged.
BAD_EVENTS = {
    "ops-object": ((START, {"msg": "process_generating", "output": {"data": [{"op": 1}]}}),
                   "Malformed diff from the Space: dict instead of a list"),
    "ops-number": ((START, {"msg": "process_generating", "output": {"data": [7]}}),
                   "Malformed diff from the Space: int instead of a list"),
    "delete-path-not-list": (
        (generating("a"), {"msg": "process_generating", "output": {"data": [[["delete", 0, None]]]}}),
        "Malformed diff from the Space: path 0",
    ),
    "insert-at-1e30": (
        (generating("a"), {"msg": "process_generating", "output": {"data": [[["add", [10**30], "x"]]]}}),
        f"Malformed diff from the Space: index {10**30} out of range",
    ),
    "append-non-string": (
        (START, append("Hi"), {"msg": "process_generating", "output": {"data": [[["append", [], 5]]]}}),
        "Malformed diff from the Space: cannot append int to text",
    ),
}


@pytest.mark.parametrize("case", list(BAD_EVENTS))
async def test_malformed_diffs_are_protocol_errors(space, case):
    events, message = BAD_EVENTS[case]
    space.script = list(events)
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError, within=5)
    assert str(error) == message
    assert not isinstance(outcome.error, (TypeError, OverflowError))


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


BAD_CONFIGS = {
    "dependencies-5": (dict(CONFIG, dependencies=5), "config whose dependencies is malformed"),
    "inputs-nested": (
        dict(CONFIG, dependencies=[dict(CONFIG["dependencies"][1], inputs=[[3], 4])]),
        "generate endpoint's inputs is malformed",
    ),
    "types-string": (
        dict(CONFIG, dependencies=[dict(CONFIG["dependencies"][1], types="generator")]),
        "generate endpoint's types is malformed",
    ),
    "prefix-other-host": (dict(CONFIG, api_prefix="@127.0.0.2:80"), "api_prefix (not a plain path) is malformed"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
async def test_malformed_configs_are_protocol_errors(space, fault_factory, case):
    other = fault_factory(host="127.0.0.2")
    config, words = BAD_CONFIGS[case]
    space.route("GET", "/config", respond(200, config))
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, words, within=5)
    assert space.paths() == ["/config"]
    assert other.requests == []


@pytest.mark.parametrize("where", ["config", "event", "join", "error-body"])
async def test_deeply_nested_json_is_a_protocol_error(space, where):
    """The messages the README's troubleshooting table lists for nesting, word for word."""
    deep = _deep(100_000)
    if where == "config":
        space.route("GET", "/config", respond(200, deep, content_type="application/json"))
    elif where == "event":
        space.script = [b"data: " + deep.encode() + b"\n\n"]
    elif where == "join":
        space.route("POST", f"{PREFIX}/queue/join", respond(200, deep, content_type="application/json"))
    else:
        space.route("GET", "/config", respond(500, '{"detail": ' + deep + "}", content_type="application/json"))
    outcome = await run()
    base, ours = (ResponseStatusError, SpaceStatusError) if where == "error-body" else (ResponseError, SpaceProtocolError)
    error = check_error(outcome, base, ours, within=5)
    assert not isinstance(error, RecursionError)
    expected = {
        "config": f"The Space at {space.url} answered /config with JSON nested too deeply",
        "event": "The Space sent an event nested too deeply",
        "join": f"The Space at {space.url} answered the queue join with JSON nested too deeply",
    }
    if where in expected:
        assert str(error) == expected[where]
    else:  # cut at 8 KiB, so not JSON: the page's start is quoted
        assert str(error).startswith(f'The Space at {space.url} answered 500: {{"detail": [[[['), str(error)


# -- origins -----------------------------------------------------------------------


async def test_another_hosts_error_body_is_never_quoted(space, fault_factory):
    other = fault_factory(host="127.0.0.2")
    other.route("GET", "/config", respond(500, "SECRET-OTHER-BODY"))
    space.route("GET", "/config", respond(307, "", headers={"Location": f"{other.url}/config"}))
    outcome = await run(api_key=TOKEN)
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, "redirected to another host", within=5)
    assert "SECRET-OTHER-BODY" not in str(error)
    assert other.requests == []


async def test_a_redirect_to_the_status_page_reports_the_state_without_the_token(
    space, fault_factory, monkeypatch, allowed
):
    """Hugging Face sends a sleeping Space's visitors to its page on huggingface.co;
    here a second loopback host stands in for it (policy patched to plain http)."""
    from g4f_qwen_spaces.space import http

    status_page = fault_factory(host="127.0.0.2")
    allowed.add(address(status_page.url))
    status_page.route("GET", "/spaces/Qwen/QVQ", respond(
        200, "<html><body>This Space is sleeping due to inactivity " + TOKEN + "</body></html>",
        content_type="text/html"))
    monkeypatch.setattr(http, "STATUS_HOSTS", ("127.0.0.2",))
    monkeypatch.setattr(http, "STATUS_SCHEME", "http")
    space.route("GET", "/config", respond(302, "", headers={"Location": f"{status_page.url}/spaces/Qwen/QVQ"}))
    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")  # waiting: tests/test_lifecycle.py
    outcome = await run(api_key=TOKEN)
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == (
        f"The Space at {space.url} is sleeping (redirected to its Hugging Face page); "
        "not waiting for it (G4F_QWEN_SPACES_WAKE_LIMIT=0)"
    )
    assert error.state == "sleeping"
    assert [r.path for r in status_page.requests] == ["/spaces/Qwen/QVQ"]
    assert "authorization" not in status_page.requests[0].headers
    # A Space off hf.space is never sent the token at all (tests/test_hub.py: on hf.space).
    assert not {"authorization", "x-hf-authorization"} & set(space.requests[0].headers)


# -- secrets -----------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 120, 150, 158, 159, 160, 170, 3000, 8180])
async def test_a_token_is_redacted_wherever_the_message_is_cut(space, offset):
    body = "x" * offset + TOKEN + " tail"
    space.route("GET", "/config", respond(500, body))
    outcome = await run(api_key=TOKEN)
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, "answered 500")
    chain = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        for fragment in (TOKEN, TOKEN[:8], TOKEN[-8:]):
            assert fragment not in str(item), (offset, str(item))


async def test_space_log_messages_are_redacted(space, caplog):
    space.script = [
        {"msg": "log", "event_id": EVENT_ID, "log": f"loaded with token {TOKEN}", "level": "info"},
        *space.script,
    ]
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        outcome = await run(api_key=TOKEN)
    assert outcome.error is None and outcome.text == "Hello world"
    logged = [r.getMessage() for r in caplog.records if "Space log" in r.getMessage()]
    assert logged == ["Space log (info): loaded with token ***"]


@pytest.mark.parametrize("token", [TOKEN + "\r\nX-Evil: 1", "hf_abc\ndef123", "hf_\x00abcdef"])
async def test_a_token_with_control_characters_is_refused_up_front(space, token):
    outcome = await run(api_key=token)
    check_error(outcome, ValueError, SpaceInputError, "api_key contains control characters")
    assert space.requests == []


@pytest.mark.parametrize("suffix", ["\r\n", "\nHost: evil", "/\r"])
async def test_a_url_override_with_control_characters_is_refused(space, monkeypatch, suffix):
    monkeypatch.setenv(ENV, space.url + suffix)
    outcome = await run()
    check_error(outcome, ValueError, SpaceInputError, f"{ENV} contains control characters")
    assert space.requests == []


# -- raw socket: bytes aiohttp's server will not send ------------------------------------


class RawServer:
    """Answers every connection with the same raw bytes, then closes; counts connections."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


RAW = {
    # case: (bytes, message)
    "header-bomb": (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
                    "sent a malformed HTTP response: ClientResponseError: Got more than 8190 bytes"),
    "bad-status-line": (b"HTTP/1.1 ok fine\r\n\r\n",
                        "sent a malformed HTTP response: ClientResponseError: Bad status line"),
    "not-http": (b"\x00\x01\x02 garbage \xff\xfe\r\n\r\n",
                 "sent a malformed HTTP response: ClientResponseError: Bad status line"),

    "bad-chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
                    "sent a malformed HTTP response: ClientResponseError: Invalid character in chunk size"),
    "unknown-encoding": (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\nabcd",
                         "sent an encoding this client did not ask for: br"),
    "corrupt-gzip": (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n"
                     b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\xff" * 10,
                     "sent a corrupt compressed body: Error -3 while decompressing data: invalid block type"),
    "truncated-gzip": (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 13\r\n\r\n"
                       b"\x1f\x8b\x08\x00garbage!!",
                       "sent a truncated compressed body"),
}


async def test_a_body_shorter_than_announced_is_a_connection_error(monkeypatch, socket_baseline, allowed):
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}")
    allowed.add(address(server.url))
    try:
        monkeypatch.setenv(ENV, server.url)
        outcome = await run(timeout=5)
    finally:
        server.close()
    check_error(outcome, ResponseError, SpaceConnectionError,
                f"Cannot reach the Space at {server.url}: ClientPayloadError: Response payload is not completed",
                within=6)


@pytest.mark.parametrize("case", list(RAW))
async def test_raw_garbage_is_a_protocol_error(monkeypatch, socket_baseline, allowed, case):
    answer, words = RAW[case]
    server = RawServer(answer)
    allowed.add(address(server.url))
    try:
        monkeypatch.setenv(ENV, server.url)
        outcome = await run(timeout=5)
    finally:
        server.close()
    error = check_error(outcome, ResponseError, SpaceProtocolError, f"The Space at {server.url} {words}", within=6)
    assert error.url == server.url
    assert server.connections == 1
