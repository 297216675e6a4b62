"""Hugging Face's stand-in in front of real Gradio servers: replicas, waking, headers.

Evidence for the stand-in's behaviour: /work/shared/NOTES.md, "Hugging Face
as a client really meets it" (see tests/hfproxy.py). The app is the QVQ test
app on Gradio 5.49.1; two servers of it play a Space's two replicas.
"""
from __future__ import annotations

import aiohttp
import pytest

from g4f_qwen_spaces import Qwen_QVQ_72B
from tests.apps.fakemodel import qvq_answer
from tests.faultserver import run
from tests.hfproxy import AFFINITY_COOKIE, FrontServer, Timeline

pytestmark = pytest.mark.usefixtures("lifecycle_isolated")

ENV = Qwen_QVQ_72B.url_env
TOKEN = "hf_HubGradioToken0123456789abcdefXYZ"
SUB = "owner-qvq"


@pytest.fixture(scope="module")
def replicas(gradio_server_factory):
    """Two real Gradio servers of one app: a Space with two replicas."""
    return gradio_server_factory("qvq_space", "5"), gradio_server_factory.fresh("qvq_space", "5")


@pytest.fixture
def proxied(replicas, hf_names, monkeypatch, socket_baseline):
    front = FrontServer([server.url for server in replicas]).start()
    front.hf_url = hf_names(front.url, SUB)
    monkeypatch.setenv(ENV, front.hf_url)
    try:
        yield front
    finally:
        front.stop()


def forwarded(front: FrontServer) -> list[tuple[int, str]]:
    return [(replica, path.rsplit("/", 1)[-1]) for replica, path, _ in front.forwarded]


async def test_the_calls_cookie_keeps_it_on_one_replica(proxied, hub):
    outcome = await run(api_key=TOKEN)
    assert outcome.error is None, outcome.error
    assert outcome.text == qvq_answer(None, None, "hi")
    assert forwarded(proxied) == [(0, "config"), (0, "join"), (0, "data")]
    headers = [h for _, _, h in proxied.forwarded]
    assert "cookie" not in headers[0]
    assert [h.get("cookie") for h in headers[1:]] == [f"{AFFINITY_COOKIE}=0"] * 2
    assert not any({"authorization", "x-hf-authorization"} & set(h) for h in headers)
    assert hub.requests == []  # one working call: nothing to the Hub
    # The next call starts with no cookie (nothing kept): the proxy picks the next replica for it.
    second = await run(api_key=TOKEN)
    assert second.text == outcome.text
    assert forwarded(proxied)[3:] == [(1, "join"), (1, "data")]


async def test_without_cookies_the_stream_lands_on_the_other_replica(proxied, monkeypatch):
    """The stand-in's proof: a client that drops cookies gets Gradio's unknown-session answer."""
    from g4f_qwen_spaces.space import http

    monkeypatch.setattr(http, "OriginCookieJar", lambda origin: aiohttp.DummyCookieJar())
    outcome = await run()
    assert forwarded(proxied) == [(0, "config"), (1, "join"), (0, "data")]
    assert outcome.error is not None and outcome.text == ""
    # Gradio 5.49's own answer on a replica that does not know the session
    # ("unexpected_error", session_not_found): what "Session not found" looks like to us.
    assert type(outcome.error).__name__ == "SpaceError", repr(outcome.error)
    assert str(outcome.error) == f"The Space at {proxied.hf_url} reported: 404: Not Found"


async def test_a_real_app_wakes_behind_the_proxy_as_the_hub_says(replicas, hub, hf_names, monkeypatch,
                                                                 socket_baseline):
    timeline = Timeline(("SLEEPING", 0.5), ("APP_STARTING", 2.0))
    hub.spaces[SUB] = timeline
    front = FrontServer(replicas[0].url, timeline=timeline, starting_answers=("page", 502, 504)).start()
    try:
        monkeypatch.setenv(ENV, hf_names(front.url, SUB))
        outcome = await run(api_key=TOKEN, stream=True)
        assert outcome.error is None, outcome.error
        assert outcome.text == qvq_answer(None, None, "hi")
        assert front.pages == 2 and hub.asked(SUB) == 2
        assert [path.rsplit("/", 1)[-1] for _, path, _ in front.forwarded] == ["config", "join", "data"]
        assert set(front.callers) == {f"Bearer {TOKEN}"}
        assert not any({"authorization", "x-hf-authorization"} & set(h) for _, _, h in front.forwarded)
        assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.requests)
        assert 3.0 <= outcome.elapsed < 6.0
    finally:
        front.stop()
