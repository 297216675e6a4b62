"""Tests written against mutants of config.py, store.py, copies.py, text.py and redact.py that lived.

Each pins a behaviour at its boundary (the exact message, the length where an
excerpt is cut) that a one-line change to the module would break; see
tests/mutants/score.py and the README's Development section.
"""
from __future__ import annotations

import logging

import pytest

from g4f_qwen_spaces.space import text as text_module
from g4f_qwen_spaces.space.config import SpaceConfig
from g4f_qwen_spaces.space.copies import reason
from g4f_qwen_spaces.space.diff import Rope
from g4f_qwen_spaces.space.errors import SpaceChangedError, SpaceInputError, SpaceProtocolError
from g4f_qwen_spaces.space.redact import check_header_value, redact, register_secret, release_secret
from g4f_qwen_spaces.space.text import TextTracker

URL = "http://127.0.0.1:9"


def config_with(*api_names: str) -> SpaceConfig:
    return SpaceConfig.parse(URL, {
        "components": [],
        "dependencies": [{"api_name": name, "inputs": [], "outputs": []} for name in api_names],
        "protocol": "sse_v3",
    })


# -- config.py --------------------------------------------------------------------------


def test_a_missing_endpoint_is_named_with_only_its_leading_slash_dropped():
    config = config_with("predict")
    with pytest.raises(SpaceProtocolError) as caught:
        config.endpoint("/X/predictX")
    assert str(caught.value) == (f"The Space at {URL} has no endpoint named 'X/predictX' "
                                 "(api_names found: predict)")


def test_the_names_found_are_cut_to_200_characters():
    name = "a" * 201
    with pytest.raises(SpaceProtocolError) as caught:
        config_with(name).endpoint("predict")
    assert str(caught.value).endswith(f"(api_names found: {'a' * 199}…)")
    with pytest.raises(SpaceProtocolError) as caught:
        config_with(name[:200]).endpoint("predict")
    assert str(caught.value).endswith(f"(api_names found: {'a' * 200})")


# -- copies.py --------------------------------------------------------------------------


def test_a_changed_app_reason_joins_the_differences_and_is_cut_to_160_characters():
    # "its app changed: " is 17 characters: 17 + 70 + 2 + 71 = 160, one more is cut
    fits = SpaceChangedError("changed", ["a" * 70, "b" * 71], url=URL)
    assert reason(fits) == f"its app changed: {'a' * 70}; {'b' * 71}"
    over = SpaceChangedError("changed", ["a" * 70, "b" * 72], url=URL)
    assert reason(over) == f"its app changed: {'a' * 70}; {'b' * 70}…"
    assert len(reason(over)) == 160


# -- redact.py --------------------------------------------------------------------------


def test_a_secret_inside_a_longer_one_does_not_leave_the_longer_ones_rest():
    # the shorter sorts after the longer by its characters, before it by its length
    register_secret("zzzzzz")
    register_secret("hf_zzzzzz")
    try:
        assert redact("<hf_zzzzzz> <zzzzzz>") == "<***> <***>"
    finally:
        release_secret("zzzzzz")
        release_secret("hf_zzzzzz")


@pytest.mark.parametrize("value", ["a b", "~", "\x80", "\u00e9"])
def test_a_space_tilde_and_non_ascii_are_not_control_characters(value):
    assert check_header_value(value, "The value") is None


@pytest.mark.parametrize("value", ["a\x1fb", "\x00", "a\x7f"])
def test_characters_below_32_and_del_are_refused_by_name(value):
    with pytest.raises(SpaceInputError) as caught:
        check_header_value(value, "The value")
    assert str(caught.value) == "The value contains control characters (such as a line break); refused"


# -- text.py ----------------------------------------------------------------------------


def test_a_new_tracker_has_not_diverged():
    tracker = TextTracker()
    assert tracker.diverged is False
    assert tracker.update(None) == "" and tracker.text == "" and tracker.diverged is False


def test_a_rope_that_replaces_the_followed_one_is_compared_whole():
    tracker = TextTracker()
    assert tracker.update(Rope("abc")) == "abc"
    other = Rope("x")
    other.append("y")  # as many parts as the first one and one more, none of its text
    assert tracker.update(other) == ""
    assert tracker.diverged is True
    longer = Rope("abc")
    longer.append("d")
    assert tracker.update(longer) == "d" and tracker.diverged is False


def test_a_followed_rope_is_read_by_its_new_parts_only(monkeypatch):
    reads = []
    real = text_module.text_of
    monkeypatch.setattr(text_module, "text_of", lambda node: reads.append(node) or real(node))
    tracker = TextTracker()
    rope = Rope("ab")
    assert tracker.update(rope) == "ab" and len(reads) == 1
    assert tracker.update(rope) == ""  # unchanged: not read again either
    rope.append("c")
    rope.append("d")
    assert tracker.update(rope) == "cd"
    assert len(reads) == 1
