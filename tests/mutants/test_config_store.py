"""Tests written against mutants of config.py, store.py, copies.py, text.py and redact.py that lived.

Each pins a behaviour at its boundary (the exact message, the length where an
excerpt is cut) that a one-line change to the module would break; see
tests/mutants/score.py and the README's Development section.
"""
from __future__ import annotations

import pytest

from g4f_qwen_spaces.space import copies as copies_module
from g4f_qwen_spaces.space import errors as e
from g4f_qwen_spaces.space import text as text_module
from g4f_qwen_spaces.space.config import SpaceConfig
from g4f_qwen_spaces.space.copies import (
    CoolDown,
    Plan,
    Skipped,
    combine,
    cooldown_seconds,
    moves_on,
    parse_urls,
    reason,
)
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


@pytest.mark.parametrize(
    "raw, message",
    [
        ("http://127.0.0.1:1,,http://127.0.0.1:2",
         "The Space URL list has an empty entry (item 2 of 3); separate URLs with single commas"),
        (",http://127.0.0.1:1",
         "The Space URL list has an empty entry (item 1 of 2); separate URLs with single commas"),
        ("http://127.0.0.1:1\n", "The Space URL list contains control characters (such as a line break); refused"),
        ("http://127.0.0.1:1, ftp://a", "'ftp://a' is not an http(s) URL with a host"),
        (",".join(f"http://127.0.0.1:{port}" for port in range(1, 18)),
         "The Space URL list lists 17 URLs; at most 16 are tried"),
    ],
)
def test_a_url_list_without_a_name_is_called_the_space_url_list(raw, message):
    with pytest.raises(SpaceInputError) as caught:
        parse_urls(raw)
    assert str(caught.value) == message


def test_an_empty_cooldown_argument_falls_back_to_the_variable_then_60_s(monkeypatch):
    monkeypatch.delenv("G4F_QWEN_SPACES_COOLDOWN", raising=False)
    assert cooldown_seconds("") == 60.0
    monkeypatch.setenv("G4F_QWEN_SPACES_COOLDOWN", "   ")
    assert cooldown_seconds() == 60.0
    monkeypatch.setenv("G4F_QWEN_SPACES_COOLDOWN", " 7 ")
    assert cooldown_seconds("") == 7.0 and cooldown_seconds(None) == 7.0


def test_a_bad_cooldown_names_where_it_came_from(monkeypatch):
    monkeypatch.setenv("G4F_QWEN_SPACES_COOLDOWN", "-2")
    with pytest.raises(SpaceInputError) as caught:
        cooldown_seconds()
    assert str(caught.value) == "G4F_QWEN_SPACES_COOLDOWN must be a finite number of seconds >= 0, got '-2'"
    with pytest.raises(SpaceInputError) as caught:
        cooldown_seconds(-1)
    assert str(caught.value) == "cooldown must be a finite number of seconds >= 0, got -1"


def test_clearing_one_copy_leaves_the_others_cooling_down():
    cool = CoolDown()
    cool.mark("http://a", 60.0, "busy")
    cool.mark("http://b", 60.0, "gone")
    cool.clear("http://a")
    cool.clear("http://c")  # never marked: nothing to clear, no error
    plan = cool.plan(["http://a", "http://b"])
    assert plan.urls == ("http://a",) and [(s.url, s.reason) for s in plan.skipped] == [("http://b", "gone")]


def test_a_cool_down_ends_at_its_last_second_exactly(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(copies_module.time, "monotonic", lambda: clock[0])
    cool = CoolDown()
    cool.mark("http://a", 60.0, "busy")
    clock[0] = 1030.0
    assert cool.plan(["http://a", "http://b"]) == Plan(("http://b",), (Skipped("http://a", 30.0, "busy"),))
    assert cool.plan(["http://a"]) == Plan(("http://a",), ())  # every copy cooling: all asked again
    clock[0] = 1060.0
    assert cool.plan(["http://a", "http://b"]) == Plan(("http://a", "http://b"), ())


@pytest.mark.parametrize(
    "error, moves",
    [
        (e.SpaceStatusError("m", 404), True),
        (e.SpaceStatusError("m", 405), False),
        (e.SpaceStatusError("m", 500), False),
        (e.SpaceStatusError("m", 503, state="paused"), True),
        (e.SpaceStatusError("m", 404, state="paused"), True),
        (e.SpaceStatusError("m", 503, state="sleeping"), False),
        (e.SpaceConnectionError("m"), True),
        (e.SpaceConnectTimeoutError("m"), True),
        (e.SpaceAuthError("m", 401), True),
        (e.SpaceQuotaError("m"), True),
        (e.SpaceTimeoutError("m"), False),
        (e.SpaceAppError("m"), False),
        (e.SpaceProtocolError("m"), False),
    ],
)
def test_which_failures_move_on_to_the_next_copy(error, moves):
    assert moves_on(error) is moves


GONE = e.SpaceStatusError("The Space at http://a answered 404", 404, url="http://a")


def test_a_final_error_alone_is_returned_as_it_is():
    final = e.SpaceAppError("boom", url="http://a")
    assert combine([], final=final) is final


def test_a_final_error_lists_the_copies_tried_before_it():
    final = e.SpaceAppError("x" * 251, url="http://c")
    combined = combine([("http://a", GONE)], [Skipped("http://b", 12.4, "busy")], final=final)
    assert type(combined) is e.SpaceAppError and combined.url == "http://c"
    assert str(combined) == (f"{'x' * 249}… (copies tried before: http://a: not found (404); "
                             "http://b: skipped, failed 12 s ago (busy))")


def test_one_failure_beside_a_skipped_copy_is_combined_and_counts_it():
    combined = combine([("http://a", GONE)], [Skipped("http://b", 3.0, "busy")])
    assert combined is not GONE and type(combined) is e.SpaceStatusError
    assert str(combined) == ("No copy of the Space could answer (1 tried, 1 cooling down): "
                             "http://a: not found (404); http://b: skipped, failed 3 s ago (busy)")


def test_failures_of_no_ranked_kind_take_the_last_ones_kind():
    failures = [
        ("http://a", e.SpaceAppError("The Space at http://a failed", url="http://a")),
        ("http://b", e.SpaceAppError("The Space at http://b failed", url="http://b")),
        ("http://c", e.SpaceProtocolError("The Space at http://c sent junk", url="http://c")),
    ]
    combined = combine(failures)
    assert type(combined) is e.SpaceProtocolError and combined.url == "http://c"
    assert str(combined) == ("No copy of the Space could answer (3 tried): "
                             "http://a: failed; http://b: failed; http://c: sent junk")


def test_a_combined_quota_error_waits_the_shortest_known_time():
    unknown = e.SpaceQuotaError("full", None, url="http://b")
    combined = combine([("http://a", GONE), ("http://b", unknown), ("http://c", e.SpaceQuotaError("full", 30.0))])
    assert type(combined) is e.SpaceQuotaError and combined.retry_after == 30.0
    combined = combine([("http://a", GONE), ("http://b", unknown)])
    assert type(combined) is e.SpaceQuotaError and combined.retry_after is None


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
