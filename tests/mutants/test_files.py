"""Tests written against mutants of ``space/files.py``, ``space/cookies.py`` and ``space/errors.py``
that the other tests let live.

Image downloads (the lookup inside the deadline, what the request asks for, how
names other than the image host are looked up, what the checked addresses look
like), the cookie jar's response path, and the URL a SpaceDownError carries. See
tests/mutants/score.py and the README's Development section; the mutants these
tests cannot tell apart are in tests/mutants/equivalent.files.txt.
"""
from __future__ import annotations

import asyncio
import io
import socket

import pytest
from aiohttp import web
from yarl import URL

from g4f_qwen_spaces.space.cookies import OriginCookieJar
from g4f_qwen_spaces.space.errors import (
    SpaceAsleepError,
    SpaceChangedError,
    SpaceDownError,
    SpaceError,
    SpaceInputError,
    SpaceLimitError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
)
from g4f_qwen_spaces.space.files import (
    ALLOW_PRIVATE_URLS_ENV,
    PinnedResolver,
    checked_addresses,
    download,
)
from tests.faultserver import dead_port, respond

NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def private_allowed(monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")


# -- files.py: download() ----------------------------------------------------------------


async def test_the_image_hosts_lookup_counts_against_the_calls_deadline(monkeypatch):
    """The lookup is ours (not aiohttp's), so only download()'s own deadline can end a hung one."""
    asked = []

    async def hung_lookup(host, port, **hints):
        asked.append(host)
        await asyncio.Event().wait()

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", hung_lookup)
    with pytest.raises(SpaceTimeoutError) as caught:
        # the outer bound only stops a download that never ends; it is 10x the deadline
        await asyncio.wait_for(download("http://img.example/x.png", timeout=0.3), 3.0)
    assert str(caught.value) == (
        "Downloading the image took longer than the 0.3 s left of the call's timeout"
    )
    assert asked == ["img.example"]


async def test_an_image_url_with_an_invalid_port_is_named():
    url = "http://127.0.0.1:99999/x.png"
    with pytest.raises(SpaceInputError) as caught:
        await download(url, timeout=5.0)
    assert str(caught.value) == f"The image URL has an invalid port: {url!r}"


async def test_an_image_request_asks_only_for_encodings_body_inflates_and_closes_its_connection(
    fault, private_allowed
):
    data = png_bytes()
    fault.route("GET", "/img.png", respond(200, data, content_type="image/png"))
    assert await download(f"{fault.url}/img.png", timeout=5.0) == data
    [request] = fault.requests
    assert request.headers["accept-encoding"] == "gzip, deflate"  # not aiohttp's "br"/"zstd" too
    assert request.headers["connection"] == "close"  # the connection is the download's alone
    assert [name for name in request.headers if "encoding" in name] == ["accept-encoding"]


async def test_an_image_download_is_bounded_by_the_calls_deadline_not_aiohttps_defaults(
    fault, private_allowed, monkeypatch
):
    """aiohttp's session default (300 s total, 30 s to connect) must not cut a longer call short:
    shrunk here to 0.2 s so that a download without its own ClientTimeout would fail at once."""
    import aiohttp.client

    data = png_bytes()

    async def slow(request):
        await asyncio.sleep(0.8)
        return web.Response(body=data, content_type="image/png")

    fault.route("GET", "/img.png", slow)
    monkeypatch.setattr(aiohttp.client, "DEFAULT_TIMEOUT", aiohttp.ClientTimeout(total=0.2))
    assert await download(f"{fault.url}/img.png", timeout=10.0) == data


async def test_a_proxy_named_by_host_name_is_looked_up_normally(fault, private_allowed):
    """Only the image host is pinned; the proxy's name goes to the ordinary resolver."""
    data = png_bytes()
    fault.route("GET", "/img.png", respond(200, data, content_type="image/png"))
    proxy = f"http://localhost:{fault.port}"
    assert await download(f"http://127.0.0.1:{dead_port()}/img.png", timeout=5.0, proxy=proxy) == data
    assert fault.paths() == ["/img.png"]


# -- files.py: PinnedResolver ------------------------------------------------------------


def checked(host: str, address: str, family: socket.AddressFamily, port: int = 80) -> dict:
    return {"hostname": host, "host": address, "port": port, "family": family,
            "proto": socket.IPPROTO_TCP, "flags": NUMERIC}


class RecordingResolver:
    def __init__(self, answer):
        self.asked = []
        self.answer = answer

    async def resolve(self, *args, **kwargs):
        self.asked.append((args, kwargs))
        return self.answer

    async def close(self):
        pass


async def test_the_pinned_host_is_answered_at_the_port_asked_for():
    """The proxy may share the image's host: then the port asked for (the proxy's) is the one."""
    v4 = checked("img.example", "93.184.216.34", socket.AF_INET)
    v6 = checked("img.example", "2606:2800:220:1::1", socket.AF_INET6)
    resolver = PinnedResolver("img.example", [v4, v6])
    try:
        assert await resolver.resolve("img.example", 3128, socket.AF_UNSPEC) == [
            dict(v4, port=3128), dict(v6, port=3128)]
        assert await resolver.resolve("img.example", 8443, socket.AF_INET6) == [dict(v6, port=8443)]
        assert v4["port"] == 80  # the checked list itself is left as it was
    finally:
        await resolver.close()


async def test_the_pinned_host_without_an_address_of_the_family_asked_is_an_oserror():
    resolver = PinnedResolver("img.example", [checked("img.example", "93.184.216.34", socket.AF_INET)])
    try:
        with pytest.raises(OSError) as caught:
            await resolver.resolve("img.example", 80, socket.AF_INET6)
        assert str(caught.value) == "No checked address of 'img.example' for this address family"
        assert type(caught.value) is OSError
    finally:
        await resolver.close()


async def test_another_name_is_looked_up_as_asked_and_its_answers_copied():
    answer = [checked("proxy.example", "10.1.2.3", socket.AF_INET6, port=3128)]
    resolver = PinnedResolver("img.example", [])
    other = RecordingResolver(answer)
    resolver._other = other  # the ordinary resolver, recorded
    found = await resolver.resolve("proxy.example", 3128, socket.AF_INET6)
    assert found == answer
    assert found[0] is not answer[0]
    assert other.asked == [(("proxy.example", 3128, socket.AF_INET6), {})]


# -- files.py: checked_addresses ----------------------------------------------------------


async def test_checked_addresses_are_given_as_aiohttps_resolvers_give_them(private_allowed):
    assert await checked_addresses("127.0.0.1", 8080) == [
        {"hostname": "127.0.0.1", "host": "127.0.0.1", "port": 8080, "family": socket.AF_INET,
         "proto": socket.IPPROTO_TCP, "flags": NUMERIC}
    ]


async def test_a_lookup_that_answers_no_address_is_named(monkeypatch, private_allowed):
    async def empty(host, port, **hints):
        return []

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", empty)
    with pytest.raises(SpaceInputError) as caught:
        await checked_addresses("img.example", 80)
    assert str(caught.value) == "Cannot resolve the image URL's host 'img.example'"


# -- errors.py ---------------------------------------------------------------------------


def test_a_space_down_error_carries_its_url_state_status_and_stage():
    error = SpaceDownError("paused", 503, url="http://127.0.0.1:9", state="paused", stage="PAUSED")
    assert (str(error), error.status, error.url, error.state, error.stage) == (
        "paused", 503, "http://127.0.0.1:9", "paused", "PAUSED")


def test_each_space_error_keeps_what_it_was_given():
    url = "http://127.0.0.1:9"
    status = SpaceStatusError("page", 302, url=url, state="sleeping", page=True)
    assert (str(status), status.status, status.url, status.state, status.page) == (
        "page", 302, url, "sleeping", True)
    asleep = SpaceAsleepError("asleep", 503, url=url, state="starting", elapsed=12.5)
    assert (str(asleep), asleep.status, asleep.url, asleep.state, asleep.elapsed, asleep.page) == (
        "asleep", 503, url, "starting", 12.5, False)
    quota = SpaceQuotaError("full", 30.0, status=429, url=url)
    assert (str(quota), quota.retry_after, quota.status, quota.url) == ("full", 30.0, 429, url)
    limit = SpaceLimitError("big", "the answer", url=url)
    assert (str(limit), limit.limit, limit.url, limit.status) == ("big", "the answer", url, None)
    changed = SpaceChangedError("gone", ["no /chat"], url=url)
    assert (str(changed), changed.differences, changed.url, changed.status) == (
        "gone", ["no /chat"], url, None)


def test_space_errors_default_to_no_status_url_state_page_or_stage():
    plain = SpaceError("x")
    assert (plain.status, plain.url) == (None, None)
    status = SpaceStatusError("x")
    assert (status.status, status.url, status.state, status.page) == (None, None, None, False)
    asleep = SpaceAsleepError("x")
    assert (asleep.status, asleep.url, asleep.state, asleep.elapsed) == (None, None, None, 0.0)
    down = SpaceDownError("x")
    assert (down.status, down.url, down.state, down.stage, down.page) == (None, None, None, None, False)
    quota = SpaceQuotaError("x")
    assert (quota.retry_after, quota.status, quota.url) == (None, None, None)


def test_a_space_errors_message_is_redacted():
    from g4f_qwen_spaces.space.redact import register_secret, release_secret

    secret = "hf_SpaceErrorRedactsItsMessage12345"
    register_secret(secret)
    try:
        error = SpaceStatusError(f"token {secret} refused", 401, url="http://127.0.0.1:9")
        assert (str(error), error.args) == ("token *** refused", ("token *** refused",))
    finally:
        release_secret(secret)


def test_an_excerpt_is_200_characters_unless_told():
    from g4f_qwen_spaces.space.errors import excerpt

    assert excerpt("x" * 200) == "x" * 200
    assert excerpt("x" * 201) == "x" * 199 + "…"
    assert excerpt(bytearray(b"caf\xc3\xa9 \xff")) == "café \ufffd"
    assert excerpt(memoryview(b"a<br>b")) == "a b"


# -- cookies.py --------------------------------------------------------------------------


async def test_a_cookie_without_a_path_is_scoped_to_the_path_that_set_it():
    """update_cookies() passes the response URL on: a cookie set by queue/join without a Path
    goes back to queue/data (its directory) and not to /config."""
    jar = OriginCookieJar(("http", "127.0.0.1", 7860))
    jar.update_cookies({"route": "r1"}, URL("http://127.0.0.1:7860/gradio_api/queue/join"))
    data = jar.filter_cookies(URL("http://127.0.0.1:7860/gradio_api/queue/data"))
    assert {name: morsel.value for name, morsel in data.items()} == {"route": "r1"}
    assert dict(jar.filter_cookies(URL("http://127.0.0.1:7860/config"))) == {}
    assert [(m["domain"], m["path"]) for m in jar] == [("127.0.0.1", "/gradio_api/queue")]


def sent(jar: OriginCookieJar, url: str) -> dict:
    return {name: morsel.value for name, morsel in jar.filter_cookies(URL(url)).items()}


async def test_the_jar_takes_and_gives_cookies_for_its_own_origin_only():
    jar = OriginCookieJar(("http", "localhost", 7860))
    jar.update_cookies_from_headers(["mine=1; Path=/"], URL("http://LOCALHOST:7860/config"))
    for other in ("http://localhost:7861/x", "https://localhost:7860/x", "http://127.0.0.1:7860/x",
                  "http://localhost/x"):
        jar.update_cookies_from_headers([f"other{len(other)}=2; Path=/"], URL(other))
        jar.update_cookies({"dict": "3"}, URL(other))
        assert sent(jar, other) == {}
    assert sent(jar, "http://localhost:7860/gradio_api/queue/data") == {"mine": "1"}
    assert sent(jar, "http://Localhost:7860/") == {"mine": "1"}
    assert [m.key for m in jar] == ["mine"]


async def test_the_jar_of_an_origin_on_a_default_port_matches_urls_without_one():
    jar = OriginCookieJar(("https", "space.example", 443))
    jar.update_cookies_from_headers(["route=r2; Path=/"], URL("https://space.example/gradio_api/queue/join"))
    jar.update_cookies({"given": "g"}, URL("https://space.example:443/config"))
    assert sent(jar, "https://space.example/x") == {"route": "r2", "given": "g"}
    assert sent(jar, "http://space.example/x") == {}
    assert sent(jar, "https://space.example:8443/x") == {}


async def test_the_jar_keeps_nothing_given_without_a_response_url():
    jar = OriginCookieJar(("http", "127.0.0.1", 7860))
    jar.update_cookies({"loose": "1"})
    assert [m.key for m in jar] == []
    assert sent(jar, "http://127.0.0.1:7860/") == {}
    assert dict(jar.filter_cookies()) == {}
