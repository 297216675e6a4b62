"""Hugging Face as it is: the Hub's stages, the proxy's pages, where the token goes, cookies.

The stand-ins (tests/hfproxy.py) follow /work/shared/NOTES.md, "Hugging Face
as a client really meets it": a Hub API for ``HF_ENDPOINT`` and a proxy with
the real texts, in front of a scripted app (tests/faultserver.py) here and of
real Gradio servers in tests/test_hub_gradio.py. ``*.hf.space`` names reach
loopback through the ``hf_names`` fixture. Every case asserts the type, the
exact message, the time taken and what the Hub, the proxy and the app received.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from g4f.errors import ResponseStatusError
from hypothesis import given
from hypothesis import strategies as st

from g4f_qwen_spaces import Qwen_QVQ_72B
from g4f_qwen_spaces.space import hub as hubmod
from g4f_qwen_spaces.space.copies import COOLDOWN, moves_on, reason
from g4f_qwen_spaces.space.errors import SpaceAsleepError, SpaceDownError, SpaceStatusError
from g4f_qwen_spaces.space.hub import (
    DOWN_STAGES,
    HUB_BODY_LIMIT,
    HUB_TIMEOUT,
    WAKING_STAGES,
    down_error,
    is_hf_space,
    parse_stage,
    subdomain,
    token_headers,
)
from g4f_qwen_spaces.space.wake import WAKE_ENV, Waking, is_waking, not_serving
from tests.faultserver import PREFIX, respond, run, stall
from tests.hfproxy import FrontServer, Timeline

ENV = Qwen_QVQ_72B.url_env
TOKEN = "hf_HubTestToken0123456789abcdefXYZ"
SUB = "owner-qvq"
JOIN, DATA = f"{PREFIX}/queue/join", f"{PREFIX}/queue/data"
ASK = f"/api/spaces/by-subdomain/{SUB}"


@pytest.fixture(autouse=True)
def isolated(lifecycle_isolated, socket_baseline):
    COOLDOWN.clear()
    yield
    COOLDOWN.clear()


def statuses(outcome) -> list[str]:
    """The waiting statuses (not the queue's position)."""
    return [c.status for c in outcome.chunks
            if not isinstance(c, str) and str(getattr(c, "status", "")).startswith("The Space is ")]


@pytest.fixture
def app(fault_factory):
    """The app behind the proxy: a scripted Gradio-5-like server."""
    return fault_factory()


@pytest.fixture
def front(app, hf_names, monkeypatch):
    """``front(timeline=..., private=...)`` -> a started proxy in front of ``app``, set as QVQ's URL."""
    made: list[FrontServer] = []

    def make(**options) -> FrontServer:
        proxy = FrontServer(app.url, **options).start()
        made.append(proxy)
        proxy.hf_url = hf_names(proxy.url, SUB)
        monkeypatch.setenv(ENV, proxy.hf_url)
        return proxy

    yield make
    for proxy in made:
        proxy.stop()


# == which hosts are Hugging Face's ===================================================


@pytest.mark.parametrize("url, expected", [
    ("https://qwen-qvq-72b-preview.hf.space", True),
    ("http://owner-qvq.hf.space:8080/some/path", True),
    ("HTTPS://Owner-QVQ.HF.SPACE", True),
    ("https://hf.space", False),
    ("https://.hf.space", False),  # the suffix alone, with its dot: no Space's name before it
    ("https://x.hf.space.example.com", False),
    ("https://xhf.space", False),
    ("http://127.0.0.1:7860", False),
    ("https://huggingface.co/spaces/Qwen/QVQ-72B-preview", False),
])
def test_a_space_is_on_hugging_face_by_its_host_name(url, expected):
    assert is_hf_space(url) is expected
    assert token_headers(url, TOKEN) == ({"X-HF-Authorization": f"Bearer {TOKEN}"} if expected else {})
    assert token_headers(url, None) == {}


@pytest.mark.parametrize("url, expected", [
    ("https://qwen-qvq-72b-preview.hf.space", "qwen-qvq-72b-preview"),
    ("http://a.b.hf.space:1", None),  # not one label: not a Space's subdomain
    ("https://-bad.hf.space", None),
    ("https://example.com", None),
])
def test_the_subdomain_asked_about(url, expected):
    assert subdomain(url) == expected


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["runtime", "stage", "id", "x"]),
                                                                inner, max_size=4),
    max_leaves=20,
))
def test_the_hub_answer_parser_takes_only_a_plain_stage_word(data):
    stage = parse_stage(data)
    assert stage is None or (isinstance(stage, str) and stage.isupper() and len(stage) <= 40)
    assert parse_stage(json.loads(json.dumps(data))) == stage


@given(st.sampled_from(sorted({*WAKING_STAGES, *DOWN_STAGES, "RUNNING", "RUNNING_BUILDING"})),
       st.dictionaries(st.sampled_from(["hardware", "gcTimeout", "replicas"]), st.integers(), max_size=3))
def test_the_hub_answer_parser_reads_runtime_stage(stage, extra):
    assert parse_stage({"id": "o/n", "runtime": {"stage": stage, **extra}}) == stage
    assert parse_stage({"stage": stage}) == stage  # the /runtime form
    assert parse_stage({"runtime": {"stage": stage.lower()}}) is None
    assert parse_stage({"runtime": {"stage": stage + "\n"}}) is None
    assert parse_stage({"runtime": [stage]}) is None


def test_only_answers_from_in_front_of_the_app_are_worth_asking_the_hub_about():
    assert not_serving(SpaceStatusError("x", 503))
    assert not_serving(SpaceStatusError("x", 200, page=True))
    assert not not_serving(SpaceStatusError("x", 500))
    assert not not_serving(SpaceStatusError("x", 404))
    assert not not_serving(SpaceDownError("x", 503, state="paused"))
    # The pages alone: a bare 5xx is waking only while starting (a crashed Space is not).
    assert is_waking(SpaceStatusError("x", 503, state="sleeping"), "")
    assert not is_waking(SpaceStatusError("x", 503), "")
    assert not is_waking(SpaceStatusError("x", 503), "sleeping")
    assert is_waking(SpaceStatusError("x", 502), "starting")


# == where the token goes =============================================================


async def test_on_hf_space_the_token_goes_in_hugging_faces_header_only(app, hf_names, monkeypatch, hub):
    """The app on an hf.space name with no proxy in between: what would reach it if the proxy passed all."""
    monkeypatch.setenv(ENV, hf_names(app.url, SUB))
    outcome = await run(api_key=TOKEN, media=[(png_bytes(), "a.png")])
    assert outcome.error is None and outcome.text == "Hello world"
    assert app.paths() == ["/config", f"{PREFIX}/upload", JOIN, DATA]
    for record in app.requests:
        assert record.headers.get("x-hf-authorization") == f"Bearer {TOKEN}", record.path
        assert "authorization" not in record.headers, record.path
    assert hub.requests == []  # a working call never asks the Hub


async def test_off_hf_space_the_token_goes_nowhere(app, monkeypatch, hub):
    monkeypatch.setenv(ENV, app.url)  # 127.0.0.1: a local server, a self-hosted copy
    outcome = await run(api_key=TOKEN)
    assert outcome.error is None and outcome.text == "Hello world"
    assert app.paths() == ["/config", JOIN, DATA]
    for record in app.requests:
        assert not {"authorization", "x-hf-authorization"} & set(record.headers), record


async def test_through_the_proxy_the_app_never_sees_the_token(app, front, hub):
    """The proxy reads and strips X-HF-Authorization; a plain Authorization would pass (we send none)."""
    proxy = front()
    outcome = await run(api_key=TOKEN)
    assert outcome.error is None and outcome.text == "Hello world"
    assert proxy.callers == [f"Bearer {TOKEN}"] * 3
    assert [path for _, path, _ in proxy.forwarded] == ["/config", JOIN, DATA]
    for record in app.requests:
        assert not {"authorization", "x-hf-authorization"} & set(record.headers), record
    assert hub.requests == []


async def test_the_stand_in_proxy_passes_authorization_through(app, front):
    """The evidence the header rule rests on: what a client sending Authorization would leak."""
    import aiohttp

    proxy = front()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{proxy.hf_url}/config",
                               headers={"Authorization": "Bearer x", "X-HF-Authorization": "Bearer y"}) as r:
            assert r.status == 200
    assert app.requests[0].headers["authorization"] == "Bearer x"
    assert "x-hf-authorization" not in app.requests[0].headers
    assert proxy.callers == ["Bearer y"]


async def test_the_hub_gets_authorization_and_nothing_else_does(app, front, hub):
    hub.spaces[SUB] = Timeline(("APP_STARTING", 1.2))
    hub.private[SUB] = TOKEN
    proxy = front(timeline=hub.spaces[SUB], starting_answers=(502,))
    outcome = await run(api_key=TOKEN, stream=True)
    assert outcome.error is None and outcome.text == "Hello world"
    assert hub.asked(SUB) >= 1
    for record in hub.requests:
        assert record.headers["authorization"] == f"Bearer {TOKEN}"
        assert "x-hf-authorization" not in record.headers and "cookie" not in record.headers
    assert set(proxy.callers) == {f"Bearer {TOKEN}"}


# == stages ===========================================================================


@pytest.mark.parametrize("stage, status", [
    ("SLEEPING", "The Space is waking up (0 s)…"),
    ("STOPPED", "The Space is waking up (0 s)…"),
    ("BUILDING", "The Space is building (0 s)…"),
    ("APP_STARTING", "The Space is starting (0 s)…"),
    ("RUNNING_APP_STARTING", "The Space is starting (0 s)…"),
])
async def test_a_space_on_its_way_up_is_waited_for(app, front, hub, stage, status):
    """Bare 502/504 only, so nothing but the Hub says the Space is coming up."""
    hub.spaces[SUB] = Timeline((stage, 2.0))
    proxy = front(timeline=hub.spaces[SUB], starting_answers=(502, 504))
    outcome = await run(stream=True)
    assert outcome.error is None, outcome.error
    assert outcome.text == "Hello world"
    # Attempts at 0, 1 and 3 s: two bare answers, then the app.
    assert statuses(outcome) == [status, status.replace("(0 s)", "(1 s)")] and proxy.pages == 2
    assert hub.asked(SUB) == 2  # once per wait step, none on the answer
    assert app.paths() == ["/config", JOIN, DATA]
    assert 3.0 <= outcome.elapsed < 4.5


@pytest.mark.parametrize("stage", sorted(DOWN_STAGES))
async def test_a_space_only_its_owner_can_bring_back_fails_at_once(app, front, hub, stage):
    hub.spaces[SUB] = Timeline(then=stage)
    proxy = front(timeline=hub.spaces[SUB])
    outcome = await run(stream=True)
    error = outcome.error
    assert isinstance(error, ResponseStatusError) and isinstance(error, SpaceDownError), repr(error)
    state, words = DOWN_STAGES[stage]
    url = proxy.hf_url
    if stage == "RUNTIME_ERROR":  # the proxy's own text says so: the Hub is not asked
        assert str(error) == (f"The Space at {url} has a runtime error (503); it will not serve until its "
                              f"owner acts: duplicate it on Hugging Face and list the copy in {ENV}")
        assert hub.asked() == 0
    else:  # a page naming no state: the Hub says which
        assert str(error) == (f"The Space at {url} {words} (Hugging Face reports {stage}); it will not serve "
                              f"until its owner acts: duplicate it on Hugging Face and list the copy in {ENV}")
        assert error.stage == stage and hub.asked(SUB) == 1
    assert error.state == state and error.status == 503
    assert statuses(outcome) == [] and proxy.paths() == ["/config"] and app.requests == []
    assert outcome.elapsed < 1.0
    assert moves_on(error) and reason(error) == words


async def test_a_crashed_space_fails_at_once_without_a_hub(app, front):
    """HF_ENDPOINT on a closed port; the 503 text alone says "runtime error" (no 180 s wait)."""
    proxy = front(timeline=Timeline(then="RUNTIME_ERROR"))
    outcome = await run(stream=True)
    assert isinstance(outcome.error, SpaceDownError) and outcome.error.state == "runtime error"
    assert outcome.elapsed < 1.0 and proxy.paths() == ["/config"]


async def test_without_the_hub_a_preparing_page_then_bare_502s_are_waited_for(app, front):
    proxy = front(timeline=Timeline(("APP_STARTING", 2.0)), starting_answers=("page", 504))
    outcome = await run(stream=True)
    assert outcome.error is None and outcome.text == "Hello world"
    assert statuses(outcome) == ["The Space is starting (0 s)…", "The Space is starting (1 s)…"]
    assert proxy.pages == 2 and 3.0 <= outcome.elapsed < 4.5


async def test_without_the_hub_a_bare_503_is_not_taken_for_waking(app, front):
    """Nothing says the Space is coming up: fail at once, do not wait out the wake limit."""
    proxy = front(timeline=Timeline(("APP_STARTING", 60.0)), starting_answers=(503,))
    outcome = await run(stream=True)
    error = outcome.error
    assert type(error).__name__ == "SpaceStatusError" and isinstance(error, ResponseStatusError)
    assert str(error) == f"The Space at {proxy.hf_url} answered 503: (empty)"
    assert outcome.elapsed < 1.0 and proxy.paths() == ["/config"]


async def test_an_unknown_stage_leaves_it_to_the_pages(app, front, hub):
    # Asked at about 0, 1 and 3 s (the waits are 1, then 2 s): a stage of 2 s gives two
    # pages with a second's margin either side (1.2 s left 0.2 s, and a loaded CI missed it).
    hub.spaces[SUB] = Timeline(("SOMETHING_NEW", 2.0))
    proxy = front(timeline=Timeline(("APP_STARTING", 2.0)), starting_answers=("page",))
    outcome = await run(stream=True)
    assert outcome.error is None and outcome.text == "Hello world"
    assert hub.asked(SUB) == proxy.pages == 2


@pytest.mark.parametrize("answer", [
    respond(200, "<html>not json</html>", content_type="text/html"),
    respond(200, {"runtime": {"stage": "PAUSED; rm -rf"}}),
    respond(200, b"{" * 100_000, content_type="application/json"),
    respond(200, b"x" * (hubmod.HUB_BODY_LIMIT + 1), content_type="application/json"),
    respond(500, {"error": "boom"}),
    respond(302, "", headers={"Location": "http://127.0.0.1:1/elsewhere"}),
])
async def test_a_hub_answering_nonsense_does_not_break_the_call(app, front, hub, answer):
    hub.route("GET", ASK, answer)
    proxy = front(timeline=Timeline(("APP_STARTING", 2.0)), starting_answers=("page",))  # two pages
    outcome = await run(stream=True)
    assert outcome.error is None and outcome.text == "Hello world"
    assert hub.asked(SUB) == proxy.pages == 2


async def test_a_hub_that_hangs_costs_at_most_its_timeout(app, front, hub, monkeypatch):
    from g4f_qwen_spaces.space import http

    monkeypatch.setattr(http, "HUB_TIMEOUT", 0.5)
    hub.route("GET", ASK, stall())
    proxy = front(timeline=Timeline(then="PAUSED"))
    outcome = await run(stream=True)
    # The Hub could not say; the page names no state: the proxy's answer stands.
    assert str(outcome.error) == f"The Space at {proxy.hf_url} answered 503 with an HTML page instead of its API"
    assert 0.5 <= outcome.elapsed < 1.5 and hub.asked(SUB) == 1


async def test_an_invalid_hf_endpoint_is_not_asked(app, front, monkeypatch, caplog):
    monkeypatch.setenv("HF_ENDPOINT", "ftp://hub.example")
    proxy = front(timeline=Timeline(("APP_STARTING", 2.0)), starting_answers=("page",))  # two pages
    outcome = await run(stream=True)
    assert outcome.error is None and proxy.pages == 2
    assert "HF_ENDPOINT='ftp://hub.example' is not an http(s) URL with a host" in caplog.text


async def test_past_the_wake_limit_the_error_names_the_hubs_stage(app, front, hub):
    hub.spaces[SUB] = Timeline(("SLEEPING", 60.0))
    proxy = front(timeline=hub.spaces[SUB], starting_answers=(502,))
    outcome = await run(stream=True, wake_limit=1)
    error = outcome.error
    assert isinstance(error, SpaceAsleepError) and error.state == "sleeping"
    assert str(error) == (f"The Space at {proxy.hf_url} is sleeping (502); still not serving its app after "
                          f"1 s (wake limit 1 s, {WAKE_ENV})")
    assert 1.0 <= outcome.elapsed < 2.0 and hub.asked(SUB) == proxy.pages == 2


async def test_a_down_copy_gives_way_to_the_next(app, front, hub, fault_factory, monkeypatch):
    hub.spaces[SUB] = Timeline(then="BUILD_ERROR")
    proxy = front(timeline=hub.spaces[SUB])
    second = fault_factory()
    monkeypatch.setenv(ENV, f"{proxy.hf_url},{second.url}")
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world"
    assert second.paths() == ["/config", JOIN, DATA] and hub.asked(SUB) == 1


# == 404 ================================================================================


NOT_FOUND = "Not found (404) at {}/config: the Space may {}; duplicate it on Hugging Face, or set {} to a working copy"


async def test_a_private_space_without_a_token_says_so(app, front, hub):
    proxy = front(private=TOKEN)
    outcome = await run()
    error = outcome.error
    assert type(error).__name__ == "SpaceStatusError" and error.status == 404
    assert str(error) == NOT_FOUND.format(proxy.hf_url, 'be private (pass api_key="hf_...") or gone', ENV)
    assert outcome.elapsed < 1.0 and app.requests == [] and hub.requests == []


async def test_a_private_space_with_its_token_answers(app, front):
    proxy = front(private=TOKEN)
    outcome = await run(api_key=TOKEN)
    assert outcome.error is None and outcome.text == "Hello world"
    assert len(app.requests) == 3 and proxy.callers == [f"Bearer {TOKEN}"] * 3


async def test_a_404_with_a_token_is_gone_or_renamed(app, front):
    proxy = front(private=TOKEN)
    outcome = await run(api_key="hf_SomeoneElsesToken00000000000")
    assert str(outcome.error) == NOT_FOUND.format(proxy.hf_url, "be gone or renamed", ENV)


async def test_a_404_off_hf_space_is_gone_or_renamed(app, monkeypatch):
    app.route("GET", "/config", respond(404, "<html><body>Not here</body></html>", content_type="text/html"))
    monkeypatch.setenv(ENV, app.url)
    outcome = await run()
    assert str(outcome.error) == NOT_FOUND.format(app.url, "be gone or renamed", ENV)


# == cookies ============================================================================


def set_cookie(name: str, value: str, handler):
    async def wrapped(request):
        response = await handler(request)
        response.set_cookie(name, value, path="/")
        return response

    return wrapped


@pytest.mark.parametrize("on_hf", [True, False], ids=["hf-space", "same-ip-other-port"])
async def test_cookies_of_the_space_go_with_the_rest_of_the_call_only(app, fault_factory, hf_names, monkeypatch,
                                                                       on_hf):
    """Same host, other port (the image server): another origin, though a cookie's domain rule would match."""
    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    images = fault_factory()
    images.route("GET", "/red.png", set_cookie("img", "1", respond(200, png_bytes(), content_type="image/png")))
    app.route("GET", "/config", set_cookie("route", "r1", app._config))
    monkeypatch.setenv(ENV, hf_names(app.url, SUB) if on_hf else app.url)
    outcome = await run(media=[(f"{images.url}/red.png", None)])
    assert outcome.error is None and outcome.text == "Hello world"
    assert app.paths() == ["/config", f"{PREFIX}/upload", JOIN, DATA]
    assert "cookie" not in app.requests[0].headers
    for record in app.requests[1:]:
        assert record.headers.get("cookie") == "route=r1", record.path
    assert "cookie" not in images.requests[0].headers
    # Nothing kept for the next call (its /config comes from the cache: the join is its first request).
    app.requests.clear()
    assert (await run()).text == "Hello world"
    assert app.paths() == [JOIN, DATA] and "cookie" not in app.requests[0].headers


async def test_the_cancel_carries_the_calls_cookie(app, monkeypatch):
    from tests.faultserver import HANG, generating

    app.route("POST", JOIN, set_cookie("route", "r2", respond(200, {"event_id": app.event_id})))
    app.script = [generating("Hel"), HANG]
    monkeypatch.setenv(ENV, app.url)  # an IP host: its cookies are kept too (the origin is what counts)
    outcome = await run(timeout=1.0)
    assert outcome.error is not None
    assert app.wait_for(lambda: len(app.requests_to("/cancel")) == 1)
    assert app.requests_to(DATA)[0].headers.get("cookie") == "route=r2"
    assert app.requests_to("/cancel")[0].headers.get("cookie") == "route=r2"


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()



# == the README says what the code says ==================================================


def test_the_readme_says_what_the_code_says():
    from g4f_qwen_spaces.space import http

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    down = str(down_error("URL", "PAUSED", 503, "G4F_QWEN_…_URL")).replace("URL", "…", 1)
    assert f"`{down}`" in readme
    assert '`Not found (404) at …: the Space may be private (pass api_key="hf_...") or gone`' in readme
    assert "`Not found (404) at …: the Space may be gone or renamed`" in readme
    assert f"`{Waking('u', 'sleeping', 35, 180).describe()}`" in readme
    for state in ("building", "starting"):
        assert f"`… is {state} …`" in readme
        assert Waking("u", state, 35, 180).describe() == f"The Space is {state} (35 s)…"
    assert HUB_TIMEOUT == http.HUB_TIMEOUT == 5.0 and "at most 5 s" in readme
    assert HUB_BODY_LIMIT == 256 * 1024


@pytest.mark.parametrize("status, drops", [(500, True), (404, True), (502, False), (503, False), (504, False)])
def test_a_refused_join_drops_the_cached_config_only_when_it_may_be_stale(status, drops):
    """502/503/504 are what a starting Space answers: they say nothing about the app's wiring."""
    from g4f_qwen_spaces.space.client import disagrees

    assert disagrees(SpaceStatusError("x", status)) is drops
    assert disagrees(SpaceStatusError("x", status, page=True, state="starting")) is False


async def test_the_jar_takes_and_gives_only_its_origins_cookies():
    """Both ways aiohttp stores cookies (update_cookies; update_cookies_from_headers from 3.12)."""
    from http.cookies import SimpleCookie

    from yarl import URL

    from g4f_qwen_spaces.space.cookies import OriginCookieJar

    jar = OriginCookieJar(("http", "127.0.0.1", 8000))
    jar.update_cookies({"a": "1"}, URL("http://127.0.0.1:8000/config"))
    jar.update_cookies({"b": "2"}, URL("http://127.0.0.1:9000/x"))  # same host, other port
    jar.update_cookies({"c": "3"}, URL("https://127.0.0.1:8000/x"))  # other scheme
    if hasattr(jar, "update_cookies_from_headers"):
        jar.update_cookies_from_headers(["d=4; Path=/"], URL("http://127.0.0.1:8000/queue/join"))
        jar.update_cookies_from_headers(["e=5; Path=/"], URL("http://localhost:8000/"))
    sent = {k: m.value for k, m in jar.filter_cookies(URL("http://127.0.0.1:8000/gradio_api/queue/data")).items()}
    assert sent == ({"a": "1", "d": "4"} if hasattr(jar, "update_cookies_from_headers") else {"a": "1"})
    assert jar.filter_cookies(URL("http://127.0.0.1:9000/")) == SimpleCookie()
    assert jar.filter_cookies(URL("http://huggingface.co/api")) == SimpleCookie()


async def test_a_space_the_hub_says_just_came_up_is_given_the_proxys_time(app, front, hub):
    """The Hub says RUNNING while the proxy still answers 502: waited for only after a waking stage."""
    hub.spaces[SUB] = Timeline(("APP_STARTING", 0.8))
    hub.spaces[SUB].visit()
    proxy = front(timeline=Timeline(("APP_STARTING", 2.0)), starting_answers=(502,))
    outcome = await run(stream=True)
    assert outcome.error is None and outcome.text == "Hello world"
    assert statuses(outcome) == ["The Space is starting (0 s)…", "The Space is starting (1 s)…"]
    assert hub.asked(SUB) == proxy.pages == 2 and 3.0 <= outcome.elapsed < 4.5


async def test_a_running_space_answering_502_fails_at_once(app, front, hub):
    hub.spaces[SUB] = Timeline(then="RUNNING")
    proxy = front(timeline=Timeline(("APP_STARTING", 60.0)), starting_answers=(502,))
    outcome = await run(stream=True)
    assert type(outcome.error).__name__ == "SpaceStatusError"
    assert str(outcome.error) == f"The Space at {proxy.hf_url} answered 502: (empty)"
    assert hub.asked(SUB) == 1 and outcome.elapsed < 1.0
