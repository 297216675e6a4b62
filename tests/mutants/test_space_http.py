"""Tests written against mutants of ``space/http.py`` that the other tests let live.

Through a provider and the scripted fault server (tests/faultserver.py), as a
caller sees it: the wait a 503/429 gives, which redirects are followed, what
a refused one says. See tests/mutants/test_space.py for why they live here.
"""
from __future__ import annotations

import pytest
from g4f.errors import RateLimitError, ResponseError, ResponseStatusError

from g4f_qwen_spaces.space import SpaceConnectionError, SpaceQuotaError, SpaceStatusError
from tests.faultserver import CONFIG, PREFIX, check_error, redirect, respond, run

QUEUE_FULL = {"detail": "Queue is full. Max size is 1 and size is 1."}


@pytest.mark.parametrize("header, wait", [("12345678", 12345678.0), ("123456789", None), ("1.5", None)])
async def test_retry_after_is_read_up_to_eight_digits(qvq_at, header, wait):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(503, QUEUE_FULL, headers={"Retry-After": header}))
    outcome = await run()
    error = check_error(outcome, RateLimitError, SpaceQuotaError, "Queue is full")
    assert error.retry_after == wait and error.status == 503
    hint = f"; retry after {wait:g} s" if wait is not None else ""
    assert str(error) == f"The Space at {qvq_at.url} is busy (503): {QUEUE_FULL['detail']}{hint}"


async def test_a_relative_redirect_within_the_space_is_followed(qvq_at):
    qvq_at.route("GET", "/config", redirect("/moved/config"))
    qvq_at.route("GET", "/moved/config", respond(200, CONFIG))
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world"
    assert qvq_at.paths("GET")[:2] == ["/config", "/moved/config"]


@pytest.mark.parametrize(
    "location, host",
    [
        ("https:///nowhere", "?"),
        ("https://" + "a" * 70 + ".example/x", "a" * 59 + "…"),
        ("https://127.0.0.2:1/x", "127.0.0.2"),
    ],
)
async def test_a_redirect_to_another_host_names_it(qvq_at, location, host):
    qvq_at.route("GET", "/config", redirect(location))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} redirected to another host ({host}); not followed"
    assert error.status == 302


@pytest.fixture
def status_host(monkeypatch, fault_factory):
    """A loopback stand-in for huggingface.co's Space pages, reached by the name ``localhost``."""
    from g4f_qwen_spaces.space import http

    page = fault_factory()
    monkeypatch.setattr(http, "STATUS_HOSTS", ("localhost",))
    monkeypatch.setattr(http, "STATUS_SCHEME", "http")
    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")
    return page


async def test_a_status_page_named_in_capitals_is_still_the_status_page(qvq_at, status_host):
    """Host names are case-insensitive: ``LocalHost`` is the status host too."""
    status_host.route("GET", "/spaces/a/b", respond(200, "<html><body>Welcome</body></html>",
                                                     content_type="text/html"))
    qvq_at.route("GET", "/config", redirect(f"http://LocalHost:{status_host.port}/spaces/a/b"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} is not serving its app (redirected to its Hugging Face page)"
    assert error.status == 200 and error.state is None
    assert status_host.paths() == ["/spaces/a/b"]


@pytest.mark.parametrize("location", ["http://user@localhost:{port}/spaces/a/b", "https://localhost:{port}/x"])
async def test_a_status_host_with_credentials_or_another_scheme_is_not_followed(qvq_at, status_host, location):
    qvq_at.route("GET", "/config", redirect(location.format(port=status_host.port)))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} redirected to another host (localhost); not followed"
    assert status_host.requests == []
    assert not isinstance(error, SpaceConnectionError) and isinstance(error, ResponseError)


@pytest.mark.parametrize("closed", ["eof", "close_stream"])
async def test_a_stream_closed_before_the_answer_names_the_space(qvq_at, closed):
    from g4f_qwen_spaces.space import SpaceProtocolError
    from tests.faultserver import HANG, Sleep, close_stream, generating, text_script

    if closed == "eof":
        qvq_at.script = text_script(["Hello"], complete=False)
    else:
        qvq_at.script = [generating("Hello"), Sleep(0.05), close_stream(), HANG]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} closed the stream before the answer was complete"
    assert error.url == qvq_at.url and error.status is None
    assert outcome.text == "Hello"


# -- files.py: image downloads -----------------------------------------------------------


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "PNG")
    return buffer.getvalue()


async def fetch(url: str, **kwargs):
    from g4f_qwen_spaces.space.files import download

    # Issue 18 (5e64d13): download() opens its own session (its own connection, pinned to the
    # checked addresses, bodies decompressed by us, bounded); it no longer takes the caller's.
    return await download(url, timeout=5.0, **kwargs)


async def test_an_image_url_on_loopback_is_refused_by_name(fault, monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.delenv(ALLOW_PRIVATE_URLS_ENV, raising=False)
    fault.route("GET", "/img.png", respond(200, png_bytes(), content_type="image/png"))
    with pytest.raises(SpaceInputError) as caught:
        await fetch(f"{fault.url}/img.png")
    assert str(caught.value) == (
        "Image URLs on private or local networks are refused (127.0.0.1); "
        f"set {ALLOW_PRIVATE_URLS_ENV}=1 to allow them"
    )
    assert fault.requests == []


async def test_an_image_download_goes_through_the_proxy(fault, monkeypatch):
    """The proxy gets the absolute URL and answers for it; nothing connects to the image host."""
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV
    from tests.faultserver import dead_port

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    data = png_bytes()
    fault.route("GET", "/img.png", respond(200, data, content_type="image/png"))
    assert await fetch(f"http://127.0.0.1:{dead_port()}/img.png", proxy=fault.url) == data
    assert fault.paths() == ["/img.png"]


async def test_an_image_url_that_redirects_is_not_followed(fault, monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    fault.route("GET", "/moved.png", redirect("/img.png"))
    fault.route("GET", "/img.png", respond(200, png_bytes(), content_type="image/png"))
    with pytest.raises(SpaceInputError) as caught:
        await fetch(f"{fault.url}/moved.png")
    assert str(caught.value) == "The image URL answered 302"
    assert fault.paths() == ["/moved.png"]


async def test_a_gzipped_image_is_inflated_and_counted_after_inflating(fault, monkeypatch):
    import gzip

    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    data = png_bytes()
    fault.route("GET", "/img.png", respond(200, gzip.compress(data), content_type="image/png",
                                           headers={"Content-Encoding": "gzip"}))
    assert await fetch(f"{fault.url}/img.png") == data
    assert await fetch(f"{fault.url}/img.png", limit=len(data)) == data
    with pytest.raises(SpaceInputError) as caught:
        await fetch(f"{fault.url}/img.png", limit=len(data) - 1)
    assert str(caught.value) == f"The image is over the {len(data) - 1:,}-byte limit"


@pytest.mark.parametrize("url, host", [("http://no-such-image.invalid/x.png", "no-such-image.invalid"),
                                       ("http:///x.png", "")])
async def test_an_image_host_that_does_not_resolve_is_named(monkeypatch, url, host):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.delenv(ALLOW_PRIVATE_URLS_ENV, raising=False)
    with pytest.raises(SpaceInputError) as caught:
        await fetch(url)
    assert str(caught.value) == f"Cannot resolve the image URL's host {host!r}"


async def test_an_image_url_that_cannot_be_reached_says_how(monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV
    from tests.faultserver import dead_port

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    with pytest.raises(SpaceInputError) as caught:
        await fetch(f"http://127.0.0.1:{dead_port()}/x.png")
    assert str(caught.value) == "Cannot download the image: ClientConnectorError"


async def test_an_image_in_many_pieces_arrives_whole(fault, monkeypatch):
    import os

    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    data = png_bytes() + os.urandom(3 << 20)
    fault.route("GET", "/big.png", respond(200, data, content_type="image/png"))
    assert await fetch(f"{fault.url}/big.png") == data


async def test_not_waiting_for_a_sleeping_space_keeps_its_url_and_status(qvq_at, monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceAsleepError

    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")
    page = "<html><body><h1>This Space is sleeping due to inactivity.</h1></body></html>"
    qvq_at.route("GET", "/config", respond(503, page, content_type="text/html"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceAsleepError, within=5)
    assert str(error) == (f"The Space at {qvq_at.url} is sleeping (503); "
                          "not waiting for it (G4F_QWEN_SPACES_WAKE_LIMIT=0)")
    assert (error.url, error.status, error.state) == (qvq_at.url, 503, "sleeping")


# -- SpaceHTTP.map_error: the one mapping into the SpaceError family ------------------------

BASE = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "error, kind, message",
    [
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "SpaceProtocolError",
         f"The Space at {BASE} sent text that is not UTF-8"),
        (RecursionError(), "SpaceProtocolError", f"The Space at {BASE} sent data nested too deeply"),
        (MemoryError(), "SpaceProtocolError", f"The Space at {BASE} sent more than fits in memory"),
        (KeyError("x"), "SpaceProtocolError", f"The Space at {BASE} sent data this client cannot use (KeyError)"),
        (RuntimeError("x"), "SpaceError", f"The call to the Space at {BASE} failed: RuntimeError"),
    ],
)
def test_map_error_word_for_word(error, kind, message):
    from g4f_qwen_spaces.space.http import SpaceHTTP

    mapped = SpaceHTTP(BASE).map_error(error)
    assert type(mapped).__name__ == kind
    assert str(mapped) == message and mapped.url == BASE


def test_map_error_fills_only_a_missing_url_and_leaves_cancellation_alone():
    import asyncio

    from g4f_qwen_spaces.space.errors import SpaceProtocolError
    from g4f_qwen_spaces.space.http import SpaceHTTP

    http = SpaceHTTP(BASE)
    bare = SpaceProtocolError("from a parser")
    assert http.map_error(bare) is bare and bare.url == BASE
    elsewhere = SpaceProtocolError("m", url="http://127.0.0.1:10")
    assert http.map_error(elsewhere).url == "http://127.0.0.1:10"
    cancelled = asyncio.CancelledError()
    assert http.map_error(cancelled) is cancelled


def test_a_space_http_shows_whether_it_holds_a_token_never_the_token():
    from g4f_qwen_spaces.space.http import SpaceHTTP

    assert repr(SpaceHTTP(BASE)) == f"SpaceHTTP({BASE!r}, token=none)"
    assert repr(SpaceHTTP(BASE, token="hf_ReprNeverShowsIt0123")) == f"SpaceHTTP({BASE!r}, token=set)"


@pytest.mark.parametrize(
    "make, kind, message",
    [
        (lambda aiohttp: aiohttp.ConnectionTimeoutError(), "SpaceConnectTimeoutError",
         f"Could not connect to the Space at {BASE} within 7 s"),
        (lambda aiohttp: aiohttp.ClientResponseError(None, (), message="Invalid status line"), "SpaceProtocolError",
         f"The Space at {BASE} sent a malformed HTTP response: ClientResponseError: Invalid status line"),
        (lambda aiohttp: aiohttp.ClientOSError(111, "Connection refused"), "SpaceConnectionError",
         f"Cannot reach the Space at {BASE}: ClientOSError: Connection refused"),
    ],
)
def test_connection_errors_word_for_word(make, kind, message):
    import aiohttp

    from g4f_qwen_spaces.space.http import SpaceHTTP

    mapped = SpaceHTTP(BASE, connect_timeout=7).map_error(make(aiohttp))
    assert type(mapped).__name__ == kind
    assert str(mapped) == message and mapped.url == BASE


def test_a_malformed_response_without_a_message_is_described_by_aiohttp():
    import aiohttp
    from multidict import CIMultiDict, CIMultiDictProxy
    from yarl import URL

    from g4f_qwen_spaces.space.http import SpaceHTTP

    info = aiohttp.RequestInfo(URL(BASE), "GET", CIMultiDictProxy(CIMultiDict()), URL(BASE))
    error = aiohttp.ClientResponseError(info, (), message="")
    mapped = SpaceHTTP(BASE).map_error(error)
    assert str(mapped) == (f"The Space at {BASE} sent a malformed HTTP response: ClientResponseError: "
                           f"{excerpt_of(str(error))}")
    assert "None" not in str(mapped)


def excerpt_of(text: str) -> str:
    from g4f_qwen_spaces.space.errors import excerpt

    return excerpt(text, 120)


async def test_a_refused_connection_is_named_by_its_os_error():
    import aiohttp

    from g4f_qwen_spaces.space.http import SpaceHTTP
    from tests.faultserver import dead_port

    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.get(f"http://127.0.0.1:{dead_port()}/")
    error = caught.value
    mapped = SpaceHTTP(BASE).map_error(error)
    assert str(mapped) == f"Cannot reach the Space at {BASE}: ClientConnectorError: {error.os_error}"
    assert "[Errno 111]" in str(mapped)  # the OSError itself, not only its strerror


def test_a_long_malformed_response_detail_is_cut_at_120_characters():
    import aiohttp

    from g4f_qwen_spaces.space.http import SpaceHTTP

    mapped = SpaceHTTP(BASE).map_error(aiohttp.ClientResponseError(None, (), message="m" * 200))
    assert str(mapped) == (f"The Space at {BASE} sent a malformed HTTP response: ClientResponseError: "
                           + "m" * 119 + "…")


async def test_giving_up_on_a_sleeping_space_cuts_its_message_at_200_characters(fault, monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceAsleepError

    path = "/" + "p" * 180
    url = fault.url + path
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", url)
    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")
    page = "<html><body><h1>This Space is sleeping due to inactivity.</h1></body></html>"
    fault.route("GET", f"{path}/config", respond(503, page, content_type="text/html"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceAsleepError, within=5)
    whole = f"The Space at {url} is sleeping (503)"
    assert len(whole) > 200
    assert str(error) == whole[:199] + "…; not waiting for it (G4F_QWEN_SPACES_WAKE_LIMIT=0)"


async def test_cancel_without_an_open_session_does_nothing(fault):
    from g4f_qwen_spaces.space.client import SpaceClient

    config = predict_config(fault.url)
    endpoint = config.endpoint("predict")
    client = SpaceClient(fault.url)
    assert await client.cancel(config, endpoint, "e1") is None  # never opened
    async with SpaceClient(fault.url) as opened:
        await opened.session.close()
        assert await opened.cancel(config, endpoint, "e2") is None  # closed under it
    assert fault.requests == []


def predict_config(url):
    from g4f_qwen_spaces.space.config import SpaceConfig

    return SpaceConfig.parse(url, {"components": [], "dependencies": [{"api_name": "predict"}]})


def test_a_long_connection_failure_detail_is_cut_at_160_characters():
    import aiohttp

    from g4f_qwen_spaces.space.http import SpaceHTTP

    mapped = SpaceHTTP(BASE).map_error(aiohttp.ClientOSError(111, "r" * 200))
    assert str(mapped) == f"Cannot reach the Space at {BASE}: ClientOSError: " + "r" * 159 + "…"


# -- SpaceClient.cancel: the same credentials, proxy and bounds as the call ------------------

TOKEN = "hf_MutantsCancelToken0123456789abc"
def stalled_script():
    from tests.faultserver import HANG, Sleep, append, estimation, generating, starts

    return [estimation(), starts(), generating("Hello"), Sleep(0.05), append(" wor"), HANG]


async def test_the_cancel_request_carries_the_call_s_credentials(qvq_at, caplog, hf_names, monkeypatch):
    """On an hf.space name, where the token goes (issue 16: only there, only as X-HF-Authorization)."""
    import logging

    from g4f.errors import TimeoutError as G4FTimeoutError

    from g4f_qwen_spaces.space import SpaceTimeoutError
    from tests.faultserver import EVENT_ID

    url = hf_names(qvq_at.url, "owner-qvq")
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", url)
    qvq_at.script = stalled_script()
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        outcome = await run(stall_timeout=1, api_key=TOKEN)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)
    assert qvq_at.wait_for(lambda: qvq_at.requests_to("/cancel"), 3)
    assert f"Cancelled job {EVENT_ID} at {url}: 200" in caplog.messages
    join, cancel = qvq_at.requests_to("/queue/join")[0], qvq_at.requests_to("/cancel")[0]
    credentials = {k.lower(): v for k, v in join.headers.items() if TOKEN in v}
    assert credentials == {"x-hf-authorization": f"Bearer {TOKEN}"}
    assert {k: cancel.headers.get(k) for k in credentials} == credentials


async def test_the_cancel_request_goes_through_the_call_s_proxy(fault, monkeypatch):
    """The fault server is the proxy: it answers for the Space, whose own port has nobody."""
    from g4f.errors import TimeoutError as G4FTimeoutError

    from g4f_qwen_spaces.space import SpaceTimeoutError
    from tests.faultserver import dead_port

    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", f"http://127.0.0.1:{dead_port()}")
    fault.script = stalled_script()
    outcome = await run(stall_timeout=1, proxy=fault.url)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)
    assert outcome.text == "Hello wor"
    assert fault.wait_for(lambda: fault.requests_to("/cancel"), 3), fault.paths()


async def test_a_hanging_cancel_is_bounded_by_what_is_left_of_the_deadline(qvq_at, caplog):
    import asyncio
    import logging
    import time

    from tests.faultserver import EVENT_ID

    async def silent(request):  # no status line, no headers: the cancel can only time out
        await asyncio.Event().wait()

    qvq_at.script = stalled_script()
    qvq_at.route("POST", f"{PREFIX}/cancel", silent)
    start = time.monotonic()
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        outcome = await run(stall_timeout=1, timeout=2)
    elapsed = time.monotonic() - start
    failed = [m for m in caplog.messages if m.startswith(f"Cancel of job {EVENT_ID} at {qvq_at.url} failed: ")]
    assert len(failed) == 1 and "TimeoutError" in failed[0], caplog.messages
    assert outcome.error is not None and outcome.text == "Hello wor"
    assert qvq_at.requests_to("/cancel")
    # The stall ends the call after about 1.1 s; the cancel then gets what is left of the
    # 2 s deadline, at least its 1 s grace: about 2.1 s in all, never an unbounded wait.
    assert elapsed < 3.6, elapsed


async def test_a_redirected_cancel_is_not_followed(qvq_at):
    from g4f.errors import TimeoutError as G4FTimeoutError

    from g4f_qwen_spaces.space import SpaceTimeoutError

    qvq_at.script = stalled_script()
    qvq_at.route("POST", f"{PREFIX}/cancel", redirect(f"{PREFIX}/elsewhere", 307))
    outcome = await run(stall_timeout=1)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)
    assert qvq_at.wait_for(lambda: qvq_at.requests_to("/cancel"), 3)
    assert qvq_at.requests_to("/elsewhere") == []


@pytest.mark.parametrize(
    "left, stream, message",
    [
        (0.05, True, f"The request to {BASE} ran out of its total timeout (30 s)"),
        (0.06, True, f"The Space at {BASE} sent nothing for 7 s"),
        (0.5, True, f"The Space at {BASE} sent nothing for 7 s"),
        (0.5, False, f"The Space at {BASE} did not answer in time"),
        (-1.0, False, f"The request to {BASE} ran out of its total timeout (30 s)"),
    ],
)
def test_a_timeout_is_the_deadline_within_50_ms_of_it_else_a_stall(monkeypatch, left, stream, message):
    from types import SimpleNamespace

    from g4f_qwen_spaces.space import http as http_module
    from g4f_qwen_spaces.space.errors import SpaceTimeoutError

    space = http_module.SpaceHTTP(BASE, timeout=30, stall_timeout=7, deadline=1000.0)
    monkeypatch.setattr(http_module, "time", SimpleNamespace(monotonic=lambda: 1000.0 - left))
    error = space.timeout_error(stream)
    assert type(error) is SpaceTimeoutError and str(error) == message and error.url == BASE


@pytest.mark.parametrize("on_hf_space", [True, False], ids=["hf.space", "elsewhere"])
@pytest.mark.parametrize("status", [401, 403])
async def test_a_private_space_s_refusal_word_for_word(qvq_at, status, on_hf_space, hf_names, monkeypatch):
    """Issue 16: only on hf.space may a token help; elsewhere the message says it never goes there."""
    from g4f.errors import MissingAuthError

    from g4f_qwen_spaces.space import SpaceAuthError

    url = hf_names(qvq_at.url, "owner-qvq") if on_hf_space else qvq_at.url
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", url)
    qvq_at.route("GET", "/config", respond(status, {"error": "Forbidden"}))
    outcome = await run()
    error = check_error(outcome, MissingAuthError, SpaceAuthError, within=5)
    why = ('it is private or gated, so an HF token is needed (pass api_key="hf_...")' if on_hf_space
           else "an HF token (api_key) is sent only to Spaces on hf.space, never to this host")
    assert str(error) == f"The Space at {url} refused access ({status}): {why}"
    assert (error.status, error.url) == (status, url)


async def test_a_404_without_a_url_variable_to_name_gives_no_hint(fault):
    from g4f_qwen_spaces.space.client import SpaceClient
    from g4f_qwen_spaces.space.config import ConfigCache
    from g4f_qwen_spaces.space.errors import SpaceStatusError

    fault.route("GET", "/config", respond(404, {"detail": "Not Found"}))
    async with SpaceClient(fault.url, cache=ConfigCache()) as client:
        with pytest.raises(SpaceStatusError) as caught:
            await client.endpoint("predict")
    assert str(caught.value) == (f"Not found (404) at {fault.url}/config: the Space may be gone or renamed; "
                                 "duplicate it on Hugging Face")
    assert (caught.value.status, caught.value.url) == (404, fault.url)


async def test_a_busy_space_s_long_message_is_cut_at_160_characters(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(429, {"error": "z" * 300}))
    outcome = await run()
    error = check_error(outcome, RateLimitError, SpaceQuotaError)
    assert str(error) == f"The Space at {qvq_at.url} is busy (429): " + "z" * 159 + "…"
    assert (error.status, error.retry_after) == (429, None)


async def test_only_an_html_page_is_read_for_the_space_s_state(qvq_at):
    qvq_at.route("GET", "/config", respond(500, "the worker is sleeping", content_type="text/plain"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} answered 500: the worker is sleeping"
    assert (error.status, error.state) == (500, None)


async def test_an_html_error_page_keeps_its_status(qvq_at):
    qvq_at.route("GET", "/config", respond(502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
                                           content_type="text/html"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} answered 502 with an HTML page instead of its API"
    assert (error.status, error.state, error.url) == (502, None, qvq_at.url)


async def test_a_plain_error_s_long_message_is_cut_at_160_characters(qvq_at):
    qvq_at.route("GET", "/config", respond(500, {"detail": "d" * 300}))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} answered 500: " + "d" * 159 + "…"


@pytest.mark.parametrize(
    "body, headers, shown",
    [
        ('{"message": "out of memory"}', None, "out of memory"),
        ('{"error": "bad input", "message": "ignored"}', None, "bad input"),
        ("[1, 2]", None, "[1, 2]"),  # JSON, but not an object: the body itself
        ("gzip", {"Content-Encoding": "gzip"}, "compressed detail"),
    ],
)
async def test_the_message_of_an_error_body(qvq_at, body, headers, shown):
    import gzip

    data = gzip.compress(b'{"detail": "compressed detail"}') if body == "gzip" else body
    qvq_at.route("GET", "/config", respond(500, data, content_type="application/json", headers=headers))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == f"The Space at {qvq_at.url} answered 500: {shown}"


@pytest.mark.parametrize("hops", [5, 6])
async def test_five_redirects_within_the_space_are_followed_and_a_sixth_is_not(qvq_at, hops):
    """MAX_REDIRECTS = 5 (aiohttp's own default is 10; we follow redirects ourselves, same origin only)."""
    from g4f_qwen_spaces.space.http import MAX_REDIRECTS

    assert MAX_REDIRECTS == 5
    for hop in range(hops):
        qvq_at.route("GET", "/config" if hop == 0 else f"/hop{hop}/config", redirect(f"/hop{hop + 1}/config"))
    qvq_at.route("GET", f"/hop{hops}/config", respond(200, CONFIG))
    outcome = await run()
    if hops == 5:
        assert outcome.error is None and outcome.text == "Hello world"
        assert qvq_at.paths("GET")[:6] == ["/config"] + [f"/hop{n}/config" for n in range(1, 6)]
    else:
        error = check_error(outcome, ResponseStatusError, SpaceStatusError)
        assert str(error) == f"{qvq_at.url} redirected too many times"
        assert qvq_at.paths("GET") == ["/config"] + [f"/hop{n}/config" for n in range(1, 6)]


@pytest.mark.parametrize("status, method", [(301, "POST"), (302, "POST"), (303, "GET"), (307, "POST"), (308, "POST")])
async def test_each_redirect_status_is_followed_and_only_303_turns_the_join_into_a_get(qvq_at, status, method):
    """The five redirect statuses of RFC 9110 §15.4 are followed within the Space's origin; a 303 asks
    for a GET without the body (§15.4.4), the others keep the POST and its body."""
    from tests.faultserver import EVENT_ID

    qvq_at.route("POST", f"{PREFIX}/queue/join", redirect("/elsewhere/join", status))
    qvq_at.route(method, "/elsewhere/join", respond(200, {"event_id": EVENT_ID}))
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world", outcome.error
    joins = [r for r in qvq_at.requests if r.path.endswith("join")]
    assert [(r.method, r.path) for r in joins] == [("POST", f"{PREFIX}/queue/join"), (method, "/elsewhere/join")]
    assert joins[1].body == (joins[0].body if method == "POST" else b"")


@pytest.mark.parametrize("status", [200, 201, 304])
async def test_a_location_on_an_answer_that_is_not_a_redirect_is_not_followed(qvq_at, status):
    qvq_at.route("GET", "/config", respond(status, CONFIG, headers={"Location": "/elsewhere/config"}))
    await run()
    assert "/elsewhere/config" not in qvq_at.paths("GET")
    assert qvq_at.paths("GET")[0] == "/config"


async def test_a_redirect_without_a_location_is_not_followed(qvq_at):
    qvq_at.route("GET", "/config", respond(302, CONFIG))
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world", outcome.error


async def test_an_upload_redirected_with_303_is_asked_again_as_a_get_without_the_image(qvq_at):
    """RFC 9110 §15.4.4: after a 303 the client GETs the new location, without the form it posted."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 0, 0)).save(buffer, "PNG")
    qvq_at.route("POST", f"{PREFIX}/upload", redirect("/elsewhere/upload", 303))
    qvq_at.route("GET", "/elsewhere/upload", respond(200, ["/tmp/gradio/red.png"]))
    outcome = await run(media=[(buffer.getvalue(), "red.png")])
    assert outcome.error is None and outcome.text == "Hello world", outcome.error
    uploads = [r for r in qvq_at.requests if r.path.endswith("upload")]
    assert [(r.method, r.path) for r in uploads] == [("POST", f"{PREFIX}/upload"), ("GET", "/elsewhere/upload")]
    assert len(uploads[0].body) > 0 and uploads[1].body == b""


async def test_a_400_is_an_error_status_not_an_answer(qvq_at):
    qvq_at.route("GET", "/config", respond(400, {"detail": "Bad request"}))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError)
    assert error.status == 400
    assert str(error).startswith(f"The Space at {qvq_at.url} answered 400")


async def test_a_token_is_redacted_while_its_client_is_open_and_released_when_it_closes():
    """The token is masked in every message while a client holding it is open; closing
    the client lets it go (a released token is text again, and the registry stays small)."""
    from g4f_qwen_spaces.space.http import SpaceHTTP
    from g4f_qwen_spaces.space.redact import MASK, redact

    token = "hf_" + "Rl9" * 12
    assert redact(f"saw {token}") == f"saw {token}"
    async with SpaceHTTP("http://127.0.0.1:9", token=token):
        assert redact(f"saw {token}") == f"saw {MASK}"
    assert redact(f"saw {token}") == f"saw {token}"
