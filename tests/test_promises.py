"""Every number the README promises, asserted with its literal value at the boundary where it matters.

The README's options table, its limits table and the rules of "Copies, waking
and the config cache": each value is written here as the README writes it
(never through the constant it should equal, so a changed constant fails),
and where a bound has an edge, both sides of it are tried against the
scripted Space (tests/faultserver.py) on loopback.
"""
from __future__ import annotations

import io
import json
import time

import pytest
from g4f.errors import MissingAuthError, RateLimitError, ResponseError, ResponseStatusError
from g4f.errors import TimeoutError as G4FTimeoutError
from PIL import Image

from g4f_qwen_spaces.providers.cache import config_store
from g4f_qwen_spaces.space import SpaceClient, SpaceConfig, SpaceInputError
from g4f_qwen_spaces.space import copies as copies_module
from g4f_qwen_spaces.space.copies import COOLDOWN, CoolDown, combine, cooldown_seconds, parse_urls
from g4f_qwen_spaces.space.errors import (
    SpaceAppError,
    SpaceAuthError,
    SpaceConnectionError,
    SpaceConnectTimeoutError,
    SpaceLimitError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
)
from g4f_qwen_spaces.space.limits import DEADLINE_ENV, DEFAULT_LIMITS, STREAM_ENV, Limits, default_deadline
from g4f_qwen_spaces.space.sse import SSEParser
from tests.faultserver import (
    CONFIG,
    EVENT_ID,
    PREFIX,
    check_error,
    completed,
    estimation,
    failed,
    generating,
    redirect,
    respond,
    run,
    sse,
    starts,
)

KIB, MIB = 1024, 1024 * 1024
URL = "http://127.0.0.1:9"
HELLO = [estimation(), starts(), generating("Hello"), completed("Hello world")]


# == the options table ===============================================================


def test_default_deadline_is_600_s(monkeypatch):
    monkeypatch.delenv(DEADLINE_ENV, raising=False)
    assert default_deadline() == 600.0
    client = SpaceClient(URL)
    assert client.total == 600.0
    assert 599.0 < client.deadline - time.monotonic() <= 600.0
    assert str(client.deadline_error()) == f"The request to {URL} ran out of its total timeout (600 s)"


def test_the_deadline_variable_replaces_the_default(monkeypatch):
    monkeypatch.setenv("G4F_QWEN_SPACES_TIMEOUT", "42")
    assert SpaceClient(URL).total == 42.0
    assert SpaceClient(URL, timeout=7).total == 7.0  # timeout= wins


def test_default_stall_timeout_is_60_s():
    client = SpaceClient(URL)
    assert client.stall_timeout == 60.0
    assert str(client.timeout_error(stream=True)) == f"The Space at {URL} sent nothing for 60 s"
    assert SpaceClient(URL, stall_timeout=5).stall_timeout == 5.0


def test_default_limits_are_the_documented_ones(monkeypatch):
    monkeypatch.delenv("G4F_QWEN_SPACES_MAX_STREAM_MB", raising=False)
    assert STREAM_ENV == "G4F_QWEN_SPACES_MAX_STREAM_MB"
    assert Limits.from_env() == DEFAULT_LIMITS == Limits(
        event=16_777_216, stream=67_108_864, config=16_777_216, json=1_048_576, error_body=8_192)
    monkeypatch.setenv("G4F_QWEN_SPACES_MAX_STREAM_MB", "2")
    assert Limits.from_env().stream == 2 * MIB


def test_at_most_16_copies():
    sixteen = ",".join(f"https://c{i}.hf.space" for i in range(16))
    assert len(parse_urls(sixteen, "X")) == 16
    with pytest.raises(SpaceInputError) as caught:
        parse_urls(sixteen + ",https://c16.hf.space", "X")
    assert str(caught.value) == "X lists 17 URLs; at most 16 are tried"


@pytest.mark.parametrize("raw, message", [
    ("https://a.hf.space,", "X has an empty entry (item 2 of 2); separate URLs with single commas"),
    ("https://a.hf.space,,https://b.hf.space", "X has an empty entry (item 2 of 3); separate URLs with single commas"),
    ("https://a.hf.space?x=1", "X must be a plain base URL (no credentials, query or fragment)"),
    ("https://a.hf.space#top", "X must be a plain base URL (no credentials, query or fragment)"),
    ("https://u:p@a.hf.space", "X must be a plain base URL (no credentials, query or fragment)"),
    ("https://a.hf.space\t", "X contains control characters (such as a line break); refused"),
    ("ftp://a.hf.space", "X='ftp://a.hf.space' is not an http(s) URL with a host"),
])
def test_the_url_list_rules(raw, message):
    with pytest.raises(SpaceInputError) as caught:
        parse_urls(raw, "X")
    assert str(caught.value) == message


def test_spaces_around_commas_are_ignored_and_duplicates_dropped():
    assert parse_urls(" https://a.hf.space/ ,http://127.0.0.1:7860/x, https://a.hf.space", "X") == (
        "https://a.hf.space", "http://127.0.0.1:7860/x")


def test_default_cooldown_is_60_s(monkeypatch):
    monkeypatch.delenv("G4F_QWEN_SPACES_COOLDOWN", raising=False)
    assert cooldown_seconds() == 60.0
    assert cooldown_seconds(0) == 0.0
    monkeypatch.setenv("G4F_QWEN_SPACES_COOLDOWN", "5")
    assert cooldown_seconds() == 5.0
    assert cooldown_seconds(9) == 9.0  # cooldown= wins


def test_a_failed_copy_is_skipped_for_60_s_then_asked_again(monkeypatch):
    monkeypatch.delenv("G4F_QWEN_SPACES_COOLDOWN", raising=False)
    clock = [1000.0]
    monkeypatch.setattr(copies_module.time, "monotonic", lambda: clock[0])
    cool = CoolDown()
    cool.mark("http://a", cooldown_seconds(), "not found (404)")
    clock[0] += 59.9
    plan = cool.plan(["http://a", "http://b"])
    assert plan.urls == ("http://b",) and [s.url for s in plan.skipped] == ["http://a"]
    assert round(plan.skipped[0].ago, 1) == 59.9
    clock[0] += 0.2  # 60.1 s after the failure
    assert cool.plan(["http://a", "http://b"]).urls == ("http://a", "http://b")


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.1", "169.254.169.254", "[::1]", "localhost"])
async def test_image_urls_on_private_networks_are_refused_before_connecting(space, allowed, monkeypatch, host):
    """Nothing is fetched: the only host reached is the Space (``allowed``), and the loopback
    guard would fail the test on any attempt to reach the private addresses."""
    monkeypatch.delenv("G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS", raising=False)
    outcome = await run(media=[(f"http://{host}:9/cat.png", None)])
    error = check_error(outcome, ValueError, SpaceInputError, within=5)
    assert str(error) == (f"Image URLs on private or local networks are refused ({host.strip('[]')}); "
                          "set G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS=1 to allow them")
    assert all(path == "/config" for path in space.paths())  # no upload, no join


async def test_the_private_urls_variable_allows_them(space, allowed, monkeypatch, aiohttp_image_server):
    url = aiohttp_image_server("/fox.png", _png()).replace("127.0.0.1", "localhost")
    allowed.update({("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0]))})
    monkeypatch.setenv("G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS", "1")
    outcome = await run(media=[(url, None)])
    assert outcome.error is None, outcome.error
    assert space.requests_to("/upload")[0].files == ["fox.png"]


# == the config cache ===============================================================


def _cached(url: str, age: float, pad: int = 0) -> bytes:
    document = {"format": "g4f-qwen-spaces/config/1", "url": url, "saved": time.time() - age,
                "config": SpaceConfig.parse(url, CONFIG).to_raw()}
    return json.dumps(document).encode() + b" " * pad


@pytest.mark.usefixtures("lifecycle_isolated")
@pytest.mark.parametrize("hours, fetched", [(23, False), (25, True)])
async def test_a_cached_config_is_trusted_for_a_day(fault, monkeypatch, hours, fetched):
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", fault.url)
    store = config_store()
    store.root.mkdir(parents=True, exist_ok=True)
    store.path(fault.url).write_bytes(_cached(fault.url, hours * 3600))
    outcome = await run()
    assert outcome.text == "Hello world", outcome.error
    first = fault.paths()[0]
    assert first == ("/config" if fetched else f"{PREFIX}/queue/join"), fault.paths()


@pytest.mark.parametrize("extra, used", [(0, True), (1, False)])
def test_a_cache_file_of_4_mib_is_read_one_byte_more_ignored(tmp_path, extra, used):
    from g4f_qwen_spaces.space.store import ConfigStore

    store = ConfigStore(tmp_path)
    body = _cached(URL, 60)
    store.path(URL).write_bytes(body + b" " * (4 * MIB - len(body) + extra))
    assert store.path(URL).stat().st_size == 4 * MIB + extra
    assert (store.load(URL) is not None) is used


# == the limits table ===============================================================


def test_one_event_of_16_mib_passes_one_byte_more_is_refused():
    payload = json.dumps(generating("x")).encode()
    block = b"data: " + payload + b" " * (16 * MIB - 6 - len(payload))
    assert len(block) == 16 * MIB
    assert [bytes(p) for p in SSEParser().feed(block + b"\n\n")] == [block[6:]]
    with pytest.raises(SpaceLimitError) as caught:
        SSEParser().feed(block + b" \n\n")
    assert str(caught.value) == "The Space sent an event longer than the 16,777,216 bytes allowed"
    assert caught.value.limit == "one event"


def _padded_config(size: int) -> str:
    text = json.dumps(CONFIG)
    return text + " " * (size - len(text))


@pytest.mark.parametrize("extra", [0, 1])
async def test_a_config_of_16_mib_is_read_one_byte_more_refused(space, extra):
    space.route("GET", "/config", respond(200, _padded_config(16 * MIB + extra), content_type="application/json"))
    space.script = list(HELLO)
    outcome = await run()
    if extra == 0:
        assert outcome.error is None and outcome.text == "Hello world", outcome.error
        return
    error = check_error(outcome, ResponseError, SpaceLimitError, within=10)
    assert str(error) == f"The Space at {space.url} sent more than the 16 MiB allowed for /config"
    assert space.paths() == ["/config"]


@pytest.mark.parametrize("extra", [0, 1])
async def test_a_queue_join_answer_of_1_mib_is_read_one_byte_more_refused(space, extra):
    text = json.dumps({"event_id": EVENT_ID})
    space.route("POST", f"{PREFIX}/queue/join",
                respond(200, text + " " * (MIB + extra - len(text)), content_type="application/json"))
    space.script = list(HELLO)
    outcome = await run()
    if extra == 0:
        assert outcome.error is None and outcome.text == "Hello world", outcome.error
        return
    error = check_error(outcome, ResponseError, SpaceLimitError, within=5)
    assert str(error) == f"The Space at {space.url} sent more than the 1 MiB allowed for the queue join"


@pytest.mark.parametrize("extra", [0, 1])
async def test_the_event_stream_bound_is_exact(space, monkeypatch, extra):
    """With ``G4F_QWEN_SPACES_MAX_STREAM_MB=1``: a stream of exactly 1 MiB is read whole, one byte more is not."""
    monkeypatch.setenv("G4F_QWEN_SPACES_MAX_STREAM_MB", "1")
    head = b"".join(sse(m) for m in [estimation(), starts(), generating("Hello")])
    tail = sse(completed("Hello world"))
    filler = MIB + extra - len(head) - len(tail)
    space.script = [head, b":" + b" " * (filler - 2) + b"\n", tail]
    outcome = await run()
    if extra == 0:
        assert outcome.error is None and outcome.text == "Hello world", outcome.error
        return
    error = check_error(outcome, ResponseError, SpaceLimitError, within=5)
    assert str(error) == f"The Space at {space.url} sent more than the 1 MiB allowed for the event stream"


@pytest.mark.parametrize("extra, quoted", [(0, True), (1, False)])
async def test_an_error_page_is_read_for_its_first_8192_bytes(space, extra, quoted):
    """A JSON error body of 8,192 bytes gives its ``detail``; one byte more, it is cut there and
    no longer JSON, so the message quotes the page's start instead."""
    head = '{"detail": "Broken: '
    body = head + "x" * (8192 + extra - len(head) - 2) + '"}'
    assert len(body) == 8192 + extra
    space.route("GET", "/config", respond(500, body, content_type="application/json"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    start = f"The Space at {space.url} answered 500: "
    assert str(error).startswith(start + ("Broken: xxx" if quoted else '{"detail": "Broken: xxx')), str(error)


def _png(size: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (255, 0, 0)).save(buffer, "PNG")
    data = buffer.getvalue()
    return data + b"\x00" * (size - len(data)) if size else data


async def test_an_image_of_exactly_20_mib_is_sent(space):
    outcome = await run(media=[(_png(20 * MIB), "big.png")])
    assert outcome.error is None, outcome.error
    upload = space.requests_to("/upload")[0]
    assert upload.files == ["big.png"]
    assert len(upload.body) > 20 * MIB


async def test_an_image_one_byte_over_20_mib_is_refused_before_sending(space):
    outcome = await run(media=[(_png(20 * MIB + 1), "big.png")])
    error = check_error(outcome, ValueError, SpaceInputError, within=5)
    assert str(error) == "The image is 20,971,521 bytes; the limit is 20,971,520 bytes"
    assert space.requests == []


# == redirects ======================================================================


@pytest.mark.parametrize("location", ["/moved/config", "{url}/moved/config", "//{netloc}/moved/config"])
async def test_a_redirect_within_the_spaces_origin_is_followed(space, location):
    """README: "Redirects are followed only within the Space's origin" (a relative, an absolute and a
    scheme-relative Location: each is the Space itself)."""
    target = location.format(url=space.url, netloc=space.url.split("//", 1)[1])
    space.route("GET", "/config", redirect(target, 302))
    space.route("GET", "/moved/config", respond(200, CONFIG))
    space.script = list(HELLO)
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world", outcome.error
    assert space.paths()[:2] == ["/config", "/moved/config"]


async def test_a_join_redirected_within_the_origin_keeps_its_method_and_body(space):
    space.route("POST", f"{PREFIX}/queue/join", redirect(f"{space.url}/elsewhere/join", 307))
    space.route("POST", "/elsewhere/join", respond(200, {"event_id": EVENT_ID}))
    space.script = list(HELLO)
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world", outcome.error
    joins = [r for r in space.requests if r.path.endswith("join")]
    assert [r.path for r in joins] == [f"{PREFIX}/queue/join", "/elsewhere/join"]
    assert joins[1].method == "POST" and joins[1].json() == joins[0].json()


# == copies: the shared deadline, the reasons that move on, the combined error =============


def test_the_combined_error_takes_the_most_hopeful_kind():
    def status(url):
        return SpaceStatusError(f"The Space at {url} answered 502: bad gateway", 502, url=url)

    auth = SpaceAuthError("The Space at http://a refused access (401): …", 401, url="http://a")
    stalled = SpaceConnectTimeoutError("Cannot reach the Space at http://b: timed out", url="http://b")
    down = SpaceConnectionError("Cannot reach the Space at http://c: refused", url="http://c")
    quota = SpaceQuotaError("You have exceeded your GPU quota", None, url="http://q")
    other_auth = SpaceAuthError("x", 403, url="http://e")
    gone = status("http://d")
    cases = [  # (failures, the one whose kind the combined error takes: g4f's type in the comment)
        ([auth, gone, down, stalled, quota], quota),  # RateLimitError
        ([auth, gone, down, stalled], stalled),  # TimeoutError
        ([auth, gone, down], down),  # ResponseError
        ([auth, gone], gone),  # ResponseStatusError
        ([auth, other_auth], auth),  # MissingAuthError: only when every copy wants a token
    ]
    for errors, decisive in cases:
        combined = combine([(e.url, e) for e in errors])
        assert type(combined) is type(decisive) and combined.url == decisive.url, (decisive, combined)
        assert str(combined).startswith(f"No copy of the Space could answer ({len(errors)} tried): http://a: ")


def test_the_combined_error_reaches_g4f_as_the_documented_type(fault_factory, monkeypatch):
    """Through the provider: over quota beats not found beats a token wanted."""
    from tests.test_lifecycle import ask

    a, b, c = fault_factory(), fault_factory(), fault_factory()
    a.route("GET", "/config", respond(401, {"error": "no"}))
    b.route("GET", "/config", respond(404, "Not Found"))
    c.script = [estimation(), failed("You have exceeded your GPU quota (60s left). Try again in 0:01:05")]
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", f"{a.url},{b.url},{c.url}")
    COOLDOWN.clear()
    try:
        outcome = ask()
        assert isinstance(outcome.error, RateLimitError), repr(outcome.error)
        assert str(outcome.error).startswith(
            f"No copy of the Space could answer (3 tried): {a.url}: refused access (401): an HF token is needed; "
            f"{b.url}: not found (404); {c.url}: over quota or busy: ")
        COOLDOWN.clear()
        d = fault_factory()
        d.route("GET", "/config", respond(403, {"error": "no"}))
        monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", f"{a.url},{d.url}")
        both = ask()
        assert isinstance(both.error, MissingAuthError), repr(both.error)  # only when every copy wants a token
    finally:
        COOLDOWN.clear()


@pytest.mark.usefixtures("lifecycle_isolated")
async def test_copies_tried_before_are_named_after_an_error_that_does_not_move_on(fault_factory, monkeypatch):
    first, second = fault_factory(), fault_factory()
    first.route("GET", "/config", respond(404, "Not Found"))
    second.script = [estimation(), failed("The image is too dark")]
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", f"{first.url},{second.url}")
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceAppError, within=5)
    assert str(error) == f"The image is too dark (copies tried before: {first.url}: not found (404))"


@pytest.mark.usefixtures("lifecycle_isolated")
async def test_all_copies_share_the_calls_one_deadline(fault_factory, monkeypatch):
    """The first copy sleeps past the wake limit (about 1 s), the second stalls: the call still
    ends at its one deadline (2.5 s), not 2.5 s after the second copy was started."""
    from tests.faultserver import stall
    from tests.test_lifecycle import sleeping_for

    first, second = fault_factory(), fault_factory()
    sleeping_for(first, 60)
    second.route("GET", "/config", stall())
    monkeypatch.setenv("G4F_QWEN_QVQ_72B_URL", f"{first.url},{second.url}")
    outcome = await run(timeout=2.5, wake_limit=1)
    error = check_error(outcome, G4FTimeoutError, SpaceTimeoutError)
    assert len(first.requests) >= 2 and second.paths() == ["/config"]
    assert 2.4 < outcome.elapsed < 3.3, outcome.elapsed
    assert str(error).startswith(f"The request to {second.url} ran out of its total timeout (2.5 s) "
                                 f"(copies tried before: {first.url}: still "), str(error)


# == the README says what the tests above assert, word for word =======================


README_PROMISES = [
    # options table
    "the **default deadline of 600 s** (`G4F_QWEN_SPACES_TIMEOUT`)",
    "the longest silence on a connection, in seconds (default 60;",
    "| `G4F_QWEN_SPACES_MAX_STREAM_MB` | the most one call's event stream may carry, in MiB after decompression "
    "(default 64;",
    "duplicates dropped, at most 16)",
    "an empty entry (`a,,b`, a trailing comma) is refused",
    "(default **60**; `0` = never skip, ask every copy in order)",
    "| `G4F_QWEN_SPACES_ALLOW_PRIVATE_URLS=1` | allow image URLs on loopback/private networks",
    "| `proxy=` | honoured for every request of the call: `/config`, the upload, the queue join and its event "
    "stream, the cancel and the image download; such a call has connections of its own",
    # limits table
    "| whole call (`timeout=`) | 600 s (`G4F_QWEN_SPACES_TIMEOUT`) | `TimeoutError` `… ran out of its total "
    "timeout (600 s)` |",
    "| silence on a connection (`stall_timeout=`) | 60 s | `TimeoutError` `… sent nothing for 60 s` |",
    "| one server-sent event | 16 MiB | `ResponseError` `… sent an event longer than the 16,777,216 bytes allowed` |",
    "| the event stream of one call | 64 MiB (`G4F_QWEN_SPACES_MAX_STREAM_MB`) | `ResponseError` `… sent more than "
    "the 64 MiB allowed for the event stream` |",
    "| `/config` | 16 MiB | `ResponseError` `… sent more than the 16 MiB allowed for /config` |",
    "| any other JSON answer (queue join, upload) | 1 MiB | `ResponseError` `… sent more than the 1 MiB allowed for "
    "the queue join` (or `the upload`) |",
    "| an error page | first 8 KiB (8,192 bytes) read for the message |",
    "| an image (given or downloaded) | 20 MiB (20,971,520 bytes is accepted), and the Space's `max_file_size` | "
    "`ValueError` `The image is N bytes; the limit is …` |",
    # copies and the cache
    "All copies share the call's one deadline.",
    "for the cool-down (`cooldown=`, 60 s, per process)",
    "(`No copy of the Space could answer (2 tried): https://a…: not found (404);",
    "(`RateLimitError` if any copy was over quota, then `TimeoutError`, `ResponseError` for an\n  unreachable one, "
    "`ResponseStatusError`; `MissingAuthError` only when every copy wants a token)",
    "trusted for at most a day (24 h) otherwise",
    "A corrupt, foreign, oversized\n  (> 4 MiB) or stale file is ignored and rewritten",
    "Redirects are followed only within the Space's origin",
    # troubleshooting
    "| `… (copies tried before: URL: reason; …)` after another message |",
    "`The Space at … is not serving its app`",
    "`… with JSON nested too deeply`, `The Space sent an event nested too deeply`, `Malformed diff …`",
    "| `… closed the stream before the answer was complete` / `Malformed event …` |",
]


@pytest.mark.parametrize("text", README_PROMISES, ids=range(len(README_PROMISES)))
def test_the_readme_says_what_is_asserted(text):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert text in readme
