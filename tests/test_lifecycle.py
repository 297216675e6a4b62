"""A Space's life cycle through g4f's public API: waking, copies, the disk config cache.

Fake Spaces (tests/faultserver.py) play the copies that fail; a front server
behaving like Hugging Face's proxy (tests/hfproxy.py) puts a sleeping page in
front of a real Gradio app. Texts, statuses, messages and request counts are
exact.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import re
import textwrap
import time
from pathlib import Path

import g4f
import pytest
from g4f.errors import MissingAuthError, RateLimitError, ResponseError, ResponseStatusError
from hypothesis import given
from hypothesis import strategies as st

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.providers.cache import SUBFOLDER, cache_dir, config_store
from g4f_qwen_spaces.space import CONFIG_CACHE, SpaceConfig, SpaceInputError
from g4f_qwen_spaces.space.copies import combine, moves_on, parse_urls
from g4f_qwen_spaces.space.errors import SpaceAsleepError, SpaceAuthError, SpaceQuotaError
from g4f_qwen_spaces.space.store import FORMAT, MAX_FILE_BYTES, ConfigStore, file_name
from g4f_qwen_spaces.space.wake import DEFAULT_WAKE_LIMIT, WAKE_ENV, backoff, wake_limit
from tests.faultserver import (
    CONFIG,
    PREFIX,
    QUOTA,
    RESET,
    Sleep,
    FaultServer,
    Outcome,
    append,
    estimation,
    failed,
    generating,
    respond,
    starts,
)
from tests.loopback import child_preamble
from tests.hfproxy import PAUSED_PAGE, SLEEPING_PAGE, FrontServer
from tests.offline import prepare_g4f_home

pytestmark = pytest.mark.usefixtures("lifecycle_isolated")
ROOT = Path(__file__).resolve().parent.parent
ENV = Qwen_QVQ_72B.url_env
HI = [{"role": "user", "content": "hi"}]
WAKING = "The Space is waking up ({} s)…"
JOIN, DATA = f"{PREFIX}/queue/join", f"{PREFIX}/queue/data"


def ask(provider=Qwen_QVQ_72B, *, stream: bool = True, **kwargs) -> Outcome:
    """One call through ``g4f.ChatCompletion.create``; chunks (statuses too) and the error."""
    outcome = Outcome()
    start = time.monotonic()
    model = "qvq-72b" if provider is Qwen_QVQ_72B else "qwen-2-72b"
    try:
        result = g4f.ChatCompletion.create(model=model, provider=provider, messages=HI, stream=stream, **kwargs)
        if stream:
            for chunk in result:
                outcome.chunks.append(chunk)
        else:
            outcome.chunks.append(result)
    except Exception as error:  # noqa: BLE001 - the test inspects it
        outcome.error = error
    outcome.elapsed = time.monotonic() - start
    return outcome


def statuses(outcome: Outcome) -> list[str]:
    return [str(c.status) for c in outcome.chunks if not isinstance(c, str)]


def hello_script() -> list:
    return [estimation(), starts(), generating("Hello"), append(" world"),
            {"msg": "process_completed", "event_id": "f00dfeedf00dfeedf00dfeedf00dfeed", "success": True,
             "output": {"data": ["Hello world"], "is_generating": False}}]


# == the URL list (fast, pure) =========================================================


def test_one_url_is_a_list_of_one():
    assert parse_urls("https://a.hf.space/", "X") == ("https://a.hf.space",)


def test_list_keeps_order_strips_spaces_and_drops_duplicates():
    raw = " https://a.hf.space , http://127.0.0.1:7860/,https://a.hf.space"
    assert parse_urls(raw, "X") == ("https://a.hf.space", "http://127.0.0.1:7860")


@pytest.mark.parametrize("raw, words", [
    ("https://a.hf.space,", "X has an empty entry (item 2 of 2); separate URLs with single commas"),
    ("https://a.hf.space,,https://b.hf.space", "X has an empty entry (item 2 of 3)"),
    ("https://a.hf.space, ftp://b", "X='ftp://b' is not an http(s) URL with a host"),
    ("https://a.hf.space,https://u:p@b.hf.space", "X must be a plain base URL"),
    ("https://a.hf.space,\nhttps://b.hf.space", "X contains control characters"),
    (",".join(f"https://c{i}.hf.space" for i in range(17)), "X lists 17 URLs; at most 16 are tried"),
])
def test_bad_lists_are_refused_with_the_reason(raw, words):
    with pytest.raises(SpaceInputError) as caught:
        parse_urls(raw, "X")
    assert words in str(caught.value)


_HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.hf\.space", fullmatch=True)


@given(st.lists(_HOSTS, min_size=1, max_size=16), st.sampled_from([",", ", ", " ,", " , "]))
def test_any_list_of_valid_urls_round_trips(hosts, separator):
    urls = [f"https://{host}" for host in hosts]
    expected = tuple(dict.fromkeys(urls))
    assert parse_urls(separator.join(u + "/" for u in urls), "X") == expected


def test_provider_reads_the_list_and_the_first_copy_is_its_url(monkeypatch):
    monkeypatch.setenv(ENV, "http://127.0.0.1:1, http://127.0.0.1:2")
    assert Qwen_QVQ_72B.space_urls() == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert Qwen_QVQ_72B.space_url() == "http://127.0.0.1:1"
    monkeypatch.setenv(ENV, "  ")
    assert Qwen_QVQ_72B.space_urls() == (Qwen_QVQ_72B.url,)


def test_bad_list_fails_before_anything_is_sent(fault_factory, monkeypatch):
    server = fault_factory()
    monkeypatch.setenv(ENV, f"{server.url},")
    outcome = ask()
    assert isinstance(outcome.error, ValueError), outcome.error
    assert f"{ENV} has an empty entry (item 2 of 2)" in str(outcome.error)
    assert server.requests == []


@pytest.mark.parametrize("value, words", [
    ("-1", "must be a finite number of seconds >= 0"), ("nan", ">= 0"), ("x", "number of seconds"),
])
def test_bad_wake_limit_is_refused(monkeypatch, value, words):
    monkeypatch.setenv(WAKE_ENV, value)
    with pytest.raises(SpaceInputError, match=words):
        wake_limit()
    assert wake_limit(7) == 7.0  # the call's own value wins


def test_wake_limit_default_and_backoff():
    assert wake_limit() == DEFAULT_WAKE_LIMIT == 180.0
    assert [backoff(i) for i in range(6)] == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_combined_error_kind_and_retry_after():
    quota = SpaceQuotaError("You have exceeded your GPU quota", 65.0, url="http://b")
    auth = SpaceAuthError("The Space at http://a refused access (403): …", 403, url="http://a")
    asleep = SpaceAsleepError("The Space at http://c is sleeping (503); …", 503, url="http://c",
                              state="sleeping", elapsed=2.4)
    combined = combine([("http://a", auth), ("http://b", quota), ("http://c", asleep)])
    assert type(combined) is SpaceQuotaError and combined.retry_after == 65.0
    assert str(combined) == (
        "No copy of the Space could answer (3 tried): http://a: refused access (403): an HF token is needed; "
        "http://b: over quota or busy: You have exceeded your GPU quota; "
        "http://c: still sleeping after 2 s (the wake limit)"
    )
    both_auth = combine([("http://a", auth), ("http://d", SpaceAuthError("x", 401, url="http://d"))])
    assert type(both_auth) is SpaceAuthError  # a token is what every copy wants
    assert combine([("http://a", auth)]) is auth  # one copy: its own error, untouched
    assert all(moves_on(e) for e in (quota, auth, asleep))


# == the disk cache file (fast, pure) =================================================


def config(url: str = "http://127.0.0.1:5") -> SpaceConfig:
    return SpaceConfig.parse(url, CONFIG)


def test_store_round_trip_and_what_the_file_holds(tmp_path):
    store = ConfigStore(tmp_path / "s")
    original = config()
    assert store.save(original) is True
    assert store.load(original.base_url) == original
    document = json.loads(store.path(original.base_url).read_text())
    assert sorted(document) == ["config", "format", "saved", "url"]
    assert document["format"] == FORMAT and document["url"] == original.base_url
    assert sorted(os.listdir(tmp_path / "s")) == [file_name(original.base_url)]  # no temporary left
    assert oct((tmp_path / "s").stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("content", [
    b"", b"\x00\xff garbage {", b"[]", b'{"format": "someone-else/1"}', b"null",
    b'{"format": "g4f-qwen-spaces/config/1", "url": "http://127.0.0.1:6", "saved": 0, "config": {}}',
])
def test_store_ignores_corrupt_and_foreign_files(tmp_path, content):
    store = ConfigStore(tmp_path)
    store.path("http://127.0.0.1:5").write_bytes(content)
    assert store.load("http://127.0.0.1:5") is None


def test_store_ignores_other_urls_old_files_bad_configs_and_huge_files(tmp_path):
    store = ConfigStore(tmp_path)
    url = "http://127.0.0.1:5"
    good = {"format": FORMAT, "url": url, "saved": time.time(), "config": config(url).to_raw()}
    cases = {
        "other url": dict(good, url="http://127.0.0.1:6"),
        "old": dict(good, saved=time.time() - 2 * 86400),
        "future": dict(good, saved=time.time() + 3600),
        "saved is text": dict(good, saved="yesterday"),
        "protocol ws": dict(good, config=dict(good["config"], protocol="ws")),
        "bad prefix": dict(good, config=dict(good["config"], api_prefix="//evil.example")),
    }
    for name, document in cases.items():
        store.path(url).write_text(json.dumps(document))
        assert store.load(url) is None, name
    store.path(url).write_bytes(json.dumps(good).encode() + b" " * MAX_FILE_BYTES)
    assert store.load(url) is None  # over the read bound, never parsed
    store.path(url).write_text(json.dumps(good))
    assert store.load(url) == config(url)


def test_store_never_writes_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert ConfigStore(blocker / "sub").save(config()) is False


def test_cache_dir_follows_g4f(monkeypatch, tmp_path):
    monkeypatch.setenv("G4F_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    assert config_store().root == tmp_path / SUBFOLDER
    try:
        from g4f.config import get_cache_dir
    except ImportError:
        pytest.skip("g4f before 8.8 has no g4f.config.get_cache_dir (the rule itself is asserted above)")
    assert Path(get_cache_dir()) == cache_dir()


# == waking ===========================================================================


def sleeping_for(server: FaultServer, seconds: float, page: str = SLEEPING_PAGE, status: int = 503):
    """Serve ``page`` on /config for ``seconds`` after the first request, then the app."""
    first: list = []
    app_config = server._config

    async def handler(request):
        first.append(time.monotonic()) if not first else None
        if time.monotonic() - first[0] < seconds:
            return await respond(status, page, content_type="text/html")(request)
        return await app_config(request)

    server.route("GET", "/config", handler)


def test_a_sleeping_space_is_waited_for_with_statuses(fault_factory, monkeypatch):
    server = fault_factory()
    server.script = hello_script()
    sleeping_for(server, 2.5)
    monkeypatch.setenv(ENV, server.url)
    outcome = ask()
    assert outcome.error is None, outcome.error
    assert "".join(outcome.texts) == "Hello world"
    shown = statuses(outcome)
    assert shown[:2] == [WAKING.format(0), WAKING.format(1)]
    # the answer replaces the waking line with how long the call waited (issue 19)
    assert re.fullmatch(r"Waited \d\.\d s for the Space to start", shown[-1]), shown
    assert 2.5 <= float(shown[-1].split()[1]) < 6.0, shown
    assert {c.label for c in outcome.chunks if not isinstance(c, str)} == {f"Space 127.0.0.1:{server.port}"}
    assert server.paths() == ["/config", "/config", "/config", JOIN, DATA]
    assert 3.0 <= outcome.elapsed < 6.0


def test_non_streaming_callers_get_only_the_text_after_waking(fault_factory, monkeypatch):
    server = fault_factory()
    server.script = hello_script()
    sleeping_for(server, 1.5)
    monkeypatch.setenv(ENV, server.url)
    outcome = ask(stream=False)
    assert outcome.error is None and outcome.chunks == ["Hello world"]


def test_asleep_past_the_wake_limit(fault_factory, monkeypatch):
    server = fault_factory()
    sleeping_for(server, 60)
    monkeypatch.setenv(ENV, server.url)
    outcome = ask(wake_limit=1)
    assert isinstance(outcome.error, ResponseStatusError) and isinstance(outcome.error, SpaceAsleepError)
    assert str(outcome.error) == (
        f"The Space at {server.url} is sleeping (503); still not serving its app after 1 s "
        f"(wake limit 1 s, {WAKE_ENV})"
    )
    # the waking line does not stay above the error: it says when the call gave up
    shown = statuses(outcome)
    assert shown[0] == WAKING.format(0) and len(shown) == 2, shown
    assert re.fullmatch(r"Stopped after 1\.\d s", shown[1]), shown
    assert server.paths() == ["/config", "/config"]


async def test_the_call_deadline_bounds_the_wait(fault_factory, monkeypatch):
    """Straight through the provider: g4f's sync API rewrites every TimeoutError's message."""
    from tests.faultserver import run

    server = fault_factory()
    sleeping_for(server, 60)
    monkeypatch.setenv(ENV, server.url)
    outcome = await run(timeout=1.5, stream=True)
    assert isinstance(outcome.error, g4f.errors.TimeoutError), repr(outcome.error)
    assert str(outcome.error) == f"The request to {server.url} ran out of its total timeout (1.5 s)"
    assert outcome.elapsed < 3.0


@pytest.mark.parametrize("page, words", [
    (PAUSED_PAGE, "is paused (503)"),
    ("<html><body><h1>Runtime error</h1></body></html>", "has a runtime error (503)"),
])
def test_paused_and_broken_spaces_fail_at_once(fault_factory, monkeypatch, page, words):
    from g4f_qwen_spaces.space.errors import SpaceDownError

    server = fault_factory()
    sleeping_for(server, 60, page)
    monkeypatch.setenv(ENV, server.url)
    outcome = ask()
    assert isinstance(outcome.error, ResponseStatusError) and isinstance(outcome.error, SpaceDownError)
    assert str(outcome.error) == (
        f"The Space at {server.url} {words}; it will not serve until its owner acts: "
        f"duplicate it on Hugging Face and list the copy in {ENV}"
    )
    assert server.paths() == ["/config"] and outcome.elapsed < 2.0


def test_sleeping_page_on_the_join_with_a_warm_cache(fault_factory, monkeypatch):
    """A warm process meets the sleeping page at the join: it waits, keeps the cached config."""
    server = fault_factory()
    server.script = hello_script()
    monkeypatch.setenv(ENV, server.url)
    assert ask().error is None
    first: list = []

    async def join(request):
        first.append(time.monotonic()) if not first else None
        if time.monotonic() - first[0] < 1.5:
            return await respond(503, SLEEPING_PAGE, content_type="text/html")(request)
        return await respond(200, {"event_id": server.event_id})(request)

    server.route("POST", JOIN, join)
    server.requests.clear()
    outcome = ask()
    assert "".join(outcome.texts) == "Hello world"
    assert server.paths() == [JOIN, JOIN, JOIN, DATA]
    assert config_store().load(server.url) is not None


@pytest.mark.gradio
def test_front_server_wakes_into_the_real_gradio_app(gradio_server_factory, monkeypatch):
    from tests.apps.fakemodel import qvq_answer

    gradio = gradio_server_factory("qvq_space", "5")
    front = FrontServer(gradio.url).asleep_for(2.5).start()
    try:
        monkeypatch.setenv(ENV, front.url)
        outcome = ask()
        assert outcome.error is None, outcome.error
        assert "".join(outcome.texts) == qvq_answer(None, None, "hi")
        assert statuses(outcome)[:2] == [WAKING.format(0), WAKING.format(1)]
        assert front.pages == 2
        assert front.paths()[:3] == ["/config"] * 3
        assert front.paths()[3:5] == [f"{gradio.api_prefix}/queue/join", f"{gradio.api_prefix}/queue/data"]
    finally:
        front.stop()


# == several copies ===================================================================


FAILURES = {
    "refused": (lambda s: s.route("GET", "/config", respond(403, {"error": "Forbidden"})), "refused access (403): an HF token is needed"),
    "gone": (lambda s: s.route("GET", "/config", respond(404, "Not Found")), "not found (404)"),
    "quota": (lambda s: setattr(s, "script", [estimation(), failed(QUOTA)]), f"over quota or busy: {QUOTA}"),
    "asleep": (lambda s: sleeping_for(s, 60), "still sleeping after 1 s (the wake limit)"),
    "paused": (lambda s: sleeping_for(s, 60, PAUSED_PAGE), "is paused"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_the_next_copy_answers_and_the_failed_one_cools_down(fault_factory, monkeypatch, case):
    first, second = fault_factory(), fault_factory()
    FAILURES[case][0](first)
    second.script = hello_script()
    monkeypatch.setenv(ENV, f"{first.url},{second.url}")
    outcome = ask(wake_limit=1)
    assert outcome.error is None, outcome.error
    assert "".join(outcome.texts) == "Hello world"
    asked = len(first.requests)
    assert asked == {"asleep": 2, "quota": 3}.get(case, 1)
    assert second.paths() == ["/config", JOIN, DATA]
    # The next call goes straight to the second copy; cooldown=0 asks the first again.
    assert "".join(ask(wake_limit=1).texts) == "Hello world"
    assert len(first.requests) == asked
    ask(wake_limit=1, cooldown=0)
    assert len(first.requests) > asked


def test_an_unreachable_copy_gives_way(fault_factory, monkeypatch):
    from tests.faultserver import dead_port

    dead = f"http://127.0.0.1:{dead_port()}"
    server = fault_factory()
    server.script = hello_script()
    monkeypatch.setenv(ENV, f"{dead},{server.url}")
    outcome = ask()
    assert "".join(outcome.texts) == "Hello world" and outcome.error is None


def test_every_copy_failing_names_each_one(fault_factory, monkeypatch):
    servers = [fault_factory() for _ in FAILURES]
    for server, (make, _) in zip(servers, FAILURES.values()):
        make(server)
    monkeypatch.setenv(ENV, ",".join(s.url for s in servers))
    outcome = ask(wake_limit=1)
    error = outcome.error
    assert isinstance(error, RateLimitError) and isinstance(error, SpaceQuotaError), repr(error)
    assert error.retry_after == 65.0
    reasons = "; ".join(f"{s.url}: {why}" for s, (_, why) in zip(servers, FAILURES.values()))
    assert str(error) == f"No copy of the Space could answer (5 tried): {reasons}"
    assert "".join(outcome.texts) == ""
    # All are cooling down now: the next call asks them all again (rather than nobody).
    again = ask(wake_limit=1)
    assert str(again.error).startswith("No copy of the Space could answer (5 tried): ")


def test_cooling_copies_are_named_when_the_rest_fail(fault_factory, monkeypatch):
    first, second = fault_factory(), fault_factory()
    first.route("GET", "/config", respond(401, {"error": "no"}))
    second.script = hello_script()
    monkeypatch.setenv(ENV, f"{first.url},{second.url}")
    assert ask().error is None
    second.route("POST", JOIN, respond(401, {"error": "no"}))  # its config is cached by now
    outcome = ask()
    assert isinstance(outcome.error, MissingAuthError), repr(outcome.error)
    assert str(outcome.error) == (
        f"No copy of the Space could answer (1 tried, 1 cooling down): {second.url}: refused access (401): "
        f"an HF token is needed; {first.url}: skipped, failed 0 s ago (refused access (401): an HF token is needed)"
    )
    assert first.paths() == ["/config"]  # asked once, by the first call


def test_a_cooling_copy_that_answers_cools_no_more(fault_factory, monkeypatch):
    """Every copy cooling down: all are asked again, and the one that answers is
    cleared, so the next call's plan starts with it and still skips the other."""
    from g4f_qwen_spaces.space.copies import COOLDOWN

    first, second = fault_factory(), fault_factory()
    first.script = hello_script()
    monkeypatch.setenv(ENV, f"{first.url},{second.url}")
    COOLDOWN.mark(first.url, 60, "not found (404)")
    COOLDOWN.mark(second.url, 60, "not found (404)")
    outcome = ask()
    assert outcome.error is None and "".join(outcome.texts) == "Hello world", outcome.error
    assert second.requests == []
    plan = COOLDOWN.plan([first.url, second.url])
    assert plan.urls == (first.url,)
    assert [(s.url, s.reason) for s in plan.skipped] == [(second.url, "not found (404)")]


def test_a_copy_failing_mid_answer_keeps_the_text_and_asks_no_other(fault_factory, monkeypatch):
    first, second = fault_factory(), fault_factory()
    # The pause lets the text reach us first: aiohttp raises a reset before
    # handing out bytes it had buffered, and a copy that fails before any text
    # reached the caller does give way to the next one (nothing is repeated).
    first.script = [estimation(), starts(), generating("Hel"), append("lo"), Sleep(0.3), RESET]
    second.script = hello_script()
    monkeypatch.setenv(ENV, f"{first.url},{second.url}")
    outcome = ask()
    assert "".join(outcome.texts) == "Hello"
    assert isinstance(outcome.error, ResponseError), repr(outcome.error)
    assert str(outcome.error).startswith(f"Cannot reach the Space at {first.url}: ")
    assert second.requests == []


def test_an_app_error_is_not_a_reason_to_move_on(fault_factory, monkeypatch):
    first, second = fault_factory(), fault_factory()
    first.script = [estimation(), failed("The image is too dark")]
    monkeypatch.setenv(ENV, f"{first.url},{second.url}")
    outcome = ask()
    assert str(outcome.error) == "The image is too dark"
    assert second.requests == []


def test_qwen2_takes_a_list_too(fault_factory, monkeypatch):
    from tests.faultserver import QWEN2_CONFIG

    first, second = fault_factory(), fault_factory(config=QWEN2_CONFIG)
    first.route("GET", "/config", respond(404, "Not Found"))
    second.script = [estimation(), generating("", [["hi", "Hey"]], "sys"),
                     {"msg": "process_completed", "event_id": second.event_id, "success": True,
                      "output": {"data": ["", [["hi", "Hey there"]], "sys"]}}]
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, f"{first.url}, {second.url}")
    outcome = ask(Qwen_Qwen_2_72B)
    assert outcome.error is None, outcome.error
    assert "".join(outcome.texts) == "Hey there"


def test_the_doctor_checks_every_copy(fault_factory, monkeypatch):
    from g4f_qwen_spaces.__main__ import _probe

    first, second = fault_factory(), fault_factory()
    first.route("GET", "/config", respond(404, "Not Found"))
    monkeypatch.setenv(ENV, f"{first.url},{second.url}")
    import asyncio

    result = asyncio.run(_probe(Qwen_QVQ_72B, 5))
    assert [c["url"] for c in result["copies"]] == [first.url, second.url]
    assert [c["ok"] for c in result["copies"]] == [False, True]
    assert result["ok"] is False
    assert "404" in result["copies"][0]["error"]
    assert result["copies"][1]["endpoint"] == "generate (fn_index 1)"


# == the config cache across processes ===============================================


CHILD = child_preamble() + textwrap.dedent("""
    import g4f
    from g4f_qwen_spaces import Qwen_QVQ_72B
    print(g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, api_key="hf_SecretTokenNeverStored42",
                                    messages=[{"role": "user", "content": "hi"}]))
""")


def child(server: FaultServer, home: Path) -> str:
    env = dict(os.environ, **prepare_g4f_home(home))
    env[ENV] = server.url  # the installed package, not the checkout
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "left loopback" not in result.stderr, result.stderr
    return result.stdout.strip()


def test_two_processes_share_the_disk_cache(fault_factory, tmp_path):
    server = fault_factory()
    server.script = hello_script()
    home = tmp_path / "home"
    assert child(server, home) == "Hello world"
    assert server.paths() == ["/config", JOIN, DATA]
    server.requests.clear()
    assert child(server, home) == "Hello world"
    assert server.paths() == [JOIN, DATA]  # no /config before joining
    folder = home / "cache" / SUBFOLDER
    files = os.listdir(folder)
    assert files == [file_name(server.url)]
    text = (folder / files[0]).read_text()
    assert "hf_SecretTokenNeverStored42" not in text and "Bearer" not in text
    # A local server is not Hugging Face: it is never sent the token (tests/test_hub.py).
    assert not {"authorization", "x-hf-authorization"} & set(server.requests[0].headers)


@pytest.mark.parametrize("content", [b"\x00garbage{", b'{"format": "someone-else/1"}', b"{" * 100_000])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(fault_factory, monkeypatch, content):
    server = fault_factory()
    server.script = hello_script()
    monkeypatch.setenv(ENV, server.url)
    store = config_store()
    store.root.mkdir(parents=True)
    store.path(server.url).write_bytes(content)
    outcome = ask()
    assert "".join(outcome.texts) == "Hello world" and outcome.error is None
    assert server.paths() == ["/config", JOIN, DATA]
    assert store.load(server.url) == SpaceConfig.parse(server.url, dict(CONFIG, root=server.url))


def test_a_warm_cache_without_the_endpoint_is_fetched_again(fault_factory, monkeypatch):
    server = fault_factory()
    server.script = hello_script()
    monkeypatch.setenv(ENV, server.url)
    stale = json.loads(json.dumps(CONFIG))
    stale["dependencies"][1]["api_name"] = "predict"
    config_store().save(SpaceConfig.parse(server.url, stale))
    outcome = ask()
    assert "".join(outcome.texts) == "Hello world"
    assert server.paths() == ["/config", JOIN, DATA]
    assert config_store().load(server.url).endpoint("generate").fn_index == 1


def test_a_refused_join_drops_the_cached_config(fault_factory, monkeypatch):
    server = fault_factory()
    monkeypatch.setenv(ENV, server.url)
    config_store().save(SpaceConfig.parse(server.url, CONFIG))
    server.route("POST", JOIN, respond(422, {"detail": "fn_index 1 is not a valid event"}))
    outcome = ask()
    assert isinstance(outcome.error, ResponseStatusError)
    assert server.paths() == [JOIN]
    assert not config_store().path(server.url).exists()
    assert CONFIG_CACHE.get(server.url) is None
