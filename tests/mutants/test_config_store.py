"""Tests written against mutants of config.py, store.py, copies.py, text.py and redact.py that lived.

Each pins a behaviour at its boundary (the exact message, the length where an
excerpt is cut) that a one-line change to the module would break; see
tests/mutants/score.py and the README's Development section.
"""
from __future__ import annotations

import pytest

from g4f_qwen_spaces.space.config import SpaceConfig
from g4f_qwen_spaces.space.copies import reason
from g4f_qwen_spaces.space.errors import SpaceChangedError, SpaceProtocolError

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
