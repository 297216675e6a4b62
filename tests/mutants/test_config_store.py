"""Tests written against mutants of config.py, store.py, copies.py, text.py and redact.py that lived.

Each pins a behaviour at its boundary (the exact message, the length where an
excerpt is cut) that a one-line change to the module would break; see
tests/mutants/score.py and the README's Development section.
"""
from __future__ import annotations

import json
import logging
import os
from types import SimpleNamespace

import pytest

from g4f_qwen_spaces.space import copies as copies_module
from g4f_qwen_spaces.space import errors as e
from g4f_qwen_spaces.space import store as store_module
from g4f_qwen_spaces.space import text as text_module
from g4f_qwen_spaces.space.config import Component, ConfigCache, SpaceConfig
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
from g4f_qwen_spaces.space.store import FORMAT, MAX_FILE_BYTES, ConfigStore, file_name
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


def parse(**fields) -> SpaceConfig:
    raw = {"components": [], "dependencies": [], "protocol": "sse_v3"}
    raw.update(fields)
    return SpaceConfig.parse(URL, raw)


def malformed(where: str, shown: str) -> str:
    return f"The Space at {URL} sent a config whose {where} is malformed: {shown}"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"components": [{"id": 1}, 5]}, malformed("components", "5")),
        ({"components": [{"id": "1", "type": "textbox"}]}, malformed("components", "{'id': '1', 'type': 'textbox'}")),
        ({"components": [{"id": 1, "type": 5}]}, malformed("components", "{'id': 1, 'type': 5}")),
        ({"components": [{"id": 1, "props": [1]}]}, malformed("components", "{'id': 1, 'props': [1]}")),
        ({"components": "x"}, malformed("components", "'x'")),
        ({"dependencies": {"a": 1}}, malformed("dependencies", "{'a': 1}")),
        ({"dependencies": [{}, 3, "x"]}, malformed("dependencies", "3")),
        ({"version": 5}, malformed("version", "5")),
        ({"protocol": ["sse"]}, malformed("protocol", "['sse']")),
        ({"api_prefix": 7}, malformed("api_prefix", "7")),
        ({"api_prefix": "/a/../b/"}, malformed("api_prefix (not a plain path)", "'/a/../b'")),
        ({"api_prefix": "/.hidden"}, malformed("api_prefix (not a plain path)", "'/.hidden'")),
    ],
)
def test_a_malformed_config_shows_the_bad_value(fields, message):
    with pytest.raises(SpaceProtocolError) as caught:
        parse(**fields)
    assert str(caught.value) == message and caught.value.url == URL


@pytest.mark.parametrize(
    "dependency, message",
    [
        ({"api_name": "e", "inputs": [1, "2"]}, malformed("the e endpoint's inputs", "[1, '2']")),
        ({"api_name": "e", "inputs": "12"}, malformed("the e endpoint's inputs", "'12'")),
        ({"api_name": "e", "outputs": [None, 1]}, malformed("the e endpoint's outputs", "[None, 1]")),
        ({"api_name": "e", "types": ["generator"]}, malformed("the e endpoint's types", "['generator']")),
    ],
)
def test_a_malformed_endpoint_shows_the_bad_value(dependency, message):
    config = parse(dependencies=[dependency])
    with pytest.raises(SpaceProtocolError) as caught:
        config.endpoint("e")
    assert str(caught.value) == message and caught.value.url == URL


def test_a_component_without_a_type_has_the_empty_type():
    config = parse(components=[{"id": 4}])
    assert config.components == {4: Component(4, "", {})}


def test_a_negative_max_file_size_means_none():
    assert parse(max_file_size=-5).max_file_size is None
    assert parse(max_file_size=2).max_file_size == 2


@pytest.mark.parametrize("prefix, kept", [("/X", "/X"), ("/aX/", "/aX"), ("/gradio_api//", "/gradio_api")])
def test_an_api_prefix_loses_only_its_trailing_slashes(prefix, kept):
    assert parse(api_prefix=prefix).api_prefix == kept


def test_an_endpoint_named_with_leading_capital_x_is_found():
    config = parse(dependencies=[{"api_name": "/X/a"}, {"api_name": "Xb"}])
    assert config.endpoint("X/a").api_name == "X/a" and config.endpoint("/X/a").fn_index == 0
    assert config.endpoint("/Xb").api_name == "Xb" and config.endpoint("Xb").fn_index == 1
    assert config.find("b") is None and config.find("a") is None


def test_targets_that_are_not_a_list_of_lists_fall_back_to_the_trigger_field():
    config = parse(dependencies=[
        {"api_name": "a", "targets": ["x"], "trigger": 9},
        {"api_name": "b", "targets": [[7]], "trigger": 9},
        {"api_name": "c", "targets": "xy", "trigger": 3},
    ])
    assert [config.endpoint(n).trigger_id for n in "abc"] == [9, 7, 3]


# -- config.py: the process cache and its disk stores ---------------------------------


class FakeStore:
    def __init__(self, root: str, calls: list):
        self.root = root
        self.calls = calls

    def drop(self, url):
        self.calls.append((self.root, "drop", url))

    def clear(self):
        self.calls.append((self.root, "clear"))


def test_invalidating_one_url_forgets_only_it_in_memory_and_in_every_store():
    calls = []
    cache = ConfigCache()
    cache.attach(FakeStore("/a", calls))
    cache.attach(FakeStore("/b", calls))
    cache.attach(FakeStore("/a", calls))  # the same folder again: kept once
    other = "http://127.0.0.1:10"
    cache.put(small())
    cache.put(small(other))
    cache.invalidate(URL)
    assert cache.get(URL) is None and cache.get(other) == small(other)
    assert calls == [("/a", "drop", URL), ("/b", "drop", URL)]
    calls.clear()
    cache.invalidate("http://127.0.0.1:11")  # not cached: no error, the stores still asked
    assert calls == [("/a", "drop", "http://127.0.0.1:11"), ("/b", "drop", "http://127.0.0.1:11")]
    calls.clear()
    cache.invalidate()
    assert cache.get(other) is None
    assert calls == [("/a", "clear"), ("/b", "clear")]


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


def test_a_url_list_of_16_without_a_name_keeps_order_and_drops_duplicates():
    urls = [f"http://127.0.0.1:{port}" for port in range(1, 17)]
    assert parse_urls(",".join(u + "/" for u in urls) + ", http://127.0.0.1:1") == tuple(urls)


def test_one_failure_alone_is_returned_as_it_is():
    assert combine([("http://a", GONE)]) is GONE


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


# -- store.py ---------------------------------------------------------------------------

NOW = 1_700_000_000.5


def small(url: str = URL, value: str = "hi") -> SpaceConfig:
    return SpaceConfig.parse(url, {
        "components": [{"id": 1, "type": "textbox", "props": {"value": value}}],
        "dependencies": [],
        "protocol": "sse_v3",
    })


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(store_module, "time", SimpleNamespace(time=lambda: NOW))


def expected_file(config: SpaceConfig) -> bytes:
    document = {"format": FORMAT, "url": config.base_url, "saved": NOW, "config": config.to_raw()}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_a_saved_file_is_compact_utf_8_json(tmp_path, frozen):
    store = ConfigStore(tmp_path)
    config = small(value="café ☕")
    assert store.save(config) is True
    data = store.path(URL).read_bytes()
    assert data == expected_file(config)
    assert data.startswith(b'{"format":"g4f-qwen-spaces/config/1","url":"http://127.0.0.1:9","saved":')
    assert "café ☕".encode() in data
    assert store.load(URL) == config


def test_a_config_of_exactly_4_mib_is_saved_and_one_byte_more_is_not(tmp_path, frozen, caplog):
    bare = len(expected_file(small(value="")))
    exact = small(value="x" * (MAX_FILE_BYTES - bare))
    assert len(expected_file(exact)) == MAX_FILE_BYTES
    store = ConfigStore(tmp_path)
    assert store.save(exact) is True and store.path(URL).stat().st_size == MAX_FILE_BYTES
    over = small("http://127.0.0.1:10", value="x" * (MAX_FILE_BYTES - bare))  # one character more in the URL
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert store.save(over) is False
    assert caplog.messages == [f"Not caching the config of http://127.0.0.1:10: {MAX_FILE_BYTES + 1} bytes"]
    assert not store.path("http://127.0.0.1:10").exists()


def test_a_config_that_is_not_json_is_not_cached_and_says_why(tmp_path, caplog):
    odd = SpaceConfig(**{**small().__dict__, "components": {1: Component(1, "textbox", {"value": {1, 2}})}})
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert ConfigStore(tmp_path / "s").save(odd) is False
    assert caplog.messages == [
        f"Not caching the config of {URL}: TypeError('Object of type set is not JSON serializable')"]


def test_a_save_creates_every_missing_folder(tmp_path):
    store = ConfigStore(tmp_path / "a" / "b" / "c")
    assert store.save(small()) is True and store.load(URL) == small()
    assert oct((tmp_path / "a" / "b" / "c").stat().st_mode & 0o777) == "0o700"


def test_a_save_writes_a_hidden_temporary_file_beside_the_target(tmp_path, monkeypatch):
    store = ConfigStore(tmp_path)
    seen = []
    real = os.fsync

    def fsync(fd):
        seen.extend(os.listdir(tmp_path))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert store.save(small()) is True
    assert len(seen) == 1, seen
    assert seen[0].startswith(".tmp-") and seen[0].endswith(".json") and len(seen[0]) == len(".tmp-12345678.json")
    assert os.listdir(tmp_path) == [file_name(URL)]


def test_a_folder_that_cannot_be_made_is_logged(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert ConfigStore(blocker / "sub").save(small()) is False
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith(f"Cannot write to {blocker / 'sub'}: NotADirectoryError(")


def test_a_target_that_cannot_be_replaced_leaves_no_temporary_file(tmp_path, caplog):
    store = ConfigStore(tmp_path)
    store.path(URL).mkdir()
    (store.path(URL) / "x").write_text("")  # a non-empty folder where the file goes
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert store.save(small()) is False
    assert os.listdir(tmp_path) == [file_name(URL)]
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith(f"Cannot write the config of {URL}: IsADirectoryError(")


def test_a_cached_file_ignored_is_logged_with_why(tmp_path, caplog):
    store = ConfigStore(tmp_path)
    store.path(URL).write_text(json.dumps({"format": "someone-else/1"}))
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert store.load(URL) is None
    assert caplog.messages == [f"Ignoring the cached config of {URL}: not a file of ours"]


def test_a_cached_file_over_4_mib_is_logged_unread(tmp_path, caplog):
    store = ConfigStore(tmp_path)
    store.path(URL).write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert store.load(URL) is None
    assert caplog.messages == [f"Ignoring {store.path(URL)}: over {MAX_FILE_BYTES} bytes"]


def test_a_folder_where_a_cached_file_goes_is_ignored_logged_and_closed(tmp_path, caplog, monkeypatch):
    store = ConfigStore(tmp_path)
    store.path(URL).mkdir()  # os.open opens a folder; reading it as a file fails
    opened = []
    real = os.open
    monkeypatch.setattr(os, "open", lambda *args: opened.append(real(*args)) or opened[-1])
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert store.load(URL) is None
    with pytest.raises(OSError):
        os.fstat(opened[0])  # not left open
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith(f"Cannot read {store.path(URL)}: IsADirectoryError(")


def test_a_cached_file_whose_read_fails_is_ignored_and_logged(tmp_path, caplog, monkeypatch):
    store = ConfigStore(tmp_path)
    assert store.save(small())
    real = os.fdopen

    class Broken:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            self.file.close()

        def read(self, size):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Broken(real(fd, mode)))
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert store.load(URL) is None
    assert caplog.messages == [f"Cannot read {store.path(URL)}: OSError(5, 'Input/output error')"]


def test_a_cached_file_is_opened_without_following_links_nor_leaking_to_children(tmp_path, monkeypatch):
    store = ConfigStore(tmp_path)
    assert store.save(small())
    flags = []
    real = os.open
    monkeypatch.setattr(os, "open", lambda path, flag, *rest: flags.append(flag) or real(path, flag, *rest))
    assert store.load(URL) == small()
    assert flags == [os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC]


def test_a_cached_file_is_read_where_the_os_lacks_nofollow_and_cloexec(tmp_path, monkeypatch):
    store = ConfigStore(tmp_path)
    assert store.save(small())
    monkeypatch.delattr(os, "O_NOFOLLOW")
    monkeypatch.delattr(os, "O_CLOEXEC")
    assert store.load(URL) == small()


def test_a_cached_file_is_read_at_most_one_byte_past_the_limit(tmp_path, frozen, monkeypatch):
    """A file that grew (or was replaced) past MAX_FILE_BYTES costs at most one byte more than the
    limit to read, however large: enough to tell it is over, and it is ignored."""
    store = ConfigStore(tmp_path)
    assert store.save(small()) is True
    path = store.path(URL)
    path.write_bytes(b" " * (3 * MAX_FILE_BYTES))
    asked = []
    real_fdopen = os.fdopen

    def recording_fdopen(fd, *args, **kwargs):
        file = real_fdopen(fd, *args, **kwargs)
        real_read = file.read

        class Recorded:
            def __enter__(self):
                file.__enter__()
                return self

            def __exit__(self, *exc):
                return file.__exit__(*exc)

            def read(self, size=-1):
                asked.append(size)
                return real_read(size)

        return Recorded()

    monkeypatch.setattr(os, "fdopen", recording_fdopen)
    assert store.load(URL) is None
    assert asked == [MAX_FILE_BYTES + 1]
