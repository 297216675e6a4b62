"""Tests written against mutants of ``g4f_qwen_spaces/space`` that the other tests let live.

Each pins a behaviour at its boundary (exact messages, the ``url`` an error
carries, the size where a unit changes, the second where a cache entry
expires) that a one-line change to the module would break; see
tests/mutants/score.py and the README's Development section. They live in
``tests/mutants/`` so pytest collects them first: under mutmut a mutant's
covering tests run in collection order and stop at the first failure.
"""
from __future__ import annotations

import gzip
import logging
from types import SimpleNamespace

import pytest

from g4f_qwen_spaces.space import config as config_module
from g4f_qwen_spaces.space.body import Inflater, read_body
from g4f_qwen_spaces.space.config import ConfigCache, SpaceConfig
from g4f_qwen_spaces.space.diff import Rope
from g4f_qwen_spaces.space.errors import SpaceLimitError, SpaceProtocolError
from g4f_qwen_spaces.space.redact import RedactingFilter, install_filter
from g4f_qwen_spaces.space.store import ConfigStore
from g4f_qwen_spaces.space.text import TextTracker

URL = "http://127.0.0.1:9"


async def chunks(*pieces: bytes):
    for piece in pieces:
        yield piece


# -- body.py ---------------------------------------------------------------------------


def test_an_uncompressed_body_has_nothing_left_at_its_end():
    assert list(Inflater(None).finish()) == []
    assert list(Inflater("identity", URL).finish()) == []


def test_a_truncated_gzip_body_names_the_space_it_came_from():
    whole = gzip.compress(b"x" * 5000)
    inflater = Inflater("gzip", URL)
    assert b"".join(inflater.feed(whole[:-8])) == b"x" * 5000  # all but the CRC and size
    with pytest.raises(SpaceProtocolError) as caught:
        list(inflater.finish())
    assert str(caught.value) == f"The Space at {URL} sent a truncated compressed body"
    assert caught.value.url == URL


@pytest.mark.parametrize(
    "limit, shown",
    [(1024, "1 KiB"), (1 << 20, "1 MiB"), (3 << 20, "3 MiB"), (1536, "1,536 bytes"), (1023, "1,023 bytes"),
     ((1 << 20) + 1024, "1025 KiB")],
)
async def test_the_limit_in_an_over_the_limit_message(limit, shown):
    with pytest.raises(SpaceLimitError) as caught:
        await read_body(chunks(b"x" * (limit + 1)), None, limit, "the thing", url=URL)
    assert str(caught.value) == f"The Space at {URL} sent more than the {shown} allowed for the thing"
    assert caught.value.url == URL and caught.value.limit == "the thing"


async def test_an_over_the_limit_error_without_a_url_carries_none():
    with pytest.raises(SpaceLimitError) as caught:
        await read_body(chunks(b"x" * 2048), None, 1024, "the thing")
    assert str(caught.value) == "The Space sent more than the 1 KiB allowed for the thing"
    assert caught.value.url is None


# -- config.py: the in-process cache ----------------------------------------------------


def parsed(url: str = URL) -> SpaceConfig:
    return SpaceConfig.parse(url, {"components": [], "dependencies": [], "protocol": "sse_v3"})


def test_the_process_cache_keeps_a_config_for_its_ttl_and_not_a_moment_longer(monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(config_module, "time", SimpleNamespace(monotonic=lambda: clock.now))
    cache = ConfigCache()
    assert cache.ttl == 300.0
    config = parsed()
    assert cache.get(URL) is None
    cache.put(config)
    clock.now = 1300.0
    assert cache.get(URL) is config
    clock.now = 1300.001
    assert cache.get(URL) is None
    assert cache.get(URL) is None  # dropped, not only hidden
    cache.put(config)
    assert cache.get(URL) is config


def test_invalidating_one_url_keeps_the_others_and_drops_it_from_every_store(tmp_path):
    cache = ConfigCache(ttl=60.0)
    stores = [ConfigStore(tmp_path / "a"), ConfigStore(tmp_path / "b")]
    for store in stores:
        cache.attach(store)
    cache.attach(ConfigStore(tmp_path / "a"))  # the same folder again: still one store
    other = "http://127.0.0.1:10"
    for url in (URL, other):
        cache.put(parsed(url))
        for store in stores:
            assert store.save(parsed(url))
    cache.invalidate(URL)
    assert cache.get(URL) is None and cache.get(other) is not None
    for store in stores:
        assert store.load(URL) is None and store.load(other) is not None
    cache.invalidate()
    assert cache.get(other) is None
    assert [store.load(other) for store in stores] == [None, None]


# -- diff.py: Rope ---------------------------------------------------------------------


def test_a_rope_equals_the_text_it_holds():
    rope = Rope("ab")
    rope.append("c")
    assert rope == "abc" and rope == Rope("abc") and "abc" == rope
    assert rope != "ab" and rope != Rope("abd")
    assert (rope == 3) is False and rope.__eq__(3) is NotImplemented
    assert repr(rope) == "Rope('abc')"
    assert len(rope) == 3 and str(Rope()) == ""


# -- redact.py -------------------------------------------------------------------------


def test_the_redacting_filter_is_installed_once():
    logger = logging.getLogger("g4f_qwen_spaces.tests.mutants.install")
    try:
        install_filter(logger)
        install_filter(logger)
        assert [type(f) for f in logger.filters] == [RedactingFilter]
    finally:
        logger.filters.clear()


# -- store.py --------------------------------------------------------------------------


def test_a_store_shows_its_folder(tmp_path):
    assert repr(ConfigStore(tmp_path / "x")) == f"ConfigStore({str(tmp_path / 'x')!r})"


# -- text.py: re-synchronising after a white-space rewrite --------------------------------


@pytest.mark.parametrize(
    "first, rewritten, delta, reference",
    [
        # What was yielded ended with two blanks: two (and only two) are skipped in the rewrite.
        ("  ", " \t x", " x", " \t"),
        ("a  ", "a\t\t\t b", "\t b", "a\t\t"),
        ("a ", "a\t\t b", "\t b", "a\t"),
        # The rewrite has fewer blanks than were yielded: nothing new, and no error.
        ("a  ", "a ", "", "a "),
        ("a\n", "a", "", "a"),
    ],
)
def test_a_white_space_rewrite_yields_only_what_is_new(first, rewritten, delta, reference):
    tracker = TextTracker()
    assert tracker.update(first) == first
    assert tracker.update(rewritten) == delta
    assert tracker.text == reference + delta
    assert tracker.diverged is False


# -- chat.py: the text of the newest bot message ------------------------------------------


@pytest.mark.parametrize(
    "content, text",
    [
        # Gradio 6 content parts: only text parts count; a part without a type is text.
        ([{"type": "text", "text": "a"}], "a"),
        ([{"text": "a"}], "a"),
        (["junk", {"type": "text", "text": "a"}], "a"),
        ([{"type": "reasoning", "text": "hidden"}, {"type": "text", "text": "a"}], "a"),
        ([{"type": "text", "text": "a"}, {"type": "file", "file": {"path": "x"}}, {"text": "b"}], "ab"),
        ([{"type": "text", "text": None}], ""),
        ([], ""),
    ],
)
def test_the_answer_text_of_content_parts(content, text):
    from g4f_qwen_spaces.space.chat import answer_node

    assert answer_node([{"role": "user", "content": "q"}, {"role": "assistant", "content": content}]) == text


# -- client.py: forgetting a config ----------------------------------------------------


async def test_a_client_forgets_only_its_own_spaces_config(tmp_path):
    from g4f_qwen_spaces.space.client import SpaceClient

    cache = ConfigCache()
    store = ConfigStore(tmp_path)
    other = "http://127.0.0.1:10"
    client = SpaceClient(URL, cache=cache, store=store)
    for url in (URL, other):
        cache.put(parsed(url))
        assert store.save(parsed(url))
    await client.forget()
    assert cache.get(URL) is None and store.load(URL) is None
    assert cache.get(other) is not None and store.load(other) is not None


# -- files.py: names and corrupt images ------------------------------------------------


@pytest.mark.parametrize(
    "name, mime, safe",
    [
        ("holiday.photo.png", "image/png", "holiday.photo.png"),
        ("Xray.png", "image/png", "Xray.png"),
        ("._X_.png", "image/png", "X.png"),
        ("scan", "image/jpeg", "scan.jpg"),
        ("scan.JPEG", "image/jpeg", "scan.jpeg"),
        ("jpeg", "image/jpeg", "jpeg.jpg"),
    ],
)
def test_safe_names(name, mime, safe):
    from g4f_qwen_spaces.space.files import safe_name

    assert safe_name(name, mime) == safe


def test_a_corrupt_image_is_named_by_what_pil_found():
    import io

    from PIL import Image

    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.files import verify_image

    buffer = io.BytesIO()
    Image.new("RGB", (3, 2)).save(buffer, "PNG")
    with pytest.raises(SpaceInputError) as caught:
        verify_image(buffer.getvalue()[:-20])
    assert str(caught.value) == "The image is corrupt: OSError"


# -- redact.py: secrets held by several clients ------------------------------------------


def test_a_secret_of_six_characters_is_masked_and_a_shorter_one_is_not():
    from g4f_qwen_spaces.space.redact import redact, register_secret, release_secret

    register_secret("q7Zk2w")
    register_secret("Pz9Lm")
    try:
        assert redact("a q7Zk2w b Pz9Lm c") == "a *** b Pz9Lm c"
    finally:
        release_secret("q7Zk2w")
        release_secret("Pz9Lm")
    assert redact("a q7Zk2w b") == "a q7Zk2w b"


def test_a_secret_stays_masked_until_its_last_holder_releases_it():
    from g4f_qwen_spaces.space.redact import redact, register_secret, release_secret

    secret = "hf_MutantsThreeHolders0123456789"
    for _ in range(3):
        register_secret(secret)
    release_secret(secret)
    release_secret(secret)
    assert redact(f"<{secret}>") == "<***>"
    release_secret(secret)
    assert redact(f"<{secret}>") == f"<{secret}>"
    release_secret(secret)  # once more than registered: nothing to release, no error
    assert redact(f"<{secret}>") == f"<{secret}>"


# -- config.py: what a malformed config is reported as ----------------------------------


def test_a_malformed_config_field_is_named_with_a_short_excerpt():
    value = ["x" * 200]
    with pytest.raises(SpaceProtocolError) as caught:
        SpaceConfig.parse(URL, {"components": value, "dependencies": []})
    excerpt = repr(value[0])[:79] + "…"  # the first item that is not a component
    assert str(caught.value) == f"The Space at {URL} sent a config whose components is malformed: {excerpt}"
    assert caught.value.url == URL


def test_api_names_are_the_string_names_without_their_slash():
    dependencies = [{"api_name": "/predict"}, {"api_name": "/Xray"}, {"api_name": 5}, {"api_name": ""},
                    {"api_name": None}, {}, {"api_name": "chat"}]
    config = SpaceConfig.parse(URL, {"components": [], "dependencies": dependencies})
    assert config.api_names() == ["predict", "Xray", "chat"]


# -- diff.py: where an operation may point ----------------------------------------------


def test_an_add_past_the_end_of_a_list_is_refused():
    from g4f_qwen_spaces.space.diff import apply_ops

    assert apply_ops([1, 2], [["add", [2], 3]]) == [1, 2, 3]  # at the end: an append
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops([1, 2], [["add", [3], 3]])
    assert str(caught.value) == (
        "Malformed diff from the Space: operation 'add' at [3] does not fit the value (IndexError)")


def test_a_string_key_into_a_list_is_an_index_error():
    from g4f_qwen_spaces.space.diff import apply_ops

    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops([[1]], [["replace", [0, "a"], 3]])
    assert str(caught.value) == (
        "Malformed diff from the Space: operation 'replace' at [0, 'a'] does not fit the value (IndexError)")


def test_deletes_inside_a_nested_list_are_applied_as_one_run():
    """Gradio 4 numbers a run of deletes by the original indices, Gradio 5/6 pre-shifts them."""
    from g4f_qwen_spaces.space.diff import apply_ops

    value = [["a", "b", "c", "d"], ["e"]]
    gradio4 = [["delete", [0, 1], None], ["delete", [0, 2], None]]
    gradio5 = [["delete", [0, 1], None], ["delete", [0, 1], None]]
    assert apply_ops([list(v) for v in value], gradio4) == [["a", "d"], ["e"]]
    assert apply_ops([list(v) for v in value], gradio5) == [["a", "d"], ["e"]]


# -- errors.py ---------------------------------------------------------------------------


def test_a_quota_error_keeps_its_status_and_wait():
    from g4f_qwen_spaces.space.errors import SpaceQuotaError

    error = SpaceQuotaError("busy", 30.0, status=429, url=URL)
    assert (error.status, error.retry_after, error.url, str(error)) == (429, 30.0, URL, "busy")


# -- queue.py: the wait a quota message gives ---------------------------------------------


@pytest.mark.parametrize(
    "message, wait",
    [
        ("You have exceeded your GPU quota (60s requested vs. 0s left). Retry in 1:02:03", 3723.0),
        ("You have exceeded your GPU quota. Retry in 5:00", 300.0),
        ("You have exceeded your GPU quota. Please retry in 1:00:00", 3600.0),
        ("ZeroGPU quota exceeded, try again in 12.5 s", 12.5),
        ("ZeroGPU quota exceeded, try again in 7s", 7.0),
        ("ZeroGPU quota exceeded", None),
    ],
)
def test_the_wait_a_quota_message_gives(message, wait):
    from g4f_qwen_spaces.space.errors import SpaceQuotaError
    from g4f_qwen_spaces.space.queue import app_error

    error = app_error({"error": message}, 5, URL)
    assert type(error) is SpaceQuotaError
    assert error.retry_after == wait and str(error) == message and error.url == URL


# -- sse.py: the last event of a stream -------------------------------------------------


def test_the_last_event_without_a_blank_line_keeps_its_own_characters():
    from g4f_qwen_spaces.space.sse import SSEParser

    parser = SSEParser()
    assert parser.feed(b"data: XX ") == []
    assert parser.close() == b"XX "
    assert parser.feed(b"\n\ndata: 2\n\n") == [b"2"]  # a parser can be fed again after close()
    assert parser.close() is None
    assert parser.feed(b"data: abX") == [] and parser.close() == b"abX"


@pytest.mark.parametrize(
    "ops, action, path",
    [
        ([["add", [5], "x"]], "add", "[5]"),  # a dict's keys are strings
        ([["replace", ["missing"], "x"]], "replace", "['missing']"),  # only an add makes a key
        ([["delete", ["missing"], None]], "delete", "['missing']"),
    ],
)
def test_dict_keys_in_a_diff(ops, action, path):
    from g4f_qwen_spaces.space.diff import apply_ops

    assert apply_ops({"a": 1}, [["add", ["b"], 2]]) == {"a": 1, "b": 2}
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops({"a": 1}, ops)
    assert str(caught.value) == (
        f"Malformed diff from the Space: operation {action!r} at {path} does not fit the value (KeyError)")


# -- queue.py: Gradio 4's quoted error messages ------------------------------------------


@pytest.mark.parametrize(
    "message, major, text",
    [
        ("'The model is overloaded'", 4, "The model is overloaded"),
        ('"Bad input"', 4, "Bad input"),
        ("'it's broken'", 4, "it's broken"),  # not a Python literal: the quotes alone go
        ("'Bad input'", 5, "'Bad input'"),  # Gradio 5 sends the message itself
        ("XhelloX", 4, "XhelloX"),
        ("'a\"", 4, "'a\""),
    ],
)
def test_gradio_4_error_messages_lose_their_quotes(message, major, text):
    from g4f_qwen_spaces.space.errors import SpaceAppError
    from g4f_qwen_spaces.space.queue import app_error

    error = app_error({"error": message}, major, URL)
    assert type(error) is SpaceAppError and str(error) == text


def test_an_empty_quoted_message_is_no_message():
    from g4f_qwen_spaces.space.queue import app_error

    error = app_error({"error": "''"}, 4, URL)
    assert str(error) == f"The Space at {URL} failed without a message (the app hides its errors)"


def test_only_messages_under_64_kib_are_unquoted():
    from g4f_qwen_spaces.space.queue import app_error

    under = "'" + "a" * 65533 + "'"
    at = "'" + "a" * 65534 + "'"
    assert str(app_error({"error": under}, 4, URL)).startswith("aaa")
    assert str(app_error({"error": at}, 4, URL)).startswith("'aaa")


# -- limits.py -------------------------------------------------------------------------


def test_the_documented_default_limits():
    from g4f_qwen_spaces.space.limits import DEFAULT_LIMITS, Limits

    assert Limits() == DEFAULT_LIMITS
    assert (DEFAULT_LIMITS.event, DEFAULT_LIMITS.stream, DEFAULT_LIMITS.config, DEFAULT_LIMITS.json,
            DEFAULT_LIMITS.error_body) == (16 << 20, 64 << 20, 16 << 20, 1 << 20, 8 << 10)


@pytest.mark.parametrize(
    "raw, stream",
    [("", 64 << 20), ("   ", 64 << 20), ("0.5", 1 << 19), (" 3 ", 3 << 20), ("1.0000001", (1 << 20) + 0)],
)
def test_the_stream_variable(monkeypatch, raw, stream):
    from g4f_qwen_spaces.space.limits import STREAM_ENV, Limits

    monkeypatch.setenv(STREAM_ENV, raw)
    limits = Limits.from_env()
    assert limits.stream == stream and limits.event == 16 << 20


@pytest.mark.parametrize(
    "raw, message",
    [
        ("0", "G4F_QWEN_SPACES_MAX_STREAM_MB must be a finite positive number, got '0'"),
        ("x", "G4F_QWEN_SPACES_MAX_STREAM_MB must be a number of megabytes, got 'x'"),
        ("-3", "G4F_QWEN_SPACES_MAX_STREAM_MB must be a finite positive number, got '-3'"),
        ("lots", "G4F_QWEN_SPACES_MAX_STREAM_MB must be a number of megabytes, got 'lots'"),
    ],
)
def test_a_bad_stream_variable_is_named(monkeypatch, raw, message):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import STREAM_ENV, Limits

    monkeypatch.setenv(STREAM_ENV, raw)
    with pytest.raises(SpaceInputError) as caught:
        Limits.from_env()
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "value, message",
    [
        (True, "timeout must be a number of seconds, got True"),
        ("x" * 50, "timeout must be a number of seconds, got '" + "x" * 39),
        (None, "timeout must be a number of seconds, got None"),
        (0, "timeout must be a finite positive number, got 0"),
        (-0.5, "timeout must be a finite positive number, got -0.5"),
        (float("inf"), "timeout must be a finite positive number, got inf"),
    ],
)
def test_positive_refusals_word_for_word(value, message):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import positive

    with pytest.raises(SpaceInputError) as caught:
        positive(value, "timeout")
    assert str(caught.value) == message


def test_a_positive_number_of_another_unit():
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import positive

    with pytest.raises(SpaceInputError) as caught:
        positive("many", "size", "megabytes")
    assert str(caught.value) == "size must be a number of megabytes, got 'many'"


@pytest.mark.parametrize("value, seconds", [(0, 0.0), ("0", 0.0), (0.25, 0.25), ("7", 7.0), ("2.5", 2.5)])
def test_non_negative_accepts_zero(value, seconds):
    from g4f_qwen_spaces.space.limits import non_negative

    assert non_negative(value, "cooldown") == seconds


@pytest.mark.parametrize(
    "value, message",
    [
        (-0.001, "cooldown must be a finite number of seconds >= 0, got -0.001"),
        (float("nan"), "cooldown must be a finite number of seconds >= 0, got nan"),
        (float("inf"), "cooldown must be a finite number of seconds >= 0, got inf"),
        (False, "cooldown must be a number of seconds, got False"),
        ("soon", "cooldown must be a number of seconds, got 'soon'"),
    ],
)
def test_non_negative_refusals_word_for_word(value, message):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import non_negative

    with pytest.raises(SpaceInputError) as caught:
        non_negative(value, "cooldown")
    assert str(caught.value) == message


def test_optional_seconds():
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import optional_seconds

    assert optional_seconds(None, "stall_timeout") is None
    assert optional_seconds("", "stall_timeout") is None
    assert optional_seconds("2", "stall_timeout") == 2.0
    with pytest.raises(SpaceInputError) as caught:
        optional_seconds(0, "stall_timeout")
    assert str(caught.value) == "stall_timeout must be a finite positive number, got 0"


def test_the_default_deadline_variable_with_blanks(monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.limits import DEADLINE_ENV, default_deadline

    monkeypatch.setenv(DEADLINE_ENV, "  ")
    assert default_deadline() == 600.0
    monkeypatch.setenv(DEADLINE_ENV, " 9.5 ")
    assert default_deadline() == 9.5
    monkeypatch.setenv(DEADLINE_ENV, "-3")
    with pytest.raises(SpaceInputError) as caught:
        default_deadline()
    assert str(caught.value) == f"{DEADLINE_ENV} must be a finite positive number, got '-3'"


# -- errors.py -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, limit, text",
    [
        (None, 200, "(empty)"),
        ("", 200, "(empty)"),
        ("<p> </p>", 200, "(empty)"),
        (b"caf\xc3\xa9 \xff", 200, "café \ufffd"),
        (bytearray(b"abc"), 200, "abc"),
        (memoryview(b"abc"), 200, "abc"),
        (12, 200, "12"),
        ("x" * 10, 10, "x" * 10),
        ("x" * 11, 10, "x" * 9 + "…"),
        ("a&lt;b&gt;", 200, "a‹b›"),
        ("  a \t\n b  ", 200, "a b"),
    ],
)
def test_excerpt_word_for_word(data, limit, text):
    from g4f_qwen_spaces.space.errors import excerpt

    assert excerpt(data, limit) == text


def test_excerpt_looks_at_the_first_4096_characters_only():
    from g4f_qwen_spaces.space.errors import excerpt

    assert excerpt("a" * 4095 + "bc", 10_000) == "a" * 4095 + "b"


def test_excerpt_redacts_before_it_cuts():
    from g4f_qwen_spaces.space.errors import excerpt
    from g4f_qwen_spaces.space.redact import register_secret, release_secret

    secret = "hf_ExcerptCutsAfterRedaction123456"
    register_secret(secret)
    try:
        assert excerpt("ab" + secret + "cd", 8) == "ab***cd"
        assert excerpt("abcd" + secret, 6) == "abcd*…"
    finally:
        release_secret(secret)


def test_the_error_family_keeps_what_it_is_given():
    from g4f_qwen_spaces.space import errors as e

    error = e.SpaceStatusError("m", 503, url=URL, state="sleeping")
    assert (str(error), error.status, error.url, error.state) == ("m", 503, URL, "sleeping")
    asleep = e.SpaceAsleepError("m", 503, url=URL, state="building", elapsed=2.5)
    assert (asleep.status, asleep.url, asleep.state, asleep.elapsed) == (503, URL, "building", 2.5)
    assert e.SpaceAsleepError("m").elapsed == 0.0 and e.SpaceStatusError("m").state is None
    limit = e.SpaceLimitError("m", "the queue join", url=URL)
    assert (limit.limit, limit.url, limit.status) == ("the queue join", URL, None)
    quota = e.SpaceQuotaError("m")
    assert (quota.retry_after, quota.status, quota.url) == (None, None, None)
    assert isinstance(e.SpaceConnectTimeoutError("m"), TimeoutError)
    assert isinstance(e.SpaceInputError("m"), ValueError)
    plain = e.SpaceError("m")
    assert (plain.status, plain.url) == (None, None)


def test_app_errors_name_the_space_and_are_cut_at_300_characters():
    from g4f_qwen_spaces.space.errors import SpaceAppError
    from g4f_qwen_spaces.space.queue import app_error

    for output in ({"error": None}, {"error": ""}, {}):
        error = app_error(output, 5, URL)
        assert type(error) is SpaceAppError and error.url == URL
    error = app_error({"error": "y" * 301}, 5, URL)
    assert type(error) is SpaceAppError and error.url == URL and str(error) == "y" * 299 + "…"
    assert str(app_error({"error": "y" * 300}, 5, URL)) == "y" * 300
    quota = app_error({"error": "ZeroGPU quota exceeded"}, 5, URL)
    assert quota.url == URL and app_error({"error": "x"}, 5, "").url is None


# -- store.py: why a cached file is not used ---------------------------------------------


def cached_file(**fields) -> bytes:
    import json
    import time

    from g4f_qwen_spaces.space.store import FORMAT

    document = {"format": FORMAT, "url": URL, "saved": time.time(), "config": parsed().to_raw()}
    document.update(fields)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"format": "g4f-qwen-spaces/config/0"}, "not a file of ours"),
        ({"url": URL + "/"}, "the file is for another URL"),
        ({"saved": "yesterday"}, "no save time"),
        ({"saved": True}, "no save time"),
        ({"saved": None}, "no save time"),
    ],
)
def test_a_cached_file_refused_says_why(tmp_path, fields, reason):
    store = ConfigStore(tmp_path)
    assert store.validate(URL, cached_file()).base_url == URL
    with pytest.raises(ValueError) as caught:
        store.validate(URL, cached_file(**fields))
    assert str(caught.value) == reason


def test_a_cached_file_that_is_not_an_object_is_not_ours(tmp_path):
    with pytest.raises(ValueError) as caught:
        ConfigStore(tmp_path).validate(URL, b"[1, 2]")
    assert str(caught.value) == "not a file of ours"


@pytest.mark.parametrize(
    "offset, reason",
    [
        (-86400.0, None),  # a day old: still trusted
        (-86401.0, "saved 86401 s ago"),
        (300.0, None),  # five minutes in the future: another machine's clock
        (301.0, "saved -301 s ago"),
    ],
)
def test_a_cached_file_is_trusted_for_a_day(tmp_path, monkeypatch, offset, reason):
    from g4f_qwen_spaces.space import store as store_module

    now = 1_000_000.0
    monkeypatch.setattr(store_module, "time", SimpleNamespace(time=lambda: now))
    store = ConfigStore(tmp_path)
    raw = cached_file(saved=now + offset)
    if reason is None:
        assert store.validate(URL, raw).base_url == URL
    else:
        with pytest.raises(ValueError) as caught:
            store.validate(URL, raw)
        assert str(caught.value) == reason


def test_a_cached_config_of_another_protocol_is_refused(tmp_path):
    raw = parsed().to_raw()
    raw["protocol"] = "ws"
    with pytest.raises(ValueError) as caught:
        ConfigStore(tmp_path).validate(URL, cached_file(config=raw))
    assert str(caught.value) == "protocol 'ws'"


def test_a_rope_read_while_it_grows():
    rope = Rope("a")
    assert str(rope) == "a"
    rope.append("b")
    rope.append("c")
    assert str(rope) == "abc" and str(rope) == "abc"
    rope.append("d")
    assert str(rope) == "abcd" and len(rope) == 4


# -- copies.py: the error that names every copy -------------------------------------------


def test_a_combined_error_keeps_the_cause_of_the_decisive_failure():
    from g4f_qwen_spaces.space.copies import CoolDown, combine
    from g4f_qwen_spaces.space.errors import SpaceConnectionError, SpaceStatusError

    root = OSError("refused")
    unreachable = SpaceConnectionError("Cannot reach the Space at http://a: refused", url="http://a")
    unreachable.__cause__ = root
    gone = SpaceStatusError("The Space at http://b answered 404", 404, url="http://b")
    combined = combine([("http://a", unreachable), ("http://b", gone)])
    assert type(combined) is SpaceConnectionError
    assert combined.__cause__ is root and combined.__suppress_context__ is True
    assert (combined.url, combined.status) == ("http://a", None)
    also_gone = SpaceStatusError("The Space at http://c answered 404", 404, url="http://c")
    combined = combine([("http://b", gone), ("http://c", also_gone)])
    assert combined.__cause__ is gone and combined.__suppress_context__ is True
    assert str(combined) == ("No copy of the Space could answer (2 tried): "
                             "http://b: not found (404); http://c: not found (404)")
    # A new cool-down list of its own works (mark, plan, clear).
    cool = CoolDown()
    cool.mark("http://b", 60.0, "not found (404)")
    plan = cool.plan(["http://b", "http://c"])
    assert plan.urls == ("http://c",) and [s.url for s in plan.skipped] == ["http://b"]
    cool.clear()
    assert cool.plan(["http://b", "http://c"]).urls == ("http://b", "http://c")


@pytest.mark.parametrize(
    "error, drop",
    [
        ("protocol", True),
        ("limit", True),
        ("404", True),
        ("500", True),
        ("502", False),  # issue 16: 502/503/504 are seen while a Space starts, not a re-wired app
        ("503", False),
        ("504", False),
        ("505", True),
        ("asleep-page", False),
        ("quota", False),
        ("auth", False),
        ("connection", False),
    ],
)
def test_which_refused_joins_drop_the_cached_config(error, drop):
    from g4f_qwen_spaces.space import errors as e
    from g4f_qwen_spaces.space.client import disagrees

    made = {
        "protocol": e.SpaceProtocolError("m"),
        "limit": e.SpaceLimitError("m", "the queue join"),
        "404": e.SpaceStatusError("m", 404),
        "500": e.SpaceStatusError("m", 500),
        "502": e.SpaceStatusError("m", 502),
        "503": e.SpaceStatusError("m", 503),
        "504": e.SpaceStatusError("m", 504),
        "505": e.SpaceStatusError("m", 505),
        "asleep-page": e.SpaceStatusError("m", 404, state="sleeping"),
        "quota": e.SpaceQuotaError("m", status=429),
        "auth": e.SpaceAuthError("m", 401),
        "connection": e.SpaceConnectionError("m"),
    }[error]
    assert disagrees(made) is drop


@pytest.mark.parametrize(
    "error, text",
    [
        ("asleep", "still asleep after 3 s (the wake limit)"),
        ("building", "still building after 181 s (the wake limit)"),
        ("auth", "refused access: an HF token is needed"),
        ("auth401", "refused access (401): an HF token is needed"),
        ("runtime", "has a runtime error"),
        ("paused", "is paused"),
    ],
)
def test_why_a_copy_failed_in_a_few_words(error, text):
    from g4f_qwen_spaces.space import errors as e
    from g4f_qwen_spaces.space.copies import reason

    made = {
        "asleep": e.SpaceAsleepError("m", 503, elapsed=2.6),
        "building": e.SpaceAsleepError("m", 503, state="building", elapsed=181.2),
        "auth": e.SpaceAuthError("m"),
        "auth401": e.SpaceAuthError("m", 401),
        "runtime": e.SpaceStatusError("m", 503, state="runtime error"),
        "paused": e.SpaceStatusError("m", 503, state="paused"),
    }[error]
    assert reason(made) == text


def test_a_cool_down_under_a_second_still_counts():
    from g4f_qwen_spaces.space.copies import CoolDown

    cool = CoolDown()
    cool.mark("http://a", 0.5, "busy")
    cool.mark("http://b", 0, "busy")  # 0: cool-down off
    assert cool.plan(["http://a", "http://b"]).urls == ("http://b",)


# -- body.py: corrupt compressed bodies ----------------------------------------------------

CORRUPT = "sent a corrupt compressed body: Error -3 while decompressing data"


def test_a_corrupt_gzip_body_is_not_retried_as_raw_deflate():
    inflater = Inflater("gzip", URL)
    with pytest.raises(SpaceProtocolError) as caught:
        list(inflater.feed(b"\x1f\x8b\x08\x00garbage-garbage"))
    assert str(caught.value) == f"The Space at {URL} {CORRUPT}: invalid code lengths set"
    assert caught.value.url == URL


def test_a_deflate_body_that_is_neither_zlib_nor_raw_fails_once_tried_both():
    with pytest.raises(SpaceProtocolError) as caught:
        list(Inflater("deflate", URL).feed(b"\xff\xff\xff\xffgarbage"))
    assert str(caught.value) == f"The Space at {URL} {CORRUPT}: invalid block type"


def test_deflate_that_started_as_zlib_is_not_retried_raw_midway():
    import zlib

    data = zlib.compress(b"hello world " * 1000)
    inflater = Inflater("deflate", URL)
    assert b"".join(inflater.feed(data[:20])) == b""
    with pytest.raises(SpaceProtocolError) as caught:
        list(inflater.feed(bytes(b ^ 0xFF for b in data[20:60])))
    assert str(caught.value) == f"The Space at {URL} {CORRUPT}: invalid code -- missing end-of-block"


def test_raw_deflate_is_read_too():
    import zlib

    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = compressor.compress(b"raw " * 500) + compressor.flush()
    inflater = Inflater("deflate", URL)
    assert b"".join(inflater.feed(raw)) == b"raw " * 500
    assert list(inflater.finish()) == []


# -- config.py: what is read from /config -------------------------------------------------


def app_config(**extra):
    raw = {
        "version": "5.49.1",
        "api_prefix": "/gradio_api/",
        "protocol": "sse_v3",
        "max_file_size": 1000,
        "components": [{"id": 1, "type": "textbox", "props": {"value": "hi"}},
                       {"id": 2, "type": "chatbot"}, {"id": 3, "type": "state", "props": None}],
        "dependencies": [
            {"id": 7, "api_name": "chat", "targets": [[1, "submit"]], "inputs": [1, 3], "outputs": [2],
             "types": {"generator": True}},
            {"api_name": "/other", "trigger": 4, "inputs": [], "outputs": [9], "queue": False},
            {"id": "x", "api_name": "odd", "targets": [], "inputs": [2]},
        ],
    }
    raw.update(extra)
    return raw


def test_a_config_is_read_field_by_field():
    config = SpaceConfig.parse(URL, app_config())
    assert (config.version, config.api_prefix, config.protocol, config.max_file_size) == (
        "5.49.1", "/gradio_api", "sse_v3", 1000)
    assert config.major == 5 and config.url("/queue/join") == f"{URL}/gradio_api/queue/join"
    assert config.components[1].default == "hi" and config.components[3].is_state
    assert config.components[3].props == {} and not config.components[2].is_state
    chat = config.endpoint("/chat")
    assert (chat.api_name, chat.fn_index, chat.trigger_id, chat.queued, chat.generator) == ("chat", 7, 1, True, True)
    assert [c.type for c in chat.inputs] == ["textbox", "state"] and [c.id for c in chat.outputs] == [2]
    other = config.endpoint("other")
    assert (other.fn_index, other.trigger_id, other.queued, other.generator) == (1, 4, False, False)
    assert other.outputs[0].type == "unknown" and other.outputs[0].id == 9
    odd = config.endpoint("odd")
    assert (odd.fn_index, odd.trigger_id, odd.outputs) == (2, None, ())
    assert SpaceConfig.parse(URL, config.to_raw()) == config


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"components": {}}, "components"),
        ({"components": [{"id": True}]}, "components"),
        ({"components": [{"id": 1, "type": 5}]}, "components"),
        ({"components": [{"id": 1, "props": ["x"]}]}, "components"),
        ({"dependencies": [{}, 3]}, "dependencies"),
        ({"version": 5}, "version"),
        ({"version": "5" * 2049}, "version"),
        ({"protocol": ["sse"]}, "protocol"),
        ({"api_prefix": "gradio_api"}, "api_prefix (not a plain path)"),
        ({"api_prefix": "//evil.example"}, "api_prefix (not a plain path)"),
        ({"api_prefix": "/a/../b"}, "api_prefix (not a plain path)"),
    ],
)
def test_a_malformed_config_names_its_field(extra, field):
    with pytest.raises(SpaceProtocolError) as caught:
        SpaceConfig.parse(URL, app_config(**extra))
    assert str(caught.value).startswith(f"The Space at {URL} sent a config whose {field} is malformed: ")


def test_config_fields_at_their_bounds():
    config = SpaceConfig.parse(URL, app_config(version="4" * 2048, max_file_size=0, api_prefix=None,
                                               protocol=None, components=None))
    assert len(config.version) == 2048 and config.max_file_size is None and config.api_prefix == ""
    assert config.protocol == "" and config.components == {}
    assert SpaceConfig.parse(URL, app_config(max_file_size=1)).max_file_size == 1
    assert SpaceConfig.parse(URL, app_config(version="x.1")).major == 0
    assert SpaceConfig.parse(URL, app_config(version="")).major == 0
    assert SpaceConfig.parse(URL, app_config(version="12")).major == 12
    assert SpaceConfig.parse(URL, app_config(api_prefix="/a.b/c~d%20+e-f/")).api_prefix == "/a.b/c~d%20+e-f"


@pytest.mark.parametrize("raw", [None, [], {"components": []}, {"dependencies": []}])
def test_what_is_not_a_gradio_config(raw):
    with pytest.raises(SpaceProtocolError) as caught:
        SpaceConfig.parse(URL, raw)
    assert str(caught.value) == f"{URL}/config is not a Gradio app config" and caught.value.url == URL


@pytest.mark.parametrize(
    "dependency, field",
    [
        ({"api_name": "e", "inputs": [1, "2"]}, "the e endpoint's inputs"),
        ({"api_name": "e", "inputs": [True]}, "the e endpoint's inputs"),
        ({"api_name": "e", "outputs": {"a": 1}}, "the e endpoint's outputs"),
        ({"api_name": "e", "types": ["generator"]}, "the e endpoint's types"),
    ],
)
def test_a_malformed_endpoint_names_its_field(dependency, field):
    config = SpaceConfig.parse(URL, app_config(dependencies=[dependency]))
    with pytest.raises(SpaceProtocolError) as caught:
        config.endpoint("e")
    assert str(caught.value).startswith(f"The Space at {URL} sent a config whose {field} is malformed: ")
    assert caught.value.url == URL


def test_a_missing_endpoint_lists_the_names_found():
    config = SpaceConfig.parse(URL, app_config())
    with pytest.raises(SpaceProtocolError) as caught:
        config.endpoint("/predict")
    assert str(caught.value) == (f"The Space at {URL} has no endpoint named 'predict' "
                                 "(api_names found: chat, other, odd)")
    assert caught.value.url == URL
    empty = SpaceConfig.parse(URL, app_config(dependencies=[{"api_name": None}]))
    with pytest.raises(SpaceProtocolError) as caught:
        empty.endpoint("predict")
    assert str(caught.value).endswith("(api_names found: none)")


def test_the_trigger_is_the_first_target_or_the_old_trigger_field():
    dependencies = [
        {"api_name": "a", "targets": [[5, "click"], [6, "submit"]], "trigger": 9},
        {"api_name": "b", "targets": [[]], "trigger": 9},
        {"api_name": "c", "targets": "x", "trigger": True},
        {"api_name": "d", "targets": [["x"]]},
        {"api_name": "e", "id": True},
    ]
    config = SpaceConfig.parse(URL, app_config(dependencies=dependencies))
    assert [config.endpoint(n).trigger_id for n in "abcde"] == [5, 9, None, None, None]
    assert config.endpoint("e").fn_index == 4


@pytest.mark.parametrize(
    "error, text",
    [
        ("status", "answered 500"),
        ("status-no-url", "The Space at http://a answered 500"),
        ("connection", "cannot be reached: refused"),
        ("quota", "over quota or busy: is over its quota"),
        ("lower", "x"),
        ("long", "y" * 119 + "…"),
        ("quota-long", "over quota or busy: " + "q" * 89 + "…"),
        ("connection-long", "cannot be reached: " + "c" * 69 + "…"),
    ],
)
def test_a_copy_s_failure_without_its_own_url(error, text):
    from g4f_qwen_spaces.space import errors as e
    from g4f_qwen_spaces.space.copies import reason

    made = {
        "status": e.SpaceStatusError("The Space at http://a answered 500", 500, url="http://a"),
        "status-no-url": e.SpaceStatusError("The Space at http://a answered 500", 500),
        "connection": e.SpaceConnectionError("Cannot reach the Space at http://a: refused", url="http://a"),
        "quota": e.SpaceQuotaError("The Space at http://a is over its quota", url="http://a"),
        "lower": e.SpaceAppError("the Space at http://a x", url="http://a"),
        "long": e.SpaceAppError("y" * 200, url="http://a"),
        "quota-long": e.SpaceQuotaError("q" * 200, url="http://a"),
        "connection-long": e.SpaceConnectTimeoutError("c" * 200, url="http://a"),
    }[error]
    assert reason(made) == text


# -- store.py: files on disk --------------------------------------------------------------


def test_a_cached_file_of_exactly_4_mib_is_read_and_one_byte_more_is_not(tmp_path):
    from g4f_qwen_spaces.space.store import MAX_FILE_BYTES

    store = ConfigStore(tmp_path)
    raw = cached_file()
    store.path(URL).write_bytes(raw + b" " * (MAX_FILE_BYTES - len(raw)))
    assert MAX_FILE_BYTES == 4 << 20 and store.load(URL) == parsed()
    store.path(URL).write_bytes(raw + b" " * (MAX_FILE_BYTES - len(raw) + 1))
    assert store.load(URL) is None


def test_a_symlinked_cache_file_is_not_followed(tmp_path):
    store = ConfigStore(tmp_path / "s")
    assert store.save(parsed())
    target = tmp_path / "elsewhere.json"
    store.path(URL).rename(target)
    store.path(URL).symlink_to(target)
    assert store.load(URL) is None


def test_a_config_too_big_or_not_json_is_not_cached(tmp_path):
    from g4f_qwen_spaces.space.config import Component
    from g4f_qwen_spaces.space.store import MAX_FILE_BYTES

    store = ConfigStore(tmp_path / "s")
    base = parsed()
    huge = SpaceConfig(**{**base.__dict__, "components": {1: Component(1, "textbox", {"value": "x" * MAX_FILE_BYTES})}})
    odd = SpaceConfig(**{**base.__dict__, "components": {1: Component(1, "textbox", {"value": {1, 2}})}})
    assert store.save(huge) is False and store.save(odd) is False
    assert not (tmp_path / "s").exists() or list((tmp_path / "s").iterdir()) == []


def test_clear_forgets_only_our_files_and_drop_only_one(tmp_path):
    from g4f_qwen_spaces.space.store import file_name

    store = ConfigStore(tmp_path)
    other = "http://127.0.0.1:10"
    assert store.save(parsed()) and store.save(parsed(other))
    assert len(file_name(URL)) == 37 and file_name(URL).endswith(".json")
    (tmp_path / "notes.json").write_text("{}")
    (tmp_path / ("x" * 37)).write_text("{}")
    store.drop(URL)
    assert store.load(URL) is None and store.load(other) is not None
    store.clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json", "x" * 37]
    store.drop(URL)  # already gone: no error
    ConfigStore(tmp_path / "missing").clear()  # no folder: no error


# -- sse.py: bounds of the event parser ---------------------------------------------------


def test_ten_thousand_events_without_data_in_a_row_and_no_more():
    from g4f_qwen_spaces.space.sse import MAX_EMPTY_EVENTS, SSEParser

    assert MAX_EMPTY_EVENTS == 10_000
    parser = SSEParser()
    assert parser.feed(b": ping\n\n" * 10_000) == []
    assert parser.feed(b"data: 1\n\n" + b": ping\n\n" * 10_000) == [b"1"]  # data resets the count
    with pytest.raises(SpaceLimitError) as caught:
        parser.feed(b": ping\n\n")
    assert str(caught.value) == "The Space sent over 10,000 events in a row without data"
    assert caught.value.limit == "events without data"


@pytest.mark.parametrize("prefix", [b"data: ", b"event: x\ndata: "])
def test_an_event_of_exactly_max_event_bytes_and_one_more(prefix):
    from g4f_qwen_spaces.space.sse import SSEParser

    size = 64
    body = prefix + b"x" * (size - len(prefix))
    assert SSEParser(size).feed(body + b"\n\n") == [b"x" * (size - len(prefix))]
    parser = SSEParser(size)
    with pytest.raises(SpaceLimitError) as caught:
        parser.feed(body + b"x\n\n")
    assert str(caught.value) == "The Space sent an event longer than the 64 bytes allowed"
    assert caught.value.limit == "one event" and parser.pending == 0


def test_bytes_without_a_blank_line_are_bounded_too():
    from g4f_qwen_spaces.space.sse import SSEParser

    parser = SSEParser(1000)
    assert parser.feed(b"data: " + b"x" * 994) == [] and parser.pending == 1000
    with pytest.raises(SpaceLimitError):
        parser.feed(b"x")
    assert parser.pending == 0


@pytest.mark.parametrize(
    "chunks, payloads",
    [
        ([b"data: a\r", b"\n\r\n"], [b"a"]),
        ([b"data: a\r\n\r", b"\ndata: b\r\n\r\n"], [b"a", b"b"]),
        ([b"data: a\n", b"data: b\n\n"], [b"a\nb"]),
        ([b"data:a\ndata:  b\n\n"], [b"a\n b"]),
        ([b"\n\n\n", b"data: a\n\n"], [b"a"]),
        ([b"id: 1\nretry: 5\n\n"], []),
    ],
)
def test_events_across_chunks(chunks, payloads):
    from g4f_qwen_spaces.space.sse import SSEParser

    parser = SSEParser()
    got = []
    for chunk in chunks:
        got += [bytes(p) for p in parser.feed(chunk)]
    assert got == payloads and parser.close() is None


def test_malformed_and_deeply_nested_events():
    from g4f_qwen_spaces.space.sse import decode_json

    assert decode_json(b'{"a": 1}') == {"a": 1} and decode_json('{"a": 1}') == {"a": 1}
    assert decode_json(bytearray(b"[1]")) == [1]
    with pytest.raises(SpaceProtocolError) as caught:
        decode_json(b"{oops")
    assert str(caught.value) == "Malformed event from the Space: {oops"
    with pytest.raises(SpaceProtocolError) as caught:
        decode_json(b"\xff")
    assert str(caught.value) == "Malformed event from the Space: \ufffd"
    with pytest.raises(SpaceProtocolError) as caught:
        decode_json(b"[" * 100_000 + b"]" * 100_000)
    assert str(caught.value) == "The Space sent an event nested too deeply"


async def test_batches_per_read_check_the_deadline_before_each_read():
    from g4f_qwen_spaces.space.sse import SSEBatches

    checks = []
    batches = SSEBatches(chunks(b"data: 1\n\ndata: 2\n\n", b"data: 3", b"\n", b"\ndata: 4"),
                         check=lambda: checks.append(1))
    got = [[bytes(p) for p in batch] async for batch in batches]
    assert got == [[b"1", b"2"], [b"3"], [b"4"]]
    assert len(checks) == 5  # four reads and the one that found the end


def test_a_rope_fed_again_unchanged_gives_nothing_new():
    tracker = TextTracker()
    rope = Rope("ab")
    assert tracker.update(rope) == "ab"
    assert tracker.update(rope) == ""
    rope.append("c")
    assert tracker.update(rope) == "c" and tracker.update(rope) == ""
    assert tracker.text == "abc"


# -- wake.py: the Waker's bounds, with a fake clock ---------------------------------------


def waker_for(monkeypatch, now: float, deadline: float, limit: float = 180.0, on_wake=None, page: bool = False):
    from g4f_qwen_spaces.space import wake
    from g4f_qwen_spaces.space.errors import SpaceStatusError, SpaceTimeoutError

    monkeypatch.setattr(wake, "time", SimpleNamespace(monotonic=lambda: now))
    sleeping = SpaceStatusError("The Space is sleeping", 503, url=URL, state="sleeping", page=page)

    async def attempt():
        raise sleeping

    client = SimpleNamespace(deadline=deadline, base_url=URL,
                             deadline_error=lambda: SpaceTimeoutError("the deadline ran out"))
    return wake.Waker(client, attempt, limit, on_wake=on_wake), sleeping


async def test_the_waker_stops_when_50_ms_or_less_of_the_deadline_is_left(monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceTimeoutError

    waker, _ = waker_for(monkeypatch, now=0.0, deadline=0.05)  # exactly 50 ms left (no rounding)
    with pytest.raises(SpaceTimeoutError) as caught:
        await waker.__anext__()
    assert str(caught.value) == "the deadline ran out"
    waker, _ = waker_for(monkeypatch, now=0.0, deadline=0.5)
    waking = await waker.__anext__()
    assert (waking.url, waking.state, waking.elapsed, waking.limit) == (URL, "sleeping", 0.0, 180.0)


async def test_on_wake_hears_of_the_first_status_page_once(monkeypatch):
    heard = []

    async def on_wake(error):
        heard.append(error)

    waker, sleeping = waker_for(monkeypatch, now=100.0, deadline=200.0, on_wake=on_wake, page=True)
    await waker.__anext__()
    await waker.__anext__()  # after the first back-off (1 s, real time)
    # Issue 16: on_wake hears a copy named with the state waited in (the Hub's word may beat
    # the page's), so the same page, not the same object.
    assert len(heard) == 1 and type(heard[0]) is type(sleeping) and heard[0] is not sleeping
    assert (str(heard[0]), heard[0].status, heard[0].url, heard[0].state, heard[0].page) == (
        "The Space is sleeping", 503, URL, "sleeping", True)
    quiet, _ = waker_for(monkeypatch, now=100.0, deadline=200.0)
    assert (await quiet.__anext__()).state == "sleeping"


async def waits_until_it_ends(monkeypatch, limit: float, deadline: float):
    """The Waker's sleeps on a fake clock that each sleep moves on; and how it ended."""
    from g4f_qwen_spaces.space import wake

    clock = [100.0]
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    waker, _ = waker_for(monkeypatch, now=0.0, deadline=deadline, limit=limit)
    monkeypatch.setattr(wake, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(wake, "asyncio", SimpleNamespace(sleep=sleep))
    with pytest.raises(Exception) as caught:
        while True:
            await waker.__anext__()
    return slept, caught.value


async def test_the_waker_asks_again_after_1_2_4_then_every_5_s_within_its_limit(monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceAsleepError

    slept, error = await waits_until_it_ends(monkeypatch, limit=20.0, deadline=1000.0)
    assert slept == [1.0, 2.0, 4.0, 5.0, 5.0, 3.0]  # the last one ends at the limit
    assert type(error) is SpaceAsleepError and error.elapsed == 20.0
    assert str(error) == ("The Space is sleeping; still not serving its app after 20 s "
                          "(wake limit 20 s, G4F_QWEN_SPACES_WAKE_LIMIT)")


async def test_the_waker_never_sleeps_past_the_deadline(monkeypatch):
    from g4f_qwen_spaces.space.errors import SpaceTimeoutError

    slept, error = await waits_until_it_ends(monkeypatch, limit=180.0, deadline=105.5)
    assert slept == [1.0, 2.0, 2.5]
    assert type(error) is SpaceTimeoutError and str(error) == "the deadline ran out"


def test_a_final_answer_that_rewrote_the_stream_is_dropped_and_said_so(caplog):
    tracker = TextTracker()
    assert tracker.update("Hello wor") == "Hello wor"
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert tracker.update("Goodbye") == ""
        assert tracker.update("Goodbye!") == ""
        assert tracker.finish("Goodbye, world") == ""
    assert tracker.diverged is True
    assert caplog.messages == [
        "Space rewrote streamed text; holding back until it extends it",
        "The Space's final answer (14 characters) does not extend the 9 characters already streamed; "
        "the rewrite was dropped",
    ]
    assert [r.levelname for r in caplog.records] == ["DEBUG", "WARNING"]


@pytest.mark.parametrize(
    "error, seen, waking",
    [
        ("sleeping", "", True),
        ("stopped", "", True),
        ("building", "", True),
        ("starting", "", True),
        ("paused", "starting", False),
        # Issue 16: a bare 502/503/504 counts only after a page said starting or building.
        ("503", "starting", True),
        ("502", "building", True),
        ("504", "starting", True),
        ("503", "sleeping", False),
        ("503", "", False),
        ("500", "starting", False),
        ("asleep", "starting", False),
        ("app", "starting", False),
        ("value", "starting", False),
    ],
)
def test_what_counts_as_the_space_waking_up(error, seen, waking):
    from g4f_qwen_spaces.space import errors as e
    from g4f_qwen_spaces.space.wake import is_waking

    made = {
        "sleeping": e.SpaceStatusError("m", 503, state="sleeping"),
        "building": e.SpaceStatusError("m", 200, state="building"),
        "starting": e.SpaceStatusError("m", 404, state="starting"),
        "stopped": e.SpaceStatusError("m", 503, state="stopped"),
        "paused": e.SpaceStatusError("m", 503, state="paused"),
        "502": e.SpaceStatusError("m", 502),
        "503": e.SpaceStatusError("m", 503),
        "504": e.SpaceStatusError("m", 504),
        "500": e.SpaceStatusError("m", 500),
        "asleep": e.SpaceAsleepError("m", 503, state="sleeping"),
        "app": e.SpaceAppError("m", 503),
        "value": ValueError("m"),
    }[error]
    assert is_waking(made, seen) is waking


async def hub_then_pages(monkeypatch, stages, outcomes):
    """A Waker whose client's Hub answers ``stages`` in turn and whose attempts meet ``outcomes``.

    The clock and the sleeps are fake; returns the states waited in and the result (or the error).
    """
    from g4f_qwen_spaces.space import wake

    clock = [100.0]

    async def sleep(seconds):
        clock[0] += seconds

    stages, outcomes = list(stages), list(outcomes)

    async def hub_stage():
        return stages.pop(0)

    async def attempt():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(wake, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(wake, "asyncio", SimpleNamespace(sleep=sleep))
    client = SimpleNamespace(deadline=1000.0, base_url=URL, url_hint="", hub_stage=hub_stage,
                             deadline_error=lambda: AssertionError("no deadline here"))
    waker = wake.Waker(client, attempt, 180.0)
    states = []
    try:
        async for waking in waker:
            states.append(waking.state)
    except Exception as error:  # noqa: BLE001 - the test compares it
        return states, error
    return states, waker.result


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_space_the_hub_calls_running_is_waited_for_while_the_proxy_has_not_caught_up(monkeypatch, status):
    """The Hub said SLEEPING, then RUNNING, while the proxy still answers a bare 502/503/504.

    The Hub's stage comes before the proxy's pages (NOTES.md, "Hugging Face as a client really meets
    it": gradio's JS client treats RUNNING as serving); how long the proxy lags behind it is not
    public, so a bare status right after RUNNING is waited for in the state seen before, not failed.
    Without the Hub's RUNNING, a bare status after "sleeping" (no starting page) would fail at once:
    the case below shows the two differ.
    """
    from g4f_qwen_spaces.space.errors import SpaceStatusError

    bare = SpaceStatusError(f"reported: {status}", status, url=URL)
    states, result = await hub_then_pages(monkeypatch, ["SLEEPING", "RUNNING"], [bare, bare, "answer"])
    assert (states, result) == (["sleeping", "sleeping"], "answer")


@pytest.mark.parametrize("stage", [None, "RUNNING", "RUNNING_BUILDING"])
async def test_a_bare_status_after_sleeping_fails_unless_the_hub_says_the_app_just_came_up(monkeypatch, stage):
    """No Hub (None) after a sleeping stage: a bare 503 says nothing and fails at once; RUNNING waits."""
    from g4f_qwen_spaces.space.errors import SpaceStatusError

    bare = SpaceStatusError("reported: 503", 503, url=URL)
    states, result = await hub_then_pages(monkeypatch, ["SLEEPING", stage], [bare, bare, "answer"])
    if stage is None:
        assert states == ["sleeping"] and result is bare
    else:
        assert (states, result) == (["sleeping", "sleeping"], "answer")


async def test_a_running_space_that_answers_a_page_other_than_not_serving_is_not_waited_for(monkeypatch):
    """RUNNING and a 429 page: not the proxy lagging behind, so the error is the caller's."""
    from g4f_qwen_spaces.space.errors import SpaceStatusError

    bare = SpaceStatusError("reported: 503", 503, url=URL)
    busy = SpaceStatusError("Too many requests", 429, url=URL, page=True)
    states, result = await hub_then_pages(monkeypatch, ["SLEEPING", "RUNNING"], [bare, busy, "answer"])
    assert states == ["sleeping"] and result is busy


# -- sse.py: the stream's head, blank lines and the event bound ----------------------------


def test_the_head_keeps_the_streams_first_8_kib_over_several_chunks():
    """``head`` says what a stream without an event was instead: its first HEAD_BYTES, no more."""
    from g4f_qwen_spaces.space.sse import HEAD_BYTES, SSEParser

    assert HEAD_BYTES == 8 * 1024
    parser = SSEParser()
    parser.feed(b"<html>")
    parser.feed(b"a" * 10_000)
    parser.feed(b"b" * 10)
    assert parser.head == b"<html>" + b"a" * (HEAD_BYTES - 6)


def test_blank_lines_between_events_are_skipped_not_counted_as_events():
    """Blank lines are not events (WHATWG SSE: an empty line dispatches only a pending event),
    so a flood of them never reaches the limit on events without data."""
    from g4f_qwen_spaces.space.sse import MAX_EMPTY_EVENTS, SSEParser

    assert SSEParser().feed(b"data: 1\n\n\n\n\ndata: 2\n\n\n") == [b"1", b"2"]
    flood = b"\n" * (4 * MAX_EMPTY_EVENTS) + b"data: 3\n\n"
    assert SSEParser().feed(flood) == [b"3"]
    parser = SSEParser()
    assert [parser.feed(b"\n" * 1000) for _ in range(40)] == [[]] * 40
    assert parser.feed(b"data: 4\n\n") == [b"4"]


def test_the_event_bound_is_per_event_not_per_position_in_the_chunk():
    from g4f_qwen_spaces.space.sse import SSEParser

    parser = SSEParser(max_event=10)
    assert parser.feed(b"data: 1\n\ndata: 2\n\ndata: 3\n\n") == [b"1", b"2", b"3"]
    with pytest.raises(SpaceLimitError) as caught:
        SSEParser(max_event=10).feed(b"data: 1\n\ndata: 12345\n\n")
    assert str(caught.value) == "The Space sent an event longer than the 10 bytes allowed"


@pytest.mark.parametrize("block", [b"DATA: x", b"Data: x", b"XXdata: XXx", b"datax: y", b"event: data: x"])
def test_a_field_that_only_looks_like_data_carries_none(block):
    """SSE field names are case-sensitive and whole (WHATWG HTML, "Interpreting an event stream"):
    none of these lines is a data line, on the fast path or the general one."""
    from g4f_qwen_spaces.space.sse import SSEParser

    parser = SSEParser()
    assert parser.feed(block + b"\n\n") == []
    assert parser.feed(block + b"\ndata: z\n\n") == [b"z"]


def test_an_event_with_data_on_the_general_path_starts_the_run_without_data_again():
    """Up to MAX_EMPTY_EVENTS events without data in a row are taken, one more is refused; an event
    with data ends the run, also one that is not a single "data: " line (the general path)."""
    from g4f_qwen_spaces.space.sse import MAX_EMPTY_EVENTS, SSEParser

    assert MAX_EMPTY_EVENTS == 10_000
    parser = SSEParser()
    assert parser.feed(b": c\n\n" * 5 + b"event: x\ndata: 1\n\n") == [b"1"]
    assert parser.feed(b": c\n\n" * MAX_EMPTY_EVENTS + b"data:2\n\n") == [b"2"]
    with pytest.raises(SpaceLimitError) as caught:
        parser.feed(b": c\n\n" * (MAX_EMPTY_EVENTS + 1))
    assert str(caught.value) == "The Space sent over 10,000 events in a row without data"
    assert caught.value.limit == "events without data"


def test_a_bad_wake_limit_is_named_by_where_it_came_from(monkeypatch):
    """The call's ``wake_limit=`` is named as such, the variable by its name (README options table)."""
    from g4f_qwen_spaces.space.errors import SpaceInputError
    from g4f_qwen_spaces.space.wake import WAKE_ENV, wake_limit

    assert WAKE_ENV == "G4F_QWEN_SPACES_WAKE_LIMIT"
    with pytest.raises(SpaceInputError) as caught:
        wake_limit(-1)
    assert str(caught.value) == "wake_limit must be a finite number of seconds >= 0, got -1"
    monkeypatch.setenv(WAKE_ENV, " -5 ")
    with pytest.raises(SpaceInputError) as caught:
        wake_limit()
    assert str(caught.value) == "G4F_QWEN_SPACES_WAKE_LIMIT must be a finite number of seconds >= 0, got '-5'"
