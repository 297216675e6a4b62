"""Tests written against mutants of ``space/hub.py``, ``pool.py``, ``shape.py``, ``wake.py`` and ``waiting.py``.

Each pins a behaviour at its boundary (the exact advice a user reads, the
``url`` an error carries, a pool closed now and at once) that a one-line
change to the module would break; see tests/mutants/score.py and the
README's Development section.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from g4f_qwen_spaces.space import pool as pool_module
from g4f_qwen_spaces.space.config import SpaceConfig
from g4f_qwen_spaces.space.errors import SpaceChangedError, SpaceDownError
from g4f_qwen_spaces.space.hub import down_advice, down_error, hub_endpoint, stage_url
from g4f_qwen_spaces.space.pool import Pool, borrow, close_pool, pools
from g4f_qwen_spaces.space.shape import EndpointShape, advice

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
