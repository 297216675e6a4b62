"""Tests written against mutants of ``space/hub.py``, ``pool.py``, ``shape.py``, ``wake.py`` and ``waiting.py``.

Each pins a behaviour at its boundary (the exact advice a user reads, the
``url`` an error carries, a pool closed now and at once) that a one-line
change to the module would break; see tests/mutants/score.py and the
README's Development section.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time

import aiohttp
import pytest

from g4f_qwen_spaces.space import pool as pool_module
from g4f_qwen_spaces.space.config import SpaceConfig
from g4f_qwen_spaces.space.errors import SpaceChangedError, SpaceDownError, SpaceInputError
from g4f_qwen_spaces.space.hub import down_advice, down_error, fetch_stage, hub_endpoint, stage_url
from g4f_qwen_spaces.space.pool import Pool, borrow, close_pool, pools
from g4f_qwen_spaces.space.shape import EndpointShape, advice
from tests.faultserver import dead_port, respond
from tests.hfproxy import HubServer, Timeline
from tests.recordingproxy import UPSTREAM_HOST, RecordingProxy

URL = "http://127.0.0.1:9"
NO_HINT = "it will not serve until its owner acts: duplicate it on Hugging Face and use the copy's URL"


# -- hub.py: where the Hub is asked ------------------------------------------------------


def test_without_hf_endpoint_the_hub_is_hugging_faces(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert hub_endpoint() == "https://huggingface.co"
    assert stage_url("https://qwen-qvq-72b-preview.hf.space") == (
        "https://huggingface.co/api/spaces/by-subdomain/qwen-qvq-72b-preview"
    )


def test_a_blank_hf_endpoint_counts_as_unset(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "  ")
    assert hub_endpoint() == "https://huggingface.co"


def test_a_space_off_hf_space_has_no_stage_url(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert stage_url(URL) is None
    assert stage_url("https://127.0.0.1.nip.io") is None


SPACE = "https://owner-app.hf.space"
STAGE_PATH = "/api/spaces/by-subdomain/owner-app"


def hub_session() -> aiohttp.ClientSession:
    """As SpaceHTTP opens its session: bodies are decompressed by read_body, not aiohttp."""
    return aiohttp.ClientSession(auto_decompress=False)


@pytest.fixture
def hub_at(monkeypatch):
    server = HubServer().start()
    server.spaces["owner-app"] = Timeline(then="PAUSED")
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    try:
        yield server
    finally:
        server.stop()


async def test_the_hub_is_asked_for_json_with_the_token_as_a_bearer(hub_at, caplog):
    hub_at.private["owner-app"] = "hf_secret"
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        async with hub_session() as session:
            stage = await fetch_stage(session, SPACE, token="hf_secret", proxy=None, seconds=5)
    assert stage == "PAUSED"
    assert [r.getMessage() for r in caplog.records] == [f"The Hub says {SPACE} is PAUSED"]
    (asked,) = hub_at.requests
    assert asked.path == "/api/spaces/by-subdomain/owner-app"
    assert asked.headers["accept"] == "application/json"
    assert asked.headers["authorization"] == "Bearer hf_secret"


async def test_the_hub_is_asked_through_the_calls_proxy(hub_at):
    proxy = RecordingProxy().start()
    try:
        async with hub_session() as session:
            stage = await fetch_stage(session, SPACE, token=None, proxy=proxy.url, seconds=5)
    finally:
        proxy.stop()
    assert stage == "PAUSED"
    assert [(f.method, f.url) for f in proxy.forwarded] == [
        ("GET", f"{hub_at.url}/api/spaces/by-subdomain/owner-app")]
    (asked,) = hub_at.requests
    assert asked.peer[0] == UPSTREAM_HOST and "authorization" not in asked.headers


@pytest.mark.parametrize("seconds", [0, 0.0, -1.0])
async def test_with_no_time_left_the_hub_is_not_asked(hub_at, seconds):
    async with hub_session() as session:
        assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=seconds) is None
    assert hub_at.asked() == 0


async def test_a_space_off_hf_space_is_never_asked_about(hub_at):
    async with hub_session() as session:
        assert await fetch_stage(session, URL, token=None, proxy=None, seconds=5) is None
    assert hub_at.requests == []


async def test_a_bad_hf_endpoint_is_warned_of_and_the_hub_not_asked(monkeypatch, caplog):
    monkeypatch.setenv("HF_ENDPOINT", "ftp://127.0.0.1")
    with pytest.raises(SpaceInputError) as caught:
        hub_endpoint()
    with caplog.at_level(logging.WARNING, logger="g4f_qwen_spaces"):
        async with hub_session() as session:
            assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) is None
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [f"Not asking the Hub about {SPACE}: {caught.value}"]


async def test_a_redirecting_hub_is_not_followed(hub_at):
    hub_at.route("GET", STAGE_PATH, respond(302, "", headers={"Location": "/elsewhere"}))
    hub_at.route("GET", "/elsewhere", respond(200, {"runtime": {"stage": "RUNNING"}}))
    async with hub_session() as session:
        assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) is None
    assert [r.path for r in hub_at.requests] == [STAGE_PATH]


async def test_a_gzipped_hub_answer_is_read(hub_at):
    body = gzip.compress(json.dumps({"runtime": {"stage": "BUILD_ERROR"}}).encode())
    hub_at.route("GET", STAGE_PATH, respond(200, body, content_type="application/json",
                                            headers={"Content-Encoding": "gzip"}))
    async with hub_session() as session:
        assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) == "BUILD_ERROR"


async def test_a_hub_answer_other_than_200_is_logged_at_debug(hub_at, caplog):
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        async with hub_session() as session:
            space = "https://nobody.hf.space"
            assert await fetch_stage(session, space, token=None, proxy=None, seconds=5) is None
    assert [r.getMessage() for r in caplog.records] == [f"The Hub answered 404 for {space}"]


async def test_a_hub_answer_over_256_kib_is_not_read(hub_at, caplog):
    hub_at.route("GET", STAGE_PATH, respond(200, b"{" + b" " * (256 * 1024) + b"}", content_type="application/json"))
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        async with hub_session() as session:
            assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) is None
    (said,) = [r.getMessage() for r in caplog.records]
    assert said.startswith(f"The Hub could not say the stage of {SPACE}: SpaceLimitError(")
    assert "more than the 256 KiB allowed for the Hub's answer" in said


async def hang(request):
    await asyncio.sleep(8)  # cancelled when the client leaves (handler_cancellation)
    return aiohttp.web.Response(text="{}")


async def test_a_hub_that_does_not_answer_within_the_seconds_given_has_no_stage(hub_at):
    hub_at.route("GET", STAGE_PATH, hang)
    started = time.monotonic()
    async with hub_session() as session:
        stage = await asyncio.wait_for(fetch_stage(session, SPACE, token=None, proxy=None, seconds=0.3), 6)
    assert stage is None
    assert time.monotonic() - started < 4


@pytest.mark.parametrize(
    "body, encoding",
    [(b"<html>not json</html>", None), (b"[" * 100_000 + b"]" * 100_000, None),
     (gzip.compress(b'{"runtime": {"stage": "RUNNING"}}')[:-8], "gzip"), (b'{"runtime": {"stage": 5}}', None)],
    ids=["not-json", "nested-too-deep", "truncated-gzip", "no-word"],
)
async def test_a_hub_answer_that_cannot_be_read_gives_no_stage(hub_at, body, encoding):
    hub_at.route("GET", STAGE_PATH, respond(200, body, content_type="application/json",
                                            headers={"Content-Encoding": encoding} if encoding else None))
    async with hub_session() as session:
        assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) is None
    assert hub_at.asked("owner-app") == 1


async def hang_up(request):
    request.transport.close()  # no status line: aiohttp's ServerDisconnectedError (a ClientError, not an OSError)
    await asyncio.sleep(8)


async def test_a_hub_that_hangs_up_gives_no_stage(hub_at):
    hub_at.route("GET", STAGE_PATH, hang_up)
    async with hub_session() as session:
        assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) is None


async def test_a_hub_nobody_listens_at_gives_no_stage(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{dead_port()}")
    async with hub_session() as session:
        assert await fetch_stage(session, SPACE, token=None, proxy=None, seconds=5) is None


# -- hub.py: what a user reads about a Space only its owner can bring back --------------


def test_down_advice_without_a_url_variable_says_to_use_the_copys_url():
    assert down_advice() == NO_HINT
    assert down_advice("") == NO_HINT


def test_down_advice_with_a_url_variable_names_it():
    assert down_advice("QVQ_URL") == (
        "it will not serve until its owner acts: duplicate it on Hugging Face and list the copy in QVQ_URL"
    )


def test_a_down_error_without_a_url_variable_carries_the_plain_advice_and_the_spaces_url():
    error = down_error(URL, "PAUSED", 503)
    assert isinstance(error, SpaceDownError)
    assert str(error) == f"The Space at {URL} is paused (Hugging Face reports PAUSED); {NO_HINT}"
    assert (error.url, error.status, error.state, error.stage) == (URL, 503, "paused", "PAUSED")


def test_a_down_error_with_a_url_variable_carries_the_spaces_url():
    error = down_error(URL, "RUNTIME_ERROR", None, "QWEN_URL")
    assert str(error) == (
        f"The Space at {URL} has a runtime error (Hugging Face reports RUNTIME_ERROR); it will not serve "
        "until its owner acts: duplicate it on Hugging Face and list the copy in QWEN_URL"
    )
    assert (error.url, error.status, error.state, error.stage) == (URL, None, "runtime error", "RUNTIME_ERROR")


# -- shape.py: what a user reads about a Space whose app changed -------------------------

SHAPE = EndpointShape("generate", (("image",), ("textbox",)), (("markdown", "textbox"),))


def changed_config(first_input: str) -> SpaceConfig:
    return SpaceConfig.parse(URL, {
        "components": [{"id": 1, "type": first_input}, {"id": 2, "type": "textbox"}, {"id": 3, "type": "markdown"}],
        "dependencies": [{"id": 0, "api_name": "generate", "targets": [[1, "submit"]], "inputs": [1, 2],
                          "outputs": [3]}],
    })


def test_advice_without_a_url_variable_names_the_providers_url_variable():
    assert advice("") == (
        "Set the provider's URL variable to a copy that still serves it (a duplicate made before the change), "
        "or report it to g4f-qwen-spaces"
    )
    assert advice("QVQ_URL").startswith("Set QVQ_URL to a copy that still serves it")


def test_a_changed_app_without_a_url_variable_says_to_set_the_providers_url_variable():
    with pytest.raises(SpaceChangedError) as caught:
        SHAPE.resolve(changed_config("audio"))
    assert str(caught.value) == (
        f"The Space at {URL} changed its app: input 1 is an audio, expected image. "
        "Needed: generate(image, textbox) → markdown or textbox. Set the provider's URL variable to a copy "
        "that still serves it (a duplicate made before the change), or report it to g4f-qwen-spaces"
    )
    assert caught.value.differences == ["input 1 is an audio, expected image"]
    assert caught.value.url == URL


@pytest.mark.parametrize(
    "kind, phrase",
    [("audio", "an audio"), ("video", "a video"), ("Xray", "a Xray"), ("XXl", "a XXl"), ("upload", "an upload")],
)
def test_a_kind_gets_an_only_before_a_lowercase_vowel(kind, phrase):
    assert SHAPE.differences(changed_config(kind)) == [f"input 1 is {phrase}, expected image"]


# -- pool.py: closing a loop's pool ------------------------------------------------------


async def test_close_pool_closes_the_loops_pool_now_and_the_next_borrow_makes_a_new_one():
    before = pools()
    shared = await borrow()
    shared.give_back()
    assert pools() == before + 1
    await close_pool()
    assert shared.connector.closed
    assert pools() == before
    fresh = await borrow()
    try:
        assert fresh is not shared and not fresh.connector.closed
    finally:
        fresh.give_back()
        await close_pool()
    assert fresh.connector.closed


async def test_close_pool_on_a_loop_without_a_pool_does_nothing():
    await close_pool()  # none made yet on this loop (or just closed): no error
    await close_pool()
    assert asyncio.get_running_loop() not in pool_module._POOLS


async def test_two_calls_on_one_loop_share_its_pool_and_it_is_idle_only_when_both_gave_it_back():
    """The count of calls holding the pool is what a shutdown's grace waits on."""
    first = await borrow()
    second = await borrow()
    try:
        assert second is first and first.users == 2 and not first.idle.is_set()
        first.give_back()
        assert first.users == 1 and not first.idle.is_set()
    finally:
        second.give_back()
    assert first.users == 0 and first.idle.is_set()
    await close_pool()


class ClosedLoop:
    """Stands for a loop closed without ``shutdown_asyncgens()`` (only ``is_closed`` is asked).

    ``meanwhile`` runs when it is asked, as another thread could between the
    listing of closed loops and the pop of each one's pool."""

    def __init__(self, meanwhile=None) -> None:
        self.meanwhile = meanwhile

    def is_closed(self) -> bool:
        if self.meanwhile is not None:
            self.meanwhile()
        return True


async def test_forgetting_closed_loops_skips_a_pool_already_gone_and_abandons_the_rest():
    """Each closed loop's pool is dropped, marked abandoned and its watcher run to its end (no
    finaliser left for the dead loop); a pool another thread dropped meanwhile is skipped, and
    the loops after it are still seen to."""
    gone = ClosedLoop()
    dead = ClosedLoop(meanwhile=lambda: pool_module._POOLS.pop(gone, None))
    made = {gone: Pool(), dead: Pool()}
    for loop, pool_ in made.items():
        await pool_.watcher.asend(None)  # started, as borrow() starts it
        pool_module._POOLS[loop] = pool_
    try:
        pool_module._forget_closed_loops()
        assert gone not in pool_module._POOLS and dead not in pool_module._POOLS
        assert made[dead].abandoned is True
        assert made[dead].watcher.ag_frame is None  # finished, not suspended
        assert made[gone].abandoned is False  # not ours to see to: the other thread had it
    finally:
        for loop, pool_ in made.items():
            pool_module._POOLS.pop(loop, None)
            pool_.abandoned = True
            await pool_.watcher.aclose()
            await pool_.connector.close()


def test_a_loop_closed_while_a_call_holds_its_pool_closes_it_at_once(monkeypatch):
    """The wrapped ``loop.close()``: no grace (nothing runs on the loop after it), the watcher not closing it too."""
    graces: list[float | None] = []
    real_close = Pool.close

    async def recording_close(self: Pool, grace: float = pool_module.SHUTDOWN_GRACE) -> None:
        graces.append(grace)
        await real_close(self, grace)

    monkeypatch.setattr(Pool, "close", recording_close)
    loop = asyncio.new_event_loop()
    try:
        held = loop.run_until_complete(borrow())  # never given back: a call still holds it
        assert held.users == 1
    finally:
        started = time.monotonic()
        loop.close()  # no shutdown_asyncgens(): the wrapped close closes the pool first
        took = time.monotonic() - started
    assert loop.is_closed() and held.connector.closed
    assert graces == [0.0]
    assert took < 2.5  # not SHUTDOWN_GRACE (5 s) waiting for the call to give it back
    assert loop not in pool_module._POOLS


@pytest.mark.parametrize("grace", [0.3, 1.5])
async def test_closing_a_pool_a_call_never_gives_back_waits_its_grace_and_no_longer(grace):
    """The wait for calls still closing is bounded by ``grace`` (SHUTDOWN_GRACE at a shutdown):
    a call that never gives the pool back costs that much, not a hang, and not nothing."""
    held = Pool()
    held.users = 1  # as borrow() leaves it for a call still closing
    held.idle.clear()
    started = time.monotonic()
    await asyncio.wait_for(held.close(grace), grace + 3.0)
    took = time.monotonic() - started
    assert grace <= took < grace + 1.0, took
    assert held.connector.closed


async def test_closing_a_pool_ends_its_wait_when_the_last_call_gives_it_back():
    held = Pool()
    held.users = 2
    held.idle.clear()
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, held.give_back)
    loop.call_later(0.2, held.give_back)
    started = time.monotonic()
    await held.close(5.0)
    took = time.monotonic() - started
    assert 0.2 <= took < 1.5, took  # at the second give_back, not after the 5 s grace
    assert held.users == 0 and held.connector.closed


def named_config(*api_names: str | None) -> SpaceConfig:
    return SpaceConfig.parse(URL, {
        "components": [{"id": 1, "type": "textbox"}],
        "dependencies": [{"id": n, "api_name": name, "targets": [[1, "submit"]], "inputs": [1], "outputs": [1]}
                         for n, name in enumerate(api_names)],
    })


def test_a_space_without_any_named_endpoint_says_none_were_found():
    assert SHAPE.differences(named_config(None)) == ["no endpoint named 'generate' (api_names found: none)"]


def test_the_api_names_found_are_cut_to_200_characters():
    names = [f"endpoint_{n:03d}" for n in range(40)]  # 40 x 12 characters + separators
    [difference] = SHAPE.differences(named_config(*names))
    found = difference.removeprefix("no endpoint named 'generate' (api_names found: ").removesuffix(")")
    assert len(found) == 200 and found == ", ".join(names)[:199] + "…"


def test_a_close_wrapped_again_by_someone_else_keeps_their_wrapper():
    """Our once-wrapped ``loop.close`` removes itself after closing, but only itself: a wrapper put
    around it later (another library's) stays where its owner put it."""
    loop = asyncio.new_event_loop()
    try:
        held = loop.run_until_complete(borrow())
        ours = loop.close
        assert isinstance(ours, pool_module._ClosePoolFirst)
        calls = []

        def theirs() -> None:
            calls.append("theirs")
            ours()

        loop.close = theirs  # type: ignore[method-assign]
    finally:
        loop.close()
    assert calls == ["theirs"] and loop.is_closed() and held.connector.closed
    assert vars(loop)["close"] is theirs
