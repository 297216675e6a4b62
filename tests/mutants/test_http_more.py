"""More tests written against mutants of ``space/http.py``, ``body.py``, ``sse.py`` and ``limits.py``.

Same style as tests/mutants/test_space_http.py: through a provider and the
scripted fault server, or at the function's own boundary when that is where
the value is decided.
"""
from __future__ import annotations

import pytest
from g4f.errors import ResponseStatusError

from g4f_qwen_spaces.space import SpaceStatusError
from tests.faultserver import check_error, respond

URL_ENV = "G4F_QWEN_QVQ_72B_URL"
NOT_FOUND = "Not found (404) at {}/config: the Space may {}; duplicate it on Hugging Face, or set {} to a working copy"
PRIVATE = 'be private (pass api_key="hf_...") or gone'
GONE = "be gone or renamed"


@pytest.mark.parametrize(
    "body, content_type, why",
    [
        ("<!DOCTYPE html><title>404</title>", "text/plain", PRIVATE),  # known by its first bytes
        ("   \n<HTML><body>404</body></HTML>", "text/plain", PRIVATE),
        ("<p>404</p>", "text/html", PRIVATE),  # known by its type
        ('{"detail": "Not Found"}', "application/json", GONE),
    ],
)
async def test_a_404_on_hf_space_without_a_token_is_private_when_its_page_is_html(
    qvq_at, hf_names, monkeypatch, body, content_type, why
):
    from tests.faultserver import run

    url = hf_names(qvq_at.url, "owner-qvq")
    monkeypatch.setenv(URL_ENV, url)
    qvq_at.route("GET", "/config", respond(404, body, content_type=content_type))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == NOT_FOUND.format(url, why, URL_ENV)
    assert (error.status, error.url) == (404, url)


# == limits.py: each bound and each refusal at its boundary, word for word ==================


def test_the_stream_limit_comes_from_its_variable_in_megabytes(monkeypatch):
    from g4f_qwen_spaces.space.limits import DEFAULT_LIMITS, MIB, STREAM_ENV, Limits

    monkeypatch.delenv(STREAM_ENV, raising=False)
    assert Limits.from_env() is DEFAULT_LIMITS
    monkeypatch.setenv(STREAM_ENV, "  ")
    assert Limits.from_env() is DEFAULT_LIMITS
    monkeypatch.setenv(STREAM_ENV, " 2.5 ")
    limits = Limits.from_env()
    assert limits.stream == int(2.5 * MIB) == 2621440
    assert (limits.event, limits.config, limits.json, limits.error_body) == (16 * MIB, 16 * MIB, MIB, 8192)


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "timeout must be a finite positive number, got 0"),
        (-0.5, "timeout must be a finite positive number, got -0.5"),
        (float("nan"), "timeout must be a finite positive number, got nan"),
        ("inf", "timeout must be a finite positive number, got 'inf'"),
        (True, "timeout must be a number of seconds, got True"),
        (None, "timeout must be a number of seconds, got None"),
        ("x" * 50, "timeout must be a number of seconds, got '" + "x" * 39),
        (10**400, "timeout must be a number of seconds, got " + "1" + "0" * 39),
        ([1], "timeout must be a number of seconds, got [1]"),
    ],
)
def test_positive_refuses_word_for_word(value, message):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import positive

    with pytest.raises(SpaceInputError) as caught:
        positive(value, "timeout")
    assert str(caught.value) == message


def test_positive_takes_any_finite_number_above_zero():
    from g4f_qwen_spaces.space.limits import positive

    assert positive("1e-9", "t") == 1e-9 and positive(3, "t") == 3.0 and type(positive(3, "t")) is float


def test_the_default_deadline_is_600_s_or_its_variable(monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import DEADLINE_ENV, default_deadline

    monkeypatch.delenv(DEADLINE_ENV, raising=False)
    assert default_deadline() == 600.0
    monkeypatch.setenv(DEADLINE_ENV, "   ")
    assert default_deadline() == 600.0
    monkeypatch.setenv(DEADLINE_ENV, " 42.5 ")
    assert default_deadline() == 42.5
    monkeypatch.setenv(DEADLINE_ENV, "0")
    with pytest.raises(SpaceInputError) as caught:
        default_deadline()
    assert str(caught.value) == "G4F_QWEN_SPACES_TIMEOUT must be a finite positive number, got '0'"
    monkeypatch.setenv(DEADLINE_ENV, "never")
    with pytest.raises(SpaceInputError) as caught:
        default_deadline()
    assert str(caught.value) == "G4F_QWEN_SPACES_TIMEOUT must be a number of seconds, got 'never'"


def test_optional_seconds_leaves_none_and_empty_unset_and_checks_the_rest():
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import optional_seconds

    assert optional_seconds(None, "stall") is None and optional_seconds("", "stall") is None
    assert optional_seconds("7", "stall") == 7.0 and optional_seconds(0.25, "stall") == 0.25
    with pytest.raises(SpaceInputError) as caught:
        optional_seconds(0, "stall")
    assert str(caught.value) == "stall must be a finite positive number, got 0"
    with pytest.raises(SpaceInputError) as caught:
        optional_seconds(" ", "stall")
    assert str(caught.value) == "stall must be a number of seconds, got ' '"


# == http.py: the base URL, origins, JSON bodies =========================================


@pytest.mark.parametrize(
    "url, name, message",
    [
        ("ftp://example.org", "", "'ftp://example.org' is not an http(s) URL with a host"),
        ("http:///path", "SPACE_URL", "SPACE_URL='http:///path' is not an http(s) URL with a host"),
        ("ftp://" + "a" * 200, "", "'ftp://" + "a" * 93 + " is not an http(s) URL with a host"),
        ("http://h/?q=1", "", "A Space URL must be a plain base URL (no credentials, query or fragment)"),
        ("http://h/#top", "", "A Space URL must be a plain base URL (no credentials, query or fragment)"),
        ("http://u@h", "SPACE_URL", "SPACE_URL must be a plain base URL (no credentials, query or fragment)"),
        ("http://h/a\\b", "", "A Space URL must be a plain base URL (no credentials, query or fragment)"),
        ("http://h:99999", "", "'http://h:99999' has an invalid port"),
        ("http://h:port", "SPACE_URL", "SPACE_URL='http://h:port' has an invalid port"),
        ("http://h/\n", "", "The Space URL contains control characters (such as a line break); refused"),
        ("http://h/\x7f", "SPACE_URL", "SPACE_URL contains control characters (such as a line break); refused"),
    ],
)
def test_a_bad_base_url_is_refused_word_for_word(url, name, message):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.http import check_base_url

    with pytest.raises(SpaceInputError) as caught:
        check_base_url(url, name) if name else check_base_url(url)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "url, base",
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://owner-space.hf.space//", "https://owner-space.hf.space"),
        ("http://127.0.0.1:8/X/", "http://127.0.0.1:8/X"),  # only slashes are cut
        ("HTTPS://Example.org", "HTTPS://Example.org"),
    ],
)
def test_a_good_base_url_loses_its_trailing_slashes_only(url, base):
    from g4f_qwen_spaces.space.http import check_base_url

    assert check_base_url(url) == base


@pytest.mark.parametrize(
    "url, origin",
    [
        ("http://Example.ORG/x", ("http", "example.org", 80)),
        ("https://example.org", ("https", "example.org", 443)),
        ("http://example.org:8080/a", ("http", "example.org", 8080)),
        ("ws://example.org/", ("ws", "example.org", None)),
        ("http://example.org:99999/", ("http", "example.org", -1)),
        ("http:///x", ("http", "", 80)),
    ],
)
def test_an_origin_has_its_default_port_filled_in(url, origin):
    from g4f_qwen_spaces.space.http import origin_of

    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "body, detail",
    [
        ('{"detail": 5, "error": "e", "message": "m"}', "e"),
        ('{"detail": null, "error": ["x"], "message": "m"}', "m"),
        ('{"detail": "d", "error": "e"}', "d"),
        ('{"other": "o"}', ""),
        ('"just a string"', ""),
        ("not json", ""),
        ("[" * 100000, ""),
    ],
)
def test_an_error_body_s_detail_is_the_first_string_of_detail_error_message(body, detail):
    from g4f_qwen_spaces.space.http import _json_detail

    assert _json_detail(body) == detail


def test_a_body_that_is_not_json_is_a_protocol_error_with_an_excerpt():
    from g4f_qwen_spaces.space.errors import SpaceProtocolError
    from g4f_qwen_spaces.space.http import decode_json_body

    assert decode_json_body('{"a": [1]}', "The Space sent", url="http://h") == {"a": [1]}
    with pytest.raises(SpaceProtocolError) as caught:
        decode_json_body("n" * 200, "The Space sent", url="http://h")
    assert str(caught.value) == "The Space sent something that is not JSON: " + "n" * 119 + "…"
    assert caught.value.url == "http://h"
    with pytest.raises(SpaceProtocolError) as caught:
        decode_json_body("[" * 100000 + "]" * 100000, "Its config was", url="http://g")
    assert str(caught.value) == "Its config was JSON nested too deeply"
    assert caught.value.url == "http://g"


@pytest.fixture
async def bare_server():
    """A loopback server answering every request with fixed raw bytes: headers no framework adds."""
    import asyncio

    answer = {"bytes": b""}

    async def serve(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer["bytes"])
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def set_answer(status_line: str, body: bytes) -> str:
        answer["bytes"] = (f"HTTP/1.1 {status_line}\r\nContent-Length: {len(body)}\r\n"
                           "Connection: close\r\n\r\n").encode() + body
        return f"http://127.0.0.1:{port}"

    yield set_answer
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize(
    "body, said",
    [
        (b"oops", "answered 500: oops"),
        (b"  <!DOCTYPE html><p>oops</p>", "answered 500 with an HTML page instead of its API"),
    ],
)
async def test_an_error_without_a_content_type_is_read_by_its_first_bytes(bare_server, body, said):
    from g4f_qwen_spaces.space.client import SpaceClient
    from g4f_qwen_spaces.space.config import ConfigCache

    url = bare_server("500 Internal Server Error", body)
    async with SpaceClient(url, cache=ConfigCache()) as client:
        with pytest.raises(SpaceStatusError) as caught:
            await client.endpoint("predict")
    assert str(caught.value) == f"The Space at {url} {said}"
    assert (caught.value.status, caught.value.url) == (500, url)


# == body.py: encodings, limits and truncation at their boundaries ===========================


async def chunks_of(*parts, then: BaseException | None = None):
    for part in parts:
        yield part
    if then is not None:
        raise then


async def read_all(body) -> list[bytes]:
    return [piece async for piece in body]


@pytest.mark.parametrize("encoding", [None, "", "  ", "identity", " Identity "])
def test_no_encoding_is_identity(encoding):
    from g4f_qwen_spaces.space.body import Inflater

    inflater = Inflater(encoding, "http://h")
    assert inflater.compressed is False
    assert list(inflater.feed(b"abc")) == [b"abc"] and list(inflater.finish()) == []


@pytest.mark.parametrize(
    "encoding, make",
    [
        ("gzip", "gzip"),
        (" GZIP ", "gzip"),
        ("x-gzip", "gzip"),
        ("X-Gzip", "gzip"),
        ("deflate", "zlib"),
        ("Deflate", "raw"),  # "deflate" sent raw, as some servers do
    ],
)
async def test_each_encoding_asked_for_is_read(encoding, make):
    import gzip
    import zlib

    from g4f_qwen_spaces.space.body import Body

    text = b"hello " * 1000
    if make == "gzip":
        data = gzip.compress(text)
    elif make == "zlib":
        data = zlib.compress(text)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        data = packer.compress(text) + packer.flush()
    body = Body(chunks_of(data[:10], data[10:]), encoding, len(text), "a test", url="http://h")
    assert b"".join(await read_all(body)) == text and body.total == len(text)


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://h", "The Space at http://h sent an encoding this client did not ask for: br"),
        ("", "The Space sent an encoding this client did not ask for: br"),
    ],
)
def test_an_encoding_not_asked_for_is_refused(url, message):
    from g4f_qwen_spaces.space.body import Inflater
    from g4f_qwen_spaces.space.errors import SpaceProtocolError

    with pytest.raises(SpaceProtocolError) as caught:
        Inflater(" BR ", url) if url else Inflater("br")
    assert str(caught.value) == message and caught.value.url == (url or None)


def test_a_long_unknown_encoding_is_cut_at_40_characters():
    from g4f_qwen_spaces.space.body import Inflater
    from g4f_qwen_spaces.space.errors import SpaceProtocolError

    with pytest.raises(SpaceProtocolError) as caught:
        Inflater("z" * 60)
    assert str(caught.value) == "The Space sent an encoding this client did not ask for: " + "z" * 39 + "…"


@pytest.mark.parametrize("url", ["http://h", ""])
async def test_a_zlib_stream_labelled_gzip_is_corrupt(url):
    import zlib

    from g4f_qwen_spaces.space.body import Body
    from g4f_qwen_spaces.space.errors import SpaceProtocolError

    body = Body(chunks_of(zlib.compress(b"hello")), "gzip", 100, "a test", url=url) if url else Body(
        chunks_of(zlib.compress(b"hello")), "gzip", 100, "a test")
    with pytest.raises(SpaceProtocolError) as caught:
        await read_all(body)
    where = f"The Space at {url}" if url else "The Space"
    assert str(caught.value) == (f"{where} sent a corrupt compressed body: "
                                 "Error -3 while decompressing data: incorrect header check")
    assert caught.value.url == (url or None)


async def test_a_gzip_stream_labelled_deflate_is_corrupt_after_both_deflate_tries():
    import gzip

    from g4f_qwen_spaces.space.body import Body
    from g4f_qwen_spaces.space.errors import SpaceProtocolError

    body = Body(chunks_of(gzip.compress(b"hello")), "deflate", 100, "a test", url="http://h")
    with pytest.raises(SpaceProtocolError) as caught:
        await read_all(body)
    assert str(caught.value) == ("The Space at http://h sent a corrupt compressed body: "
                                 "Error -3 while decompressing data: invalid block type")


@pytest.mark.parametrize("url, where", [("http://h", "The Space at http://h"), ("", "The Space")])
async def test_a_body_is_counted_across_chunks_up_to_its_limit(url, where):
    from g4f_qwen_spaces.space.body import Body
    from g4f_qwen_spaces.space.errors import SpaceLimitError

    kwargs = {"url": url} if url else {}
    body = Body(chunks_of(b"abc", b"de"), None, 5, "a test", **kwargs)
    assert await read_all(body) == [b"abc", b"de"] and body.total == 5
    body = Body(chunks_of(b"abc", b"def"), None, 5, "a test", **kwargs)
    assert await body.__anext__() == b"abc"
    with pytest.raises(SpaceLimitError) as caught:
        await body.__anext__()
    assert str(caught.value) == f"{where} sent more than the 5 bytes allowed for a test"
    assert caught.value.url == (url or None) and body.total == 6


@pytest.mark.parametrize("url, where", [("http://h", "The Space at http://h"), ("", "The Space")])
async def test_read_body_takes_its_limit_exactly_and_refuses_a_byte_more(url, where):
    from g4f_qwen_spaces.space.body import read_body
    from g4f_qwen_spaces.space.errors import SpaceLimitError

    kwargs = {"url": url} if url else {}
    data = await read_body(chunks_of(b"ab", b"cd"), None, 4, "a test", **kwargs)
    assert data == b"abcd" and type(data) is bytes
    with pytest.raises(SpaceLimitError) as caught:
        await read_body(chunks_of(b"ab", b"cde"), None, 4, "a test", **kwargs)
    assert str(caught.value) == f"{where} sent more than the 4 bytes allowed for a test"
    assert caught.value.url == (url or None)


async def test_a_truncated_read_keeps_the_head_and_reads_no_further():
    from g4f_qwen_spaces.space.body import read_body

    boom = ConnectionResetError("read past the limit")
    data = await read_body(chunks_of(b"ab", b"cd", then=boom), None, 4, "a test", truncate=True)
    assert data == b"abcd" and type(data) is bytes
    data = await read_body(chunks_of(b"ab", b"cdef", then=boom), None, 4, "a test", truncate=True)
    assert data == b"abcd"
    data = await read_body(chunks_of(b"ab"), None, 4, "a test", truncate=True)
    assert data == b"ab"


async def test_a_truncated_read_allows_one_chunk_up_to_two_pieces_past_its_limit():
    from g4f_qwen_spaces.space.body import PIECE, read_body
    from g4f_qwen_spaces.space.errors import SpaceLimitError

    assert PIECE == 256 * 1024
    data = await read_body(chunks_of(b"x" * (1024 + 2 * PIECE)), None, 1024, "a test", truncate=True)
    assert data == b"x" * 1024
    with pytest.raises(SpaceLimitError) as caught:
        await read_body(chunks_of(b"x" * (1025 + 2 * PIECE)), None, 1024, "a test", truncate=True)
    assert str(caught.value) == "The Space sent more than the 513 KiB allowed for a test"


# == http.py: SpaceHTTP's settings, budget and headers, without a connection =================

HF = "https://owner-space.hf.space"


def test_a_space_http_takes_its_settings_as_given(monkeypatch):
    import time

    from g4f_qwen_spaces.space.http import SpaceHTTP
    from g4f_qwen_spaces.space.limits import Limits

    limits = Limits(json=10)
    space = SpaceHTTP(HF + "/", token="hf_abc", proxy="http://127.0.0.1:1", timeout=30, stall_timeout=3,
                      connect_timeout=2, url_hint="SOME_URL", limits=limits, deadline=1234.5)
    assert (space.base_url, space.proxy, space.url_hint, space.limits) == (HF, "http://127.0.0.1:1", "SOME_URL", limits)
    assert (space.total, space.stall_timeout, space.connect_timeout, space.deadline) == (30.0, 3.0, 2.0, 1234.5)
    assert space.on_hf_space is True and repr(space) == f"SpaceHTTP({HF!r}, token=set)"
    before = time.monotonic()
    space = SpaceHTTP(HF, timeout=30)
    assert before + 30 <= space.deadline <= time.monotonic() + 30


def test_a_space_http_s_defaults(monkeypatch):
    from g4f_qwen_spaces.space.http import DEFAULT_CONNECT_TIMEOUT, DEFAULT_STALL_TIMEOUT, SpaceHTTP
    from g4f_qwen_spaces.space.limits import DEADLINE_ENV, DEFAULT_LIMITS, STREAM_ENV

    monkeypatch.delenv(DEADLINE_ENV, raising=False)
    monkeypatch.delenv(STREAM_ENV, raising=False)
    space = SpaceHTTP("http://127.0.0.1:9", token="", proxy="")
    assert (DEFAULT_STALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT) == (60.0, 15.0)
    assert (space.total, space.stall_timeout, space.connect_timeout) == (600.0, 60.0, 15.0)
    assert space.limits is DEFAULT_LIMITS and space.url_hint == "" and space.proxy is None
    assert space.on_hf_space is False and repr(space) == "SpaceHTTP('http://127.0.0.1:9', token=none)"
    with pytest.raises(RuntimeError) as caught:
        _ = space.session
    assert str(caught.value) == "SpaceHTTP is not open"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"token": 123}, "The token (api_key) must be a string"),
        ({"token": "hf_a\nb"}, "The token (api_key) contains control characters (such as a line break); refused"),
        ({"proxy": "http://p\r\n"}, "The proxy URL contains control characters (such as a line break); refused"),
        ({"timeout": 0}, "timeout must be a finite positive number, got 0"),
        ({"stall_timeout": -1}, "stall_timeout must be a finite positive number, got -1"),
        ({"connect_timeout": "x"}, "connect_timeout must be a number of seconds, got 'x'"),
    ],
)
def test_a_space_http_refuses_bad_settings_word_for_word(kwargs, message):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.http import SpaceHTTP

    with pytest.raises(SpaceInputError) as caught:
        SpaceHTTP("http://127.0.0.1:9", **kwargs)
    assert str(caught.value) == message


def test_the_token_header_goes_to_the_space_s_own_origin_only():
    from g4f_qwen_spaces.space.http import SpaceHTTP

    space = SpaceHTTP(HF, token="hf_abc")
    assert space._headers(HF + "/config", {"X-A": "1"}) == {"X-A": "1", "X-HF-Authorization": "Bearer hf_abc"}
    assert space._headers("https://other.hf.space/config", {"X-A": "1"}) == {"X-A": "1"}
    assert space._headers(HF + ":443/x", None) == {"X-HF-Authorization": "Bearer hf_abc"}


@pytest.mark.parametrize("left, raises", [(0.0, True), (-1.0, True), (0.001, False), (0.5, False), (2.0, False)])
def test_remaining_is_what_is_left_until_none_is(monkeypatch, left, raises):
    from types import SimpleNamespace

    from g4f_qwen_spaces.space import http as http_module
    from g4f_qwen_spaces.space.errors import SpaceTimeoutError

    space = http_module.SpaceHTTP("http://127.0.0.1:9", timeout=30, deadline=1000.0)
    monkeypatch.setattr(http_module, "time", SimpleNamespace(monotonic=lambda: 1000.0 - left))
    if raises:
        with pytest.raises(SpaceTimeoutError) as caught:
            space.remaining()
        assert str(caught.value) == "The request to http://127.0.0.1:9 ran out of its total timeout (30 s)"
    else:
        assert space.remaining() == pytest.approx(left)


def test_a_request_s_timeouts_are_the_budget_the_connect_and_the_stall(monkeypatch):
    from types import SimpleNamespace

    from g4f_qwen_spaces.space import http as http_module

    space = http_module.SpaceHTTP("http://127.0.0.1:9", stall_timeout=7, connect_timeout=3, deadline=1000.0)
    monkeypatch.setattr(http_module, "time", SimpleNamespace(monotonic=lambda: 988.0))
    timeout = space._timeout()
    assert (timeout.total, timeout.sock_connect, timeout.sock_read) == (12.0, 3.0, 7.0)


@pytest.mark.parametrize(
    "url, left, seconds",
    [
        (HF, 100.0, "hub"),  # the Hub's own timeout when more is left
        (HF, 0.5, 0.5),
        (HF, 0.06, 0.06),
        (HF, 0.05, None),  # too little left to ask
        (HF, -3.0, None),
        ("http://127.0.0.1:9", 100.0, None),  # not on hf.space: no Hub
    ],
)
async def test_the_hub_is_asked_on_hf_space_with_what_is_left(monkeypatch, url, left, seconds):
    from types import SimpleNamespace

    from g4f_qwen_spaces.space import http as http_module

    asked = []

    async def fetch_stage(session, space_url, **kwargs):
        asked.append((session, space_url, kwargs))
        return "RUNNING"

    monkeypatch.setattr(http_module, "fetch_stage", fetch_stage)
    # the clock at 0: what is left is the deadline itself, exactly (0.05 is not 1000.05 - 1000)
    space = http_module.SpaceHTTP(url, token="hf_abc", proxy="http://127.0.0.1:1", deadline=left)
    monkeypatch.setattr(http_module, "time", SimpleNamespace(monotonic=lambda: 0.0))
    session = object()
    space._session = session
    stage = await space.hub_stage()
    if seconds is None:
        assert stage is None and asked == []
    else:
        wait = http_module.HUB_TIMEOUT if seconds == "hub" else seconds
        assert http_module.HUB_TIMEOUT < 100.0
        assert stage == "RUNNING"
        assert asked == [(session, url, {"token": "hf_abc", "proxy": "http://127.0.0.1:1", "seconds": wait})]


# == sse.py: batches, the deadline check, decoding ============================================


@pytest.mark.parametrize(
    "parts, batches, checks",
    [
        ([b"data: 1\n\n", b"data: 2\n\ndata: 3\n\n"], [[b"1"], [b"2", b"3"]], 3),
        ([b"data: 1\n\ndata: 2"], [[b"1"], [b"2"]], 2),  # the last event without its blank line
        ([b"data: 1", b"\n", b"\n"], [[b"1"]], 4),
        ([], [], 1),
    ],
)
async def test_batches_check_the_deadline_once_per_read_and_stop_for_good(parts, batches, checks):
    from g4f_qwen_spaces.space.sse import SSEBatches

    calls = []
    stream = SSEBatches(chunks_of(*parts), check=lambda: calls.append(1))
    assert [batch async for batch in stream] == batches
    assert len(calls) == checks
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert len(calls) == checks  # ended: neither checks nor reads again


async def test_batches_without_a_check_read_all():
    from g4f_qwen_spaces.space.sse import SSEBatches

    stream = SSEBatches(chunks_of(b"data: a\n\n", b"data: b\n\n"))
    assert [batch async for batch in stream] == [[b"a"], [b"b"]]


async def test_a_deadline_check_that_raises_stops_the_batches():
    from g4f_qwen_spaces.space.errors import SpaceTimeoutError
    from g4f_qwen_spaces.space.sse import SSEBatches

    def check():
        raise SpaceTimeoutError("out of time")

    with pytest.raises(SpaceTimeoutError):
        await SSEBatches(chunks_of(b"data: a\n\n"), check=check).__anext__()


async def test_reads_without_a_whole_event_do_not_wait_between_them():
    import time

    from g4f_qwen_spaces.space.sse import SSEBatches

    parts = [b"data: "] + [b"x"] * 20 + [b"\n\n"]
    started = time.monotonic()
    assert [batch async for batch in SSEBatches(chunks_of(*parts))] == [[b"x" * 20]]
    assert time.monotonic() - started < 5.0  # 20 reads; a second's wait after each would be 20 s


async def test_batches_keep_the_stream_s_head_and_bound_an_event():
    from g4f_qwen_spaces.space.errors import SpaceLimitError
    from g4f_qwen_spaces.space.sse import HEAD_BYTES, SSEBatches

    stream = SSEBatches(chunks_of(b"<html>", b"not a stream</html>"))
    assert stream.head == b""
    assert [batch async for batch in stream] == []
    assert stream.head == b"<html>not a stream</html>" and HEAD_BYTES == 8192
    stream = SSEBatches(chunks_of(b"data: " + b"y" * 20 + b"\n\n"), max_event=10)
    with pytest.raises(SpaceLimitError) as caught:
        await stream.__anext__()
    assert str(caught.value) == "The Space sent an event longer than the 10 bytes allowed"


@pytest.mark.parametrize("payload", [b'{"a": 1}', bytearray(b'{"a": 1}'), '{"a": 1}'])
def test_an_event_is_decoded_from_bytes_or_text(payload):
    from g4f_qwen_spaces.space.sse import decode_json

    assert decode_json(payload) == {"a": 1}


@pytest.mark.parametrize(
    "payload, message",
    [
        ('"a"'.encode("utf-16-le"), "Malformed event from the Space: \"\x00a\x00\"\x00"),  # UTF-8 only: no sniffing
        (b"\xff\xfe", "Malformed event from the Space: \ufffd\ufffd"),
        (b"{oops", "Malformed event from the Space: {oops"),
        (b"[" * 100000, "The Space sent an event nested too deeply"),
    ],
)
def test_a_bad_event_is_a_protocol_error_word_for_word(payload, message):
    from g4f_qwen_spaces.space.errors import SpaceProtocolError
    from g4f_qwen_spaces.space.sse import decode_json

    with pytest.raises(SpaceProtocolError) as caught:
        decode_json(payload)
    assert str(caught.value) == message


# == http.py: a page instead of the app carries the Space's URL, its state and page=True ======


@pytest.mark.parametrize(
    "page, state, said",
    [
        (b"<html><body>Something went wrong</body></html>", None, "is not serving its app"),
        (b"<html><body>This Space is sleeping</body></html>", "sleeping", "is sleeping"),
    ],
)
async def test_a_page_on_the_stream_is_a_page_error_of_the_space(qvq_at, monkeypatch, page, state, said):
    from g4f_qwen_spaces.space.errors import SpaceDownError
    from tests.faultserver import run

    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")
    qvq_at.script = [page]
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert not isinstance(error, SpaceDownError)
    assert str(error) == f"The Space at {qvq_at.url} {said}"
    assert (error.status, error.url, error.state, error.page) == (200, qvq_at.url, state, True)


async def test_a_paused_page_on_the_stream_is_a_down_error_of_the_space(qvq_at):
    from g4f_qwen_spaces.space.errors import SpaceDownError
    from tests.faultserver import run

    qvq_at.script = [b"<html><body>This Space has been paused by its owner</body></html>"]
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceDownError, within=5)
    assert str(error) == (f"The Space at {qvq_at.url} is paused; it will not serve until its owner acts: "
                          f"duplicate it on Hugging Face and list the copy in {URL_ENV}")
    assert (error.status, error.url, error.state) == (200, qvq_at.url, "paused")


@pytest.mark.parametrize("status", [200, 500])
async def test_a_page_for_the_config_is_a_page_error(qvq_at, monkeypatch, status):
    from tests.faultserver import run

    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")
    qvq_at.route("GET", "/config", respond(status, "<html><p>Nothing here</p></html>", content_type="text/html"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    said = "is not serving its app" if status == 200 else "answered 500 with an HTML page instead of its API"
    assert str(error) == f"The Space at {qvq_at.url} {said}"
    assert (error.status, error.url, error.state, error.page) == (status, qvq_at.url, None, True)


async def test_read_body_decodes_its_encoding():
    import gzip

    from g4f_qwen_spaces.space.body import read_body

    data = gzip.compress(b"hello world")
    assert await read_body(chunks_of(data[:7], data[7:]), "gzip", 11, "a test") == b"hello world"


async def test_one_huge_chunk_is_refused_at_the_limit_asked_for():
    from g4f_qwen_spaces.space.body import PIECE, read_body
    from g4f_qwen_spaces.space.errors import SpaceLimitError

    with pytest.raises(SpaceLimitError) as caught:
        await read_body(chunks_of(b"x" * (2 * PIECE + 10)), None, 4, "a test", url="http://h")
    assert str(caught.value) == "The Space at http://h sent more than the 4 bytes allowed for a test"


@pytest.mark.parametrize("deadline, seconds", [(1000.5, 0.5), (999.0, None)])
async def test_what_is_left_for_the_hub_is_the_deadline_less_the_clock(monkeypatch, deadline, seconds):
    from types import SimpleNamespace

    from g4f_qwen_spaces.space import http as http_module

    asked = []

    async def fetch_stage(session, space_url, **kwargs):
        asked.append(kwargs["seconds"])
        return "RUNNING"

    monkeypatch.setattr(http_module, "fetch_stage", fetch_stage)
    space = http_module.SpaceHTTP(HF, deadline=deadline)
    monkeypatch.setattr(http_module, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    space._session = object()
    assert await space.hub_stage() == (None if seconds is None else "RUNNING")
    assert asked == ([] if seconds is None else [seconds])


# == http.py: map_error, the one mapping into the SpaceError family ===========================

BASE9 = "http://127.0.0.1:9"


def far_from_the_deadline():
    from g4f_qwen_spaces.space.http import SpaceHTTP

    return SpaceHTTP(BASE9, timeout=600, stall_timeout=7)


def test_a_space_error_gets_the_space_s_url_when_it_has_none():
    from g4f_qwen_spaces.space.errors import SpaceProtocolError

    space = far_from_the_deadline()
    error = SpaceProtocolError("from a parser")
    assert space.map_error(error) is error and error.url == BASE9
    error = SpaceProtocolError("from elsewhere", url="http://127.0.0.1:8")
    assert space.map_error(error) is error and error.url == "http://127.0.0.1:8"


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(1), GeneratorExit()])
def test_what_is_not_an_exception_passes_unchanged(error):
    assert far_from_the_deadline().map_error(error) is error


@pytest.mark.parametrize(
    "error, stream, kind, message",
    [
        (TimeoutError(), False, "SpaceTimeoutError", f"The Space at {BASE9} did not answer in time"),
        (TimeoutError(), True, "SpaceTimeoutError", f"The Space at {BASE9} sent nothing for 7 s"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), False, "SpaceProtocolError",
         f"The Space at {BASE9} sent text that is not UTF-8"),
        (RecursionError(), False, "SpaceProtocolError", f"The Space at {BASE9} sent data nested too deeply"),
        (MemoryError(), False, "SpaceProtocolError", f"The Space at {BASE9} sent more than fits in memory"),
        (KeyError("x"), False, "SpaceProtocolError",
         f"The Space at {BASE9} sent data this client cannot use (KeyError)"),
        (ValueError("x"), False, "SpaceProtocolError",
         f"The Space at {BASE9} sent data this client cannot use (ValueError)"),
        (RuntimeError("x"), False, "SpaceError", f"The call to the Space at {BASE9} failed: RuntimeError"),
    ],
)
def test_map_error_word_for_word(error, stream, kind, message):
    space = far_from_the_deadline()
    mapped = space.map_error(error, stream) if stream else space.map_error(error)
    assert type(mapped).__name__ == kind and str(mapped) == message and mapped.url == BASE9


def test_a_json_error_is_data_this_client_cannot_use():
    import json

    try:
        json.loads("{")
    except json.JSONDecodeError as error:
        mapped = far_from_the_deadline().map_error(error)
    assert str(mapped) == f"The Space at {BASE9} sent data this client cannot use (JSONDecodeError)"


def test_a_connection_error_is_mapped_by_connection_error():
    import aiohttp

    mapped = far_from_the_deadline().map_error(aiohttp.ClientPayloadError("cut short"))
    assert type(mapped).__name__ == "SpaceConnectionError" and mapped.url == BASE9
    assert str(mapped) == f"Cannot reach the Space at {BASE9}: ClientPayloadError: cut short"


# == http.py: requests, their connections and what is drained ================================


async def test_a_request_needs_an_open_space_http_and_the_space_s_origin(fault):
    from g4f_qwen_spaces.space.errors import SpaceProtocolError
    from g4f_qwen_spaces.space.http import SpaceHTTP

    space = SpaceHTTP(fault.url)
    with pytest.raises(RuntimeError) as caught:
        space.request("GET", f"{fault.url}/config")
    assert str(caught.value) == "SpaceHTTP is not open"
    async with space:
        with pytest.raises(SpaceProtocolError) as refused:
            space.request("GET", "http://127.0.0.2:1/config")
        assert str(refused.value) == f"Refusing a request outside the Space's origin ({fault.url})"
    assert fault.requests == []


async def test_plain_requests_reuse_one_connection_and_ask_for_our_encodings_only(fault):
    from g4f_qwen_spaces.space.http import SpaceHTTP

    async with SpaceHTTP(fault.url) as space:
        for _ in range(3):
            async with space.request("GET", f"{fault.url}/config", headers={"X-Test": "1"}) as response:
                assert response.status == 200
                await response.read()
    assert fault.paths() == ["/config"] * 3 and fault.connections() == 1
    headers = fault.requests[0].headers
    assert headers["accept-encoding"] == "gzip, deflate" and headers["x-test"] == "1"
    assert [name for name in headers if "encoding" in name] == ["accept-encoding"]


class FakeContent:
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    def at_eof(self) -> bool:
        return not self.chunks

    async def readany(self) -> bytes:
        return self.chunks.pop(0)


@pytest.mark.parametrize(
    "chunks, limit, ended",
    [
        ((b"abc",), 3, True),  # exactly the limit: ended within it
        ((b"abc",), 2, False),
        ((b"ab", b"cd"), 4, True),
        ((b"ab", b"cd"), 3, False),  # counted across reads
        ((), 0, True),
    ],
)
async def test_a_drain_ends_within_its_limit_or_not(chunks, limit, ended):
    from g4f_qwen_spaces.space.http import _read_to_end

    content = FakeContent(*chunks)
    assert await _read_to_end(content, limit) is ended
    if ended:
        assert content.chunks == []


@pytest.mark.parametrize("encoding", [None, "gzip"])
async def test_an_error_body_past_its_8_kib_is_read_for_its_head(qvq_at, encoding):
    import gzip

    from tests.faultserver import run

    body = b"e" * 20000
    headers = {"Content-Encoding": "gzip"} if encoding else None
    qvq_at.route("GET", "/config", respond(500, gzip.compress(body) if encoding else body,
                                           content_type="text/plain", headers=headers))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} answered 500: " + "e" * 159 + "…"


@pytest.mark.parametrize(
    "body, headers, shown",
    [
        (b"bad \xff byte", None, "bad \ufffd byte"),  # not UTF-8: replaced, not refused
        (b"not gzip at all", {"Content-Encoding": "gzip"}, "(empty)"),  # unreadable: no body
    ],
)
async def test_an_error_body_is_read_as_far_as_it_can_be(qvq_at, body, headers, shown):
    from tests.faultserver import run

    qvq_at.route("GET", "/config", respond(500, body, content_type="text/plain", headers=headers))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} answered 500: {shown}"


async def test_a_json_answer_with_a_byte_that_is_not_utf8_is_read_with_it_replaced(qvq_at):
    import json

    from tests.faultserver import CONFIG, run

    config = dict(CONFIG, title="caf\x00")
    data = json.dumps(config).encode().replace(b"\\u0000", b"\xff")
    assert b"\xff" in data
    qvq_at.route("GET", "/config", respond(200, data, content_type="application/json"))
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world"


async def test_a_gzip_config_is_read(qvq_at):
    import gzip
    import json

    from tests.faultserver import CONFIG, run

    qvq_at.route("GET", "/config", respond(200, gzip.compress(json.dumps(CONFIG).encode()),
                                           content_type="application/json", headers={"Content-Encoding": "gzip"}))
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world"


async def test_a_json_answer_past_its_limit_names_the_space_and_the_answer(qvq_at):
    from g4f_qwen_spaces.space.errors import SpaceLimitError
    from tests.faultserver import PREFIX, run

    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(200, b'{"event_id": "' + b"x" * (1024 * 1024) + b'"}',
                                                         content_type="application/json"))
    outcome = await run()
    error = outcome.error
    assert isinstance(error, SpaceLimitError)
    assert str(error) == f"The Space at {qvq_at.url} sent more than the 1 MiB allowed for the queue join"
    assert error.url == qvq_at.url


# -- http.py: errors raised inside a request's block -------------------------------------------


@pytest.mark.parametrize(
    "stream, raised, kind, message",
    [
        (False, "payload", "SpaceConnectionError", "Cannot reach the Space at {url}: ClientPayloadError: cut"),
        (True, "payload", "SpaceConnectionError", "Cannot reach the Space at {url}: ClientPayloadError: cut"),
        (False, "timeout", "SpaceTimeoutError", "The Space at {url} did not answer in time"),
        (True, "timeout", "SpaceTimeoutError", "The Space at {url} sent nothing for 7 s"),
    ],
)
async def test_an_error_inside_a_requests_block_comes_out_mapped(fault, stream, raised, kind, message):
    """``async with space.request(...)`` is the one boundary for the block too: what reading the
    response raised comes out as a SpaceError, worded for a stream or a plain answer."""
    import asyncio as aio

    import aiohttp

    from g4f_qwen_spaces.space.http import SpaceHTTP

    fault.route("GET", "/x", respond(200, b"ok"))
    error = aiohttp.ClientPayloadError("cut") if raised == "payload" else aio.TimeoutError()
    async with SpaceHTTP(fault.url, timeout=60, stall_timeout=7) as space:
        with pytest.raises(Exception) as caught:
            # a plain request as the client makes them: stream left at its default
            async with space.request("GET", f"{fault.url}/x", **({"stream": True} if stream else {})):
                raise error
    assert type(caught.value).__name__ == kind
    assert str(caught.value) == message.format(url=fault.url)
    assert caught.value.__cause__ is error
