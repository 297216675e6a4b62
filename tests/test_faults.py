"""The fault table, against a misbehaving fake Space (tests/faultserver.py).

Each case asserts the g4f base class and our subclass of the error, the key
words of its message (short, plain, one line, no HTML, no token), how long it
took, the text kept from before the failure, and (through the ``fault``
fixture) that no TCP socket is left open. Real-Gradio faults, the retry layer
and load are in tests/test_faults_gradio.py.
"""
from __future__ import annotations

import asyncio
import copy
import io
import logging
import re
import socket
import ssl
import time
import traceback
from typing import Optional

import pytest
from g4f.errors import (
    G4FError,
    MissingAuthError,
    ModelNotFoundError,
    RateLimitError,
    ResponseError,
    ResponseStatusError,
    TimeoutError as G4FTimeoutError,
)
from PIL import Image

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.space import (
    SpaceAppError,
    SpaceAuthError,
    SpaceClient,
    SpaceConnectionError,
    SpaceError,
    SpaceInputError,
    SpaceProtocolError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
)
from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV, MAX_IMAGE_BYTES
from tests.faultserver import (
    GUARD,
    QUOTA,
    assert_plain,
    check_error,
    dead_port,
    run,
    CONFIG,
    EVENT_ID,
    HANG,
    PREFIX,
    RESET,
    FaultServer,
    Heartbeats,
    Sleep,
    append,
    close_stream,
    completed,
    estimation,
    failed,
    generating,
    redirect,
    respond,
    sse,
    stall,
    starts,
    tcp_socket_count,
    text_script,
    unexpected_error,
)

QVQ_ENV = Qwen_QVQ_72B.url_env
QWEN2_ENV = Qwen_Qwen_2_72B.url_env
HI = [{"role": "user", "content": "hi"}]


def png(size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (255, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


HTML_PAGES = {
    "sleeping": ("<!DOCTYPE html><html><head><title>Sleeping Space</title></head><body>"
                 "<h1>This Space is sleeping due to inactivity.</h1><p>Your space is sleeping</p>"
                 "</body></html>", "is sleeping"),
    "building": ("<!DOCTYPE html><html><body><div class='status'>Building</div>"
                 "<p>This Space is building. Check the logs.</p></body></html>", "is building"),
    "paused": ("<html><body><h2>This Space has been paused by its owner.</h2></body></html>",
               "is paused"),
    "runtime error": ("<!doctype html><html><body><h1>Runtime error</h1><pre>Traceback "
                      "(most recent call last): ModuleNotFoundError</pre></body></html>",
                      "has a runtime error"),
}


# == row 1: connection refused / DNS / TLS ===========================================


async def test_connection_refused(socket_baseline, monkeypatch):
    url = f"http://127.0.0.1:{dead_port()}"
    monkeypatch.setenv(QVQ_ENV, url)
    outcome = await run()
    check_error(outcome, ResponseError, SpaceConnectionError, url, within=2.0)
    assert outcome.chunks == []


async def test_dns_failure(socket_baseline, monkeypatch):
    url = "http://no-such-space.invalid"
    monkeypatch.setenv(QVQ_ENV, url)
    outcome = await run()
    check_error(outcome, ResponseError, SpaceConnectionError, "no-such-space.invalid", within=5.0)


async def test_tls_certificate_not_trusted(fault_factory, self_signed, monkeypatch):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed)
    server = fault_factory(ssl_context=context)
    monkeypatch.setenv(QVQ_ENV, server.url)
    outcome = await run()
    check_error(outcome, ResponseError, SpaceConnectionError, server.url, within=2.0)
    assert server.requests == []  # nothing went over the untrusted connection


async def test_tls_handshake_with_a_plain_http_server(fault, monkeypatch):
    url = fault.url.replace("http://", "https://")
    monkeypatch.setenv(QVQ_ENV, url)
    outcome = await run()
    check_error(outcome, ResponseError, SpaceConnectionError, url, within=2.0)


async def test_connect_timeout_is_bounded(blackhole):
    start = time.monotonic()
    with pytest.raises(SpaceTimeoutError) as caught:
        async with SpaceClient(blackhole, connect_timeout=1) as client:
            await asyncio.wait_for(client.config(), GUARD)
    assert time.monotonic() - start < 3.0
    assert not isinstance(caught.value, G4FError)  # the Space client is free of g4f
    assert caught.value.url == blackhole
    assert_plain(str(caught.value))


async def test_connect_timeout_message_says_connecting(blackhole):
    """A connect timeout is not "sent nothing for <stall timeout>" (it never connected)."""
    with pytest.raises(SpaceTimeoutError) as caught:
        async with SpaceClient(blackhole, connect_timeout=1) as client:
            await asyncio.wait_for(client.config(), GUARD)
    message = str(caught.value)
    assert "connect" in message.lower(), message
    assert "sent nothing for 60" not in message, message


# == row 2: 5xx and HTML pages =======================================================


@pytest.mark.parametrize("where", ["config", "join"])
@pytest.mark.parametrize("state", list(HTML_PAGES))
async def test_html_503_names_the_space_state(qvq_at, where, state, monkeypatch):
    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")  # waiting: tests/test_lifecycle.py
    page, words = HTML_PAGES[state]
    path = "/config" if where == "config" else f"{PREFIX}/queue/join"
    method = "GET" if where == "config" else "POST"
    qvq_at.route(method, path, respond(503, page, content_type="text/html"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, words, "503", within=2.0)
    assert error.status == 503


@pytest.mark.parametrize("state", list(HTML_PAGES))
async def test_html_200_config_names_the_space_state(qvq_at, state, monkeypatch):
    """HF answers some states with a 200 HTML page where the app's JSON should be."""
    monkeypatch.setenv("G4F_QWEN_SPACES_WAKE_LIMIT", "0")  # waiting: tests/test_lifecycle.py
    page, words = HTML_PAGES[state]
    qvq_at.route("GET", "/config", respond(200, page, content_type="text/html"))
    outcome = await run()
    check_error(outcome, ResponseStatusError, SpaceStatusError, words, within=2.0)


async def test_html_error_page_without_a_known_state(qvq_at):
    qvq_at.route("GET", "/config", respond(502, "<html><body><h1>502 Bad Gateway</h1></body></html>",
                                           content_type="text/html"))
    outcome = await run()
    check_error(outcome, ResponseStatusError, SpaceStatusError, "502", "HTML", within=2.0)


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("where", ["config", "join", "data", "upload"])
async def test_plain_5xx(qvq_at, status, where):
    paths = {"config": ("GET", "/config"), "join": ("POST", f"{PREFIX}/queue/join"),
             "data": ("GET", f"{PREFIX}/queue/data"), "upload": ("POST", f"{PREFIX}/upload")}
    qvq_at.route(*paths[where], respond(status, "Internal Server Error: upstream failed"))
    media = [(png(), "red.png")] if where == "upload" else None
    outcome = await run(media=media)
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, str(status),
                        "upstream failed", within=2.0)
    assert error.status == status


# == row 3: 401 / 403 ================================================================


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("where", ["config", "join"])
async def test_private_or_gated_space_needs_a_token(qvq_at, status, where, hf_names, monkeypatch):
    url = hf_names(qvq_at.url, "owner-qvq")
    monkeypatch.setenv(QVQ_ENV, url)
    path = ("GET", "/config") if where == "config" else ("POST", f"{PREFIX}/queue/join")
    qvq_at.route(*path, respond(status, {"error": "Invalid credentials in Authorization header"}))
    outcome = await run()
    error = check_error(outcome, MissingAuthError, SpaceAuthError, within=2.0)
    assert str(error) == (f"The Space at {url} refused access ({status}): it is private or gated, "
                          'so an HF token is needed (pass api_key="hf_...")')


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refusal_off_hf_space_says_the_token_does_not_go_there(qvq_at, status):
    qvq_at.route("GET", "/config", respond(status, {"error": "no"}))
    outcome = await run(api_key=TOKEN)
    error = check_error(outcome, MissingAuthError, SpaceAuthError, within=2.0)
    assert str(error) == (f"The Space at {qvq_at.url} refused access ({status}): an HF token (api_key) "
                          "is sent only to Spaces on hf.space, never to this host")
    assert not {"authorization", "x-hf-authorization"} & set(qvq_at.requests[0].headers)


# == row 4: 404 ======================================================================


@pytest.mark.parametrize("provider", [Qwen_QVQ_72B, Qwen_Qwen_2_72B], ids=["qvq", "qwen2"])
async def test_404_names_the_url_and_the_override_variable(fault, monkeypatch, provider):
    monkeypatch.setenv(provider.url_env, fault.url)
    fault.route("GET", "/config", respond(404, "<html><body>404 Sorry, we can't find the page"
                                          "</body></html>", content_type="text/html"))
    outcome = await run(provider)
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, "404",
                        f"{fault.url}/config", provider.url_env, within=2.0)
    assert error.status == 404


async def test_404_on_join_names_the_url(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(404, {"detail": "Not Found"}))
    outcome = await run()
    check_error(outcome, ResponseStatusError, SpaceStatusError, "404",
                f"{qvq_at.url}{PREFIX}/queue/join", QVQ_ENV)


# == row 5: the endpoint's api_name is missing =======================================


async def test_missing_api_name_lists_the_names_found(qvq_at):
    qvq_at.config["dependencies"][1]["api_name"] = "predict"
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, "generate", "clear", "predict",
                within=2.0)
    assert qvq_at.paths() == ["/config"]


async def test_missing_api_name_qwen2(qwen2_at):
    qwen2_at.config["dependencies"][0]["api_name"] = "chat"
    outcome = await run(Qwen_Qwen_2_72B)
    check_error(outcome, ResponseError, SpaceProtocolError, "model_chat", "chat")


async def test_config_without_any_api_name(qvq_at):
    for dependency in qvq_at.config["dependencies"]:
        dependency["api_name"] = None
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, "generate", "none")


# == row 6: queue full and ZeroGPU quota =============================================


QUEUE_FULL = {"detail": "Queue is full. Max size is 1 and size is 1."}


async def test_queue_full_on_join_is_a_rate_limit(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(503, QUEUE_FULL))
    outcome = await run()
    error = check_error(outcome, RateLimitError, SpaceQuotaError, "Queue is full", within=2.0)
    assert error.retry_after is None
    assert qvq_at.requests_to("/queue/data") == []


async def test_queue_full_with_retry_after(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(503, QUEUE_FULL, headers={"Retry-After": "30"}))
    outcome = await run()
    error = check_error(outcome, RateLimitError, SpaceQuotaError, "Queue is full")
    assert error.retry_after == 30


async def test_queue_full_message_gives_the_wait_time(qvq_at):
    """The wait time the Space gives is in the message too, not only in ``retry_after``."""
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(503, QUEUE_FULL, headers={"Retry-After": "30"}))
    outcome = await run()
    check_error(outcome, RateLimitError, SpaceQuotaError, "30")


async def test_http_429_is_a_rate_limit(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/queue/join",
                 respond(429, {"error": "Too many requests"}, headers={"Retry-After": "7"}))
    outcome = await run()
    error = check_error(outcome, RateLimitError, SpaceQuotaError, "Too many requests")
    assert error.retry_after == 7


@pytest.mark.parametrize("major", [4, 5])
async def test_zerogpu_quota_is_a_rate_limit_with_the_wait(fault_factory, monkeypatch, major):
    config = copy.deepcopy(CONFIG)
    if major == 4:
        config = {k: v for k, v in config.items() if k != "api_prefix"}
        config["version"] = "4.44.1"
    server = fault_factory(config=config)
    monkeypatch.setenv(QVQ_ENV, server.url)
    server.script = [estimation(), starts(), failed(QUOTA, major=major), close_stream()]
    outcome = await run()
    error = check_error(outcome, RateLimitError, SpaceQuotaError, "exceeded your GPU quota",
                        "0:01:05")
    assert error.retry_after == 65
    assert str(error).startswith("You have exceeded"), str(error)  # Gradio 4's quotes removed
    assert not str(error).endswith("'"), str(error)


# == row 7: the Space's own errors ===================================================


async def test_gr_error_carries_the_spaces_message(qvq_at):
    qvq_at.script = [estimation(), starts(), failed("Please upload an image first."), close_stream()]
    outcome = await run()
    check_error(outcome, ResponseError, SpaceAppError, "Please upload an image first.", within=2.0)


async def test_gr_error_message_loses_its_html(qvq_at):
    qvq_at.script = [failed("<b>Bad</b> input: <i>too long</i>"), close_stream()]
    outcome = await run()
    check_error(outcome, ResponseError, SpaceAppError, "Bad input: too long")


async def test_failure_without_a_message(qvq_at):
    qvq_at.script = [estimation(), starts(), generating("Hel"), failed(None), close_stream()]
    outcome = await run()
    check_error(outcome, ResponseError, SpaceAppError, "without a message")


async def test_unexpected_error_carries_the_spaces_message(qvq_at):
    qvq_at.script = [unexpected_error("404: Session not found.")]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} reported: 404: Session not found."
    assert not isinstance(error, (ResponseStatusError, SpaceProtocolError, SpaceAppError, RateLimitError))


async def test_job_cancelled_by_the_space(qvq_at):
    qvq_at.script = [generating("Hel"), Sleep(0.1), {"msg": "process_completed", "event_id": EVENT_ID,
                                                     "output": {}, "success": True}, close_stream()]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceAppError)
    assert str(error) == f"The job was cancelled by the Space at {qvq_at.url}"
    assert outcome.text == "Hel"


# == row 8: stream ends without completion, malformed SSE / JSON =====================


async def test_stream_ends_without_completion_keeps_the_text(qvq_at):
    qvq_at.script = text_script(["Hello", " wor"], complete=False)
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, "closed the stream", within=2.0)
    assert outcome.text == "Hello wor"


async def test_close_stream_without_completion(qvq_at):
    qvq_at.script = [generating("Hello"), Sleep(0.05), close_stream(), HANG]
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, "closed the stream", within=2.0)
    assert outcome.text == "Hello"


async def test_malformed_json_event_has_an_excerpt(qvq_at):
    qvq_at.script = [generating("Hello"), Sleep(0.1), b'data: {"msg": "process_gen\n\n', HANG]
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, 'process_gen', within=2.0)
    assert outcome.text == "Hello"


async def test_huge_malformed_event_gives_a_short_excerpt(qvq_at):
    qvq_at.script = [b"data: {" + b"x" * 100_000 + b"\n\n"]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError)
    assert str(error).startswith("Malformed event from the Space: {xxxxxxxx") and str(error).endswith("xxx…")
    assert len(str(error)) < 400


async def test_event_that_is_not_an_object(qvq_at):
    qvq_at.script = [sse([1, 2, 3])]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError)
    assert str(error) == "Unexpected event from the Space: [1, 2, 3]"


async def test_non_sse_body_on_the_stream(qvq_at):
    """An HTML page where the event stream should be: the Space is not serving its app, not "closed early"."""
    qvq_at.script = [b"<html><body>Something went wrong</body></html>"]
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} is not serving its app"
    assert error.status == 200


async def test_html_page_served_as_html_on_the_stream(qvq_at):
    qvq_at.route("GET", f"{PREFIX}/queue/data",
                 respond(200, "<!DOCTYPE html><title>Error</title><p>Bad gateway", content_type="text/html"))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} is not serving its app"


async def test_a_stream_that_just_ends_is_closed_early_not_html(qvq_at):
    qvq_at.script = [b": a comment, then nothing\n\n"]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} closed the stream before the answer was complete"


async def test_garbage_progress_message(qvq_at):
    qvq_at.script = [{"msg": "process_generating", "event_id": EVENT_ID, "output": "nonsense",
                      "success": True}]
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError)
    assert str(error) == ("Unexpected progress from the Space: {'msg': 'process_generating', 'event_id': "
                          f"{EVENT_ID!r}, 'output': 'nonsense', 'success': True}}")


@pytest.mark.parametrize("body", ["<html>oops</html>", "not json at all", ""])
async def test_join_answers_200_with_garbage(qvq_at, body):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(200, body, content_type="text/plain"))
    outcome = await run()
    if body.startswith("<html>"):
        error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=2.0)
        assert str(error) == f"The Space at {qvq_at.url} is not serving its app"
    else:
        error = check_error(outcome, ResponseError, SpaceProtocolError, within=2.0)
        assert str(error) == (f"The Space at {qvq_at.url} answered the queue join with something that is not JSON: "
                              f"{body or '(empty)'}")


async def test_join_answers_json_without_an_event_id(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/queue/join", respond(200, {"ok": True}))
    outcome = await run()
    check_error(outcome, ResponseError, SpaceProtocolError, "did not queue")


async def test_config_is_not_json(qvq_at):
    qvq_at.route("GET", "/config", respond(200, "{'version': broken", content_type="application/json"))
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError)
    assert str(error) == (f"The Space at {qvq_at.url} answered /config with something that is not JSON: "
                          "{'version': broken")


async def test_config_is_json_but_not_a_gradio_config(qvq_at):
    qvq_at.route("GET", "/config", respond(200, {"hello": "world"}))
    outcome = await run()
    error = check_error(outcome, ResponseError, SpaceProtocolError)
    assert str(error) == f"{qvq_at.url}/config is not a Gradio app config"


async def test_upload_answers_garbage(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/upload", respond(200, "<html>nope</html>", content_type="text/html"))
    outcome = await run(media=[(png(), "red.png")])
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} is not serving its app"


async def test_upload_answers_an_empty_list(qvq_at):
    qvq_at.route("POST", f"{PREFIX}/upload", respond(200, []))
    outcome = await run(media=[(png(), "red.png")])
    error = check_error(outcome, ResponseError, SpaceProtocolError)
    assert str(error) == "The Space did not accept the upload (it answered [])"


# -- the text before a failure is kept, even when it arrives with the failure --------

BEFORE = [generating("Hello"), append(" world")]


@pytest.mark.parametrize("failure", [
    pytest.param(sse(failed("Model overloaded")), id="gr-error"),
    pytest.param(sse(unexpected_error("Server stopped unexpectedly.")), id="unexpected-error"),
    pytest.param(b'data: {"msg": broken\n\n', id="bad-json"),
    pytest.param(sse(failed(QUOTA)), id="quota"),
    pytest.param(sse({"msg": "process_completed", "event_id": EVENT_ID, "output": {}, "success": True}),
                 id="cancelled-by-the-space"),
    pytest.param(sse([1, 2]), id="not-an-object"),
])
@pytest.mark.parametrize("same_read", [False, True], ids=["separate-read", "same-read"])
async def test_text_before_a_failure_is_kept(qvq_at, failure, same_read):
    if same_read:  # one write: the text and the failure reach the client together
        qvq_at.script = [b"".join(sse(m) for m in BEFORE) + failure, HANG]
    else:
        qvq_at.script = [*BEFORE, Sleep(0.2), failure, HANG]
    outcome = await run()
    assert isinstance(outcome.error, ResponseError), outcome.error
    assert outcome.text == "Hello world", (outcome.chunks, outcome.error)


async def test_connection_reset_mid_stream_keeps_the_text(qvq_at):
    qvq_at.script = [estimation(), starts(), generating("Hello"), Sleep(0.1), append(" wor"),
                     Sleep(0.2), RESET]
    outcome = await run()
    check_error(outcome, ResponseError, SpaceConnectionError, qvq_at.url, within=2.0)
    assert outcome.text == "Hello wor"
    assert outcome.chunks == ["Hello", " wor"]


async def test_connection_reset_before_the_stream(qvq_at):
    async def reset(request):
        request.transport.abort()
        await asyncio.Event().wait()

    qvq_at.route("POST", f"{PREFIX}/queue/join", reset)
    outcome = await run()
    check_error(outcome, ResponseError, SpaceConnectionError, within=2.0)


# == row 9: stall and total timeouts =================================================


async def test_stream_stall_times_out(qvq_at):
    qvq_at.script = [HANG]
    outcome = await run(stall_timeout=1)
    error = check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)
    assert str(error) == f"The Space at {qvq_at.url} sent nothing for 1 s"
    assert isinstance(outcome.error, TimeoutError)


async def test_stall_after_text_keeps_the_text_and_cancels(qvq_at):
    qvq_at.script = [estimation(), starts(), generating("Hello"), Sleep(0.05), append(" wor"), HANG]
    outcome = await run(stall_timeout=1)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)
    assert outcome.text == "Hello wor"
    assert await qvq_at.async_wait_for(lambda: qvq_at.requests_to("/cancel"), 2)
    assert await qvq_at.async_wait_for(lambda: qvq_at.disconnects == 1, 2)


async def test_heartbeats_count_as_bytes(qvq_at):
    qvq_at.script = [estimation(), Heartbeats(0.3, 2.0), *text_script(["Hello", " world"])]
    outcome = await run(stall_timeout=1)
    assert outcome.error is None, outcome.error
    assert outcome.text == "Hello world"
    assert outcome.elapsed >= 2.0


async def test_heartbeats_forever_hit_the_total_timeout(qvq_at):
    qvq_at.script = [estimation(rank=3, queue_size=4), Heartbeats(0.2)]
    outcome = await run(stall_timeout=1, timeout=2)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, "total timeout", within=3.5)
    assert outcome.elapsed >= 1.9


async def test_slow_stream_hits_the_total_timeout_and_keeps_the_text(qvq_at):
    steps = [generating("a")]
    for _ in range(40):
        steps += [Sleep(0.1), append("b")]
    qvq_at.script = steps
    outcome = await run(timeout=1)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, "total timeout", within=3.0)
    assert outcome.text.startswith("ab") and set(outcome.text[1:]) == {"b"}
    assert await qvq_at.async_wait_for(lambda: qvq_at.disconnects == 1, 2)


@pytest.mark.parametrize("where", ["config", "join"])
async def test_stall_before_the_stream_times_out(qvq_at, where):
    """Headers then nothing on /config or /queue/join: the stall timeout applies too."""
    path = ("GET", "/config") if where == "config" else ("POST", f"{PREFIX}/queue/join")
    qvq_at.route(*path, stall())
    outcome = await run(stall_timeout=1)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)


@pytest.mark.parametrize("where", ["config", "join", "data"])
async def test_total_timeout_bounds_every_step(qvq_at, where):
    path = {"config": ("GET", "/config"), "join": ("POST", f"{PREFIX}/queue/join"),
            "data": ("GET", f"{PREFIX}/queue/data")}[where]
    qvq_at.route(*path, stall())
    outcome = await run(timeout=1)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, "total timeout", within=3.0)


async def test_no_response_headers_times_out(qvq_at):
    async def silent(request):
        await asyncio.Event().wait()

    qvq_at.route("GET", f"{PREFIX}/queue/data", silent)
    outcome = await run(stall_timeout=1)
    check_error(outcome, G4FTimeoutError, SpaceTimeoutError, within=3.0)


# == cancellation ====================================================================


def slow_script(pieces: int = 50, every: float = 0.1) -> list:
    steps: list = [estimation(), starts(), generating("p0")]
    for index in range(1, pieces):
        steps += [Sleep(every), append(f" p{index}")]
    return steps + [completed(" ".join(f"p{i}" for i in range(pieces))), close_stream()]


def assert_cancel_sent(server: FaultServer, session_hash: Optional[str] = None) -> None:
    assert server.wait_for(lambda: server.requests_to("/cancel"), 3), (
        f"no cancel request; requests: {server.paths()}")
    body = server.requests_to("/cancel")[0].json()
    join = server.requests_to("/queue/join")[0].json()
    assert body == {"session_hash": join["session_hash"], "fn_index": 1, "event_id": EVENT_ID}
    assert server.wait_for(lambda: server.disconnects == 1, 3), "the stream was not dropped"


async def cancel_was_sent(server: FaultServer) -> None:
    """:func:`assert_cancel_sent` for async tests: waits with the event loop running, so a close
    still pending there (an abandoned generator's finaliser) can happen while it waits."""
    assert await server.async_wait_for(lambda: server.requests_to("/cancel"), 3), (
        f"no cancel request; requests: {server.paths()}")
    body = server.requests_to("/cancel")[0].json()
    join = server.requests_to("/queue/join")[0].json()
    assert body == {"session_hash": join["session_hash"], "fn_index": 1, "event_id": EVENT_ID}
    assert await server.async_wait_for(lambda: server.disconnects == 1, 3), "the stream was not dropped"


async def test_break_cancels_the_job(qvq_at):
    qvq_at.script = slow_script()
    chunks = []
    async for chunk in Qwen_QVQ_72B.create_async_generator("", HI):
        chunks.append(chunk)
        if len(chunks) == 2:
            break
    assert chunks == ["p0", " p1"]
    # The abandoned generator is finalised by the event loop: the wait must leave it running
    # (a blocking wait here froze the loop between the cancel and the close of the stream).
    await cancel_was_sent(qvq_at)


async def test_aclose_cancels_the_job(qvq_at):
    qvq_at.script = slow_script()
    generator = Qwen_QVQ_72B.create_async_generator("", HI)
    chunks = [await generator.__anext__(), await generator.__anext__()]
    await generator.aclose()
    assert chunks == ["p0", " p1"]
    assert qvq_at.requests_to("/cancel"), f"aclose() returned before cancelling: {qvq_at.paths()}"
    await cancel_was_sent(qvq_at)


async def test_task_cancellation_cancels_the_job(qvq_at):
    qvq_at.script = slow_script()
    chunks: list = []
    two = asyncio.Event()

    async def consume():
        async for chunk in Qwen_QVQ_72B.create_async_generator("", HI):
            chunks.append(chunk)
            if len(chunks) == 2:
                two.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(two.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert chunks[:2] == ["p0", " p1"] and len(chunks) <= 3
    await cancel_was_sent(qvq_at)


async def test_cancel_while_waiting_in_the_queue(qvq_at):
    qvq_at.script = [estimation(rank=5, queue_size=6), Heartbeats(0.1)]
    task = asyncio.create_task(run(stream=True))
    assert await qvq_at.async_wait_for(lambda: qvq_at.requests_to("/queue/data"), 5)
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await cancel_was_sent(qvq_at)


async def test_task_cancellation_within_the_grace_cancels_the_job(qvq_at):
    """Cancelled while the read waits for the grace (a read task of its own is pending):
    the read task is cancelled, the job cancelled on the Space, the stream dropped."""
    qvq_at.script = [estimation(rank=0, queue_size=1), Heartbeats(0.1)]
    task = asyncio.create_task(run(stream=True))
    assert await qvq_at.async_wait_for(lambda: qvq_at.requests_to("/queue/data"), 5)
    await asyncio.sleep(0.3)  # within the grace: nothing shown yet
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await cancel_was_sent(qvq_at)
    assert [t for t in asyncio.all_tasks() if "ready_by" in repr(t) or "_next_batch" in repr(t)] == []


async def test_stopping_after_the_grace_status_cancels_the_job(qvq_at):
    """The caller stops reading at the status shown after the grace: aclose() settles the
    read task left running, cancels the job and drops the stream before it returns."""
    from g4f.providers.response import Reasoning

    qvq_at.script = [estimation(rank=0, queue_size=1), Heartbeats(0.1)]
    generator = Qwen_QVQ_72B.create_async_generator("", HI, stream=True)
    first = await asyncio.wait_for(generator.__anext__(), 10)
    assert isinstance(first, Reasoning) and first.status == "Waiting in the Space's queue: position 1 of 1"
    await generator.aclose()
    assert qvq_at.requests_to("/cancel"), f"aclose() returned before cancelling: {qvq_at.paths()}"
    await cancel_was_sent(qvq_at)


async def test_no_cancel_after_a_complete_answer(qvq_at):
    """No sleep: a cancel is awaited before the call returns, and a second whole call on the
    same loop is the barrier for one that would have been sent later (a task, a finaliser)."""
    outcome = await run()
    assert outcome.text == "Hello world"
    first = qvq_at.paths()
    assert first == ["/config", f"{PREFIX}/queue/join", f"{PREFIX}/queue/data"], first
    again = await run()
    assert again.text == "Hello world"
    assert qvq_at.paths() == first + first[1:], qvq_at.paths()  # config cached; still no cancel
    assert qvq_at.requests_to("/cancel") == []


def test_break_from_g4f_sync_streaming_cancels_the_job(qvq_at):
    import g4f

    qvq_at.script = slow_script()
    texts = []
    response = g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, messages=HI,
                                         stream=True)
    for chunk in response:
        if isinstance(chunk, str):
            texts.append(chunk)
        if len(texts) == 2:
            break
    response.close()
    assert texts == ["p0", " p1"]
    assert_cancel_sent(qvq_at)


# == queue progress ==================================================================


QUEUED = [estimation(rank=2, queue_size=3, eta=4.2), Sleep(0.05), estimation(rank=0, queue_size=1),
          Sleep(0.05), starts(eta=1.5), Sleep(0.05), generating("Hello"), Sleep(0.05),
          append(" world"), completed("Hello world"), close_stream()]
#: Gradio's message for every job that joins an idle queue: nobody waited.
AT_ONCE = [estimation(rank=0, queue_size=1), starts(), generating("Hello"), append(" world"),
           completed("Hello world"), close_stream()]
#: The final line that replaces the queue status when the answer starts (issue 19).
WAITED = re.compile(r"Waited (\d\.\d) s in the Space's queue")


def statuses_of(chunks: list, label: str | None = None) -> list[str]:
    """The status texts among ``chunks``; with ``label``, each must carry it."""
    from g4f.providers.response import Reasoning

    found = [c for c in chunks if isinstance(c, Reasoning)]
    if label is not None:
        assert [c.label for c in found] == [label] * len(found), found
    return [str(c.status) for c in found]


async def test_streaming_callers_see_the_queue_position(qvq_at):
    """Someone ahead (rank 2): the positions are shown at once, labelled with the Space,
    then the start of the answer replaces them with how long the call waited."""
    from g4f.providers.response import Reasoning

    qvq_at.script = QUEUED
    outcome = await run(stream=True)
    assert outcome.error is None, outcome.error
    statuses = statuses_of(outcome.chunks, f"Space 127.0.0.1:{qvq_at.port}")
    assert statuses[:2] == ["Waiting in the Space's queue: position 3 of 3, about 4 s",
                            "Waiting in the Space's queue: position 1 of 1"], statuses
    assert len(statuses) == 3 and WAITED.fullmatch(statuses[2]), statuses
    assert 0.1 <= float(WAITED.fullmatch(statuses[2]).group(1)) <= outcome.elapsed, statuses
    assert outcome.text == "Hello world"
    first_text = next(i for i, c in enumerate(outcome.chunks) if isinstance(c, str))
    assert all(isinstance(c, Reasoning) for c in outcome.chunks[:first_text])
    assert all(isinstance(c, str) for c in outcome.chunks[first_text:])
    # the final line comes right before the first text
    assert outcome.chunks[first_text - 1].status == statuses[2]


@pytest.mark.parametrize("flags", [{"stream": True}, {"ignore_stream": True}])
async def test_a_job_that_starts_at_once_shows_no_status(qvq_at, flags):
    """Gradio says "position 1 of 1" to every job that joins; nobody waited, nothing is shown."""
    qvq_at.script = AT_ONCE
    outcome = await run(**flags)
    assert outcome.error is None, outcome.error
    assert outcome.chunks and all(type(c) is str for c in outcome.chunks), outcome.chunks
    assert outcome.text == "Hello world"


async def test_a_job_not_started_after_the_grace_shows_its_status(qvq_at):
    """Position 1 of 1 for longer than the grace (1 s) is a real wait: shown when the grace
    runs out, though the Space sends nothing new, and replaced when the answer starts."""
    from g4f_qwen_spaces.space.waiting import GRACE

    qvq_at.script = [estimation(rank=0, queue_size=1), Sleep(GRACE + 0.6)] + AT_ONCE[1:]
    seen: list = []
    outcome = await run(stream=True, on_chunk=lambda c: seen.append((time.monotonic(), c)))
    assert outcome.error is None, outcome.error
    statuses = statuses_of(outcome.chunks, f"Space 127.0.0.1:{qvq_at.port}")
    assert statuses[0] == "Waiting in the Space's queue: position 1 of 1", statuses
    assert len(statuses) == 2 and WAITED.fullmatch(statuses[1]), statuses
    assert GRACE + 0.5 <= float(WAITED.fullmatch(statuses[1]).group(1)) < GRACE + 2, statuses
    # the status reached the caller at the grace, not with the next message of the Space
    (shown_at, _), (text_at, _) = seen[0], next(x for x in seen if isinstance(x[1], str))
    assert text_at - shown_at >= 0.4, seen
    assert outcome.text == "Hello world"


async def test_a_job_with_no_estimate_past_the_grace_shows_a_plain_queue_status(qvq_at):
    from g4f_qwen_spaces.space.waiting import GRACE

    qvq_at.script = [Sleep(GRACE + 0.5)] + AT_ONCE[1:]
    outcome = await run(stream=True)
    assert outcome.error is None, outcome.error
    statuses = statuses_of(outcome.chunks)
    assert statuses[0] == "Waiting in the Space's queue" and len(statuses) == 2, statuses
    assert WAITED.fullmatch(statuses[1]), statuses


async def test_a_failure_after_a_status_ends_the_status_line(qvq_at):
    """No stale position above the error: the last status says when the call stopped."""
    qvq_at.script = [estimation(rank=1, queue_size=2), Sleep(0.1), failed("The model is down")]
    outcome = await run(stream=True)
    assert isinstance(outcome.error, ResponseError), outcome.error
    statuses = statuses_of(outcome.chunks, f"Space 127.0.0.1:{qvq_at.port}")  # the last one too
    assert statuses[0] == "Waiting in the Space's queue: position 2 of 2" and len(statuses) == 2, statuses
    assert re.fullmatch(r"Stopped after 0\.\d s", statuses[1]), statuses
    assert not [c for c in outcome.chunks if isinstance(c, str)]


async def test_gui_style_callers_see_the_queue_position(qvq_at):
    """g4f's GUI calls providers with ``ignore_stream=True`` and no ``stream``."""
    from g4f.providers.response import Reasoning

    qvq_at.script = QUEUED
    outcome = await run(ignore_stream=True)
    assert outcome.error is None, outcome.error
    statuses = statuses_of(outcome.chunks, f"Space 127.0.0.1:{qvq_at.port}")
    assert statuses[:2] == ["Waiting in the Space's queue: position 3 of 3, about 4 s",
                            "Waiting in the Space's queue: position 1 of 1"], statuses
    assert len(statuses) == 3 and WAITED.fullmatch(statuses[2]), statuses
    assert outcome.text == "Hello world"
    first_text = next(i for i, c in enumerate(outcome.chunks) if isinstance(c, str))
    assert all(isinstance(c, Reasoning) for c in outcome.chunks[:first_text])
    assert all(isinstance(c, str) for c in outcome.chunks[first_text:])


def test_g4f_chatcompletion_ignore_stream_hands_on_statuses(qvq_at):
    """What the GUI backend gets from g4f: every chunk, statuses first, text apart."""
    import g4f

    qvq_at.script = QUEUED
    chunks = list(g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, messages=HI,
                                            ignore_stream=True))
    statuses = statuses_of(chunks, f"Space 127.0.0.1:{qvq_at.port}")
    assert statuses[:2] == ["Waiting in the Space's queue: position 3 of 3, about 4 s",
                            "Waiting in the Space's queue: position 1 of 1"], chunks
    assert len(statuses) == 3 and WAITED.fullmatch(statuses[2]), statuses
    assert "".join(c for c in chunks if isinstance(c, str)) == "Hello world"


@pytest.mark.parametrize("flags", [{}, {"stream": False}, {"stream": False, "ignore_stream": False}])
async def test_non_streaming_callers_get_no_status_chunks_whatever_the_flags(qvq_at, flags):
    qvq_at.script = QUEUED
    outcome = await run(**flags)
    assert outcome.chunks and all(isinstance(c, str) for c in outcome.chunks), outcome.chunks
    assert outcome.text == "Hello world"


async def test_non_streaming_callers_get_no_status_chunks(qvq_at):
    qvq_at.script = QUEUED
    outcome = await run()
    assert outcome.chunks and all(isinstance(c, str) for c in outcome.chunks), outcome.chunks
    assert outcome.text == "Hello world"


def test_g4f_chatcompletion_non_streaming_text_has_no_status(qvq_at):
    import g4f

    qvq_at.script = QUEUED
    answer = g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, messages=HI)
    assert answer == "Hello world"


def test_g4f_client_text_has_no_status(qvq_at):
    from g4f.client import Client

    qvq_at.script = QUEUED
    response = Client().chat.completions.create(model="qvq-72b", provider=Qwen_QVQ_72B, messages=HI)
    assert response.choices[0].message.content == "Hello world"


def test_g4f_chatcompletion_streaming_shows_status(qvq_at):
    import g4f
    from g4f.providers.response import Reasoning

    qvq_at.script = QUEUED
    chunks = list(g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, messages=HI,
                                            stream=True))
    statuses = [str(c.status) for c in chunks if isinstance(c, Reasoning)]
    assert statuses[:2] == ["Waiting in the Space's queue: position 3 of 3, about 4 s",
                            "Waiting in the Space's queue: position 1 of 1"], chunks
    assert len(statuses) == 3 and WAITED.fullmatch(statuses[2]), statuses
    assert "".join(c for c in chunks if isinstance(c, str)) == "Hello world"


# == bad input: a clear error before anything is sent ================================


BAD_MESSAGES = {
    "empty": ([], "No messages"),
    "not-a-list": ("hello", "No messages"),
    "no-user": ([{"role": "system", "content": "Be nice."}, {"role": "assistant", "content": "Hi"}],
                "No user message"),
    "int-content": ([{"role": "user", "content": 42}], "int"),
    "dict-content": ([{"role": "user", "content": {"text": "hi"}}], "dict"),
    "parts-not-dicts": ([{"role": "user", "content": ["hi", 3]}], "not dicts"),
    "no-role": ([{"content": "hi"}], "role"),
}


@pytest.mark.parametrize("provider", [Qwen_QVQ_72B, Qwen_Qwen_2_72B], ids=["qvq", "qwen2"])
@pytest.mark.parametrize("case", list(BAD_MESSAGES))
async def test_bad_messages_fail_before_sending(fault, monkeypatch, provider, case):
    monkeypatch.setenv(provider.url_env, fault.url)
    messages, words = BAD_MESSAGES[case]
    outcome = await run(provider, messages)
    check_error(outcome, ValueError, SpaceInputError, words, within=1.0)
    assert fault.requests == []


@pytest.mark.parametrize("provider", [Qwen_QVQ_72B, Qwen_Qwen_2_72B], ids=["qvq", "qwen2"])
async def test_unknown_model_lists_the_models(fault, monkeypatch, provider):
    monkeypatch.setenv(provider.url_env, fault.url)
    outcome = await run(provider, model="gpt-4o")
    check_error(outcome, G4FError, ModelNotFoundError, "gpt-4o", *provider.models, within=1.0)
    assert fault.requests == []


async def test_qwen2_refuses_media(fault, monkeypatch):
    monkeypatch.setenv(QWEN2_ENV, fault.url)
    outcome = await run(Qwen_Qwen_2_72B, media=[(png(), "a.png")])
    error = check_error(outcome, ValueError, SpaceInputError)
    assert str(error) == "Qwen_Qwen_2_72B takes text only; remove the images"
    assert fault.requests == []


async def test_qwen2_refuses_an_image_content_part(fault, monkeypatch):
    monkeypatch.setenv(QWEN2_ENV, fault.url)
    messages = [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "text", "text": "What is this?"}]}]
    outcome = await run(Qwen_Qwen_2_72B, messages)
    error = check_error(outcome, ValueError, SpaceInputError)
    assert str(error) == "Qwen_Qwen_2_72B takes text only; remove the images"
    assert fault.requests == []


WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 32


def corrupt_png() -> bytes:
    good = png((64, 64))
    return good[:33] + bytes((b * 7 + 3) % 256 for b in good[33:])


@pytest.mark.parametrize("media, words", [
    pytest.param(lambda: [(png(), "a.png"), (png(), "b.png")], "one image", id="two-images"),
    pytest.param(lambda: [(WAV, "sound.wav")], "not an image", id="audio-wav"),
    pytest.param(lambda: [(MP3, "song.mp3")], "not an image", id="audio-mp3"),
    pytest.param(lambda: [(PDF, "doc.pdf")], "not an image", id="pdf"),
    pytest.param(lambda: [(b"\x00\x01garbage bytes of no known kind", "x.bin")], "not an image",
                 id="unknown"),
    pytest.param(lambda: [(corrupt_png(), "broken.png")], "corrupt", id="corrupt-png"),
    pytest.param(lambda: [(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "zeros.png")], "corrupt",
                 id="png-magic-zeros"),
    pytest.param(lambda: [(b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_IMAGE_BYTES + 1), "huge.png")],
                 f"{MAX_IMAGE_BYTES:,}", id="over-the-size-limit"),
])
async def test_qvq_bad_media_fails_before_sending(fault, monkeypatch, media, words):
    monkeypatch.setenv(QVQ_ENV, fault.url)
    outcome = await run(media=media())
    check_error(outcome, ValueError, SpaceInputError, words, within=5.0)
    assert fault.requests == []


async def test_qvq_image_over_the_limit_from_a_file(fault, monkeypatch, tmp_path):
    monkeypatch.setenv(QVQ_ENV, fault.url)
    path = tmp_path / "huge.png"
    with open(path, "wb") as out:
        out.write(png())
        out.truncate(MAX_IMAGE_BYTES + 1)
    outcome = await run(media=[(str(path), None)])
    check_error(outcome, ValueError, SpaceInputError, f"{MAX_IMAGE_BYTES:,}")
    assert fault.requests == []


async def test_qvq_image_over_the_spaces_own_limit(qvq_at):
    qvq_at.config["max_file_size"] = 100
    outcome = await run(media=[(png((64, 64)), "a.png")])
    check_error(outcome, ValueError, SpaceInputError, "at most 100")
    assert qvq_at.paths() == ["/config"]  # nothing uploaded


@pytest.mark.parametrize("timeout", ["soon", -1, 0])
async def test_bad_timeout_fails_before_sending(fault, monkeypatch, timeout):
    monkeypatch.setenv(QVQ_ENV, fault.url)
    outcome = await run(timeout=timeout)
    error = check_error(outcome, ValueError, SpaceInputError)
    assert str(error) == (f"timeout must be a number of seconds, got {timeout!r}" if isinstance(timeout, str)
                          else f"timeout must be a finite positive number, got {timeout!r}")
    assert fault.requests == []


# == security ========================================================================


TOKEN = "hf_SeCrEtToKeN0123456789abcdefXYZ"


def leaks(text: str) -> bool:
    return TOKEN in text or TOKEN[3:] in text


SECRET_CASES = {
    "success": lambda s: None,
    "401": lambda s: s.route("GET", "/config", respond(401, {"error": "Invalid token"})),
    "404": lambda s: s.route("GET", "/config", respond(404, "Not found")),
    "500-echoes-auth": lambda s: s.route(
        "POST", f"{PREFIX}/queue/join",
        lambda r: respond(500, f"bad header {r.headers.get('X-HF-Authorization')}")(r)),
    "gr-error-echoes-auth": lambda s: setattr(s, "script", [failed(f"token {TOKEN} rejected")]),
    "stall": lambda s: setattr(s, "script", [generating("a"), HANG]),
    "reset": lambda s: setattr(s, "script", [generating("a"), Sleep(0.1), RESET]),
    "bad-json": lambda s: setattr(s, "script", [b"data: {" + TOKEN.encode() + b"\n\n"]),
    "upload": lambda s: s.route("POST", f"{PREFIX}/upload", respond(403, "forbidden")),
}


@pytest.mark.parametrize("case", list(SECRET_CASES))
async def test_token_never_in_logs_errors_or_reprs(qvq_at, caplog, case, hf_names, monkeypatch):
    """On an ``hf.space`` name (mapped to loopback), where the token is sent."""
    monkeypatch.setenv(QVQ_ENV, hf_names(qvq_at.url, "qvq"))
    SECRET_CASES[case](qvq_at)
    caplog.set_level(logging.DEBUG)
    media = [(png(), "a.png")] if case == "upload" else None
    outcome = await run(api_key=TOKEN, stall_timeout=1, media=media)
    if case == "success":
        assert outcome.error is None and outcome.text == "Hello world"
    else:
        assert outcome.error is not None
        rendered = "".join(traceback.format_exception(outcome.error))
        for text in (str(outcome.error), repr(outcome.error), rendered, repr(outcome.error.args)):
            assert not leaks(text), text
    assert not leaks(caplog.text), caplog.text
    # the token did go to the Space itself (so the test is not vacuous), in HF's header only
    assert qvq_at.requests and qvq_at.requests[0].headers.get("x-hf-authorization") == f"Bearer {TOKEN}"
    assert all("authorization" not in r.headers for r in qvq_at.requests)


def test_client_repr_hides_the_token():
    client = SpaceClient("https://example.hf.space", token=TOKEN)
    assert not leaks(repr(client)) and not leaks(str(client))


async def test_a_redirect_to_another_host_is_not_followed(qvq_at, fault_factory):
    other = fault_factory(host="127.0.0.2")
    qvq_at.route("GET", "/config", redirect(f"{other.url}/config"))
    outcome = await run(api_key=TOKEN)
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, "redirected to another host (127.0.0.2)",
                        within=5)
    assert str(error) == (f"The Space at {qvq_at.url} redirected to another host (127.0.0.2); not followed")
    assert error.status == 302 and error.url == qvq_at.url
    assert other.requests == []
    assert qvq_at.paths() == ["/config"]


async def test_a_redirect_to_another_port_is_not_followed(qvq_at, fault_factory):
    other = fault_factory()
    qvq_at.route("POST", f"{PREFIX}/queue/join", redirect(f"{other.url}{PREFIX}/queue/join", 307))
    outcome = await run(api_key=TOKEN)
    check_error(outcome, ResponseStatusError, SpaceStatusError, "redirected to another host", within=5)
    assert other.requests == []


async def test_authorization_not_sent_with_image_downloads(qvq_at, fault_factory, monkeypatch, hf_names):
    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    monkeypatch.setenv(QVQ_ENV, hf_names(qvq_at.url, "qvq"))
    images = fault_factory()
    data = png()
    images.route("GET", "/pics/red.png", respond(200, data, content_type="image/png"))
    outcome = await run(api_key=TOKEN, media=[(f"{images.url}/pics/red.png", None)])
    assert outcome.error is None, outcome.error
    assert images.paths() == ["/pics/red.png"]
    assert "authorization" not in images.requests[0].headers
    assert "x-hf-authorization" not in images.requests[0].headers
    upload = qvq_at.requests_to("/upload")[0]
    assert upload.headers.get("x-hf-authorization") == f"Bearer {TOKEN}"
    assert "authorization" not in upload.headers
    assert upload.files == ["red.png"]


@pytest.mark.parametrize("key", ["g4f_0123456789abcdef", "gfs_0123456789abcdef"])
async def test_g4f_keys_are_never_forwarded(qvq_at, key):
    outcome = await run(api_key=key)
    assert outcome.text == "Hello world"
    assert len(qvq_at.requests) == 3
    for record in qvq_at.requests:
        assert "authorization" not in record.headers, record


async def test_g4f_keys_are_not_forwarded_through_g4f(qvq_at):
    import g4f

    answer = await g4f.ChatCompletion.create_async(model="qvq-72b", provider=Qwen_QVQ_72B,
                                                   messages=HI, api_key="g4f_0123456789abcdef")
    assert answer == "Hello world"
    assert all("authorization" not in r.headers for r in qvq_at.requests)


@pytest.mark.parametrize("value", [
    "ftp://qwen.example/space", "file:///etc/passwd", "127.0.0.1:7860", "http://", "https:///path",
    "javascript:alert(1)", "qwen-qvq-72b-preview.hf.space", "http://user:pw@127.0.0.1:1",
])
async def test_url_override_must_be_http_with_a_host(fault, monkeypatch, value):
    monkeypatch.setenv(QVQ_ENV, value)
    outcome = await run()
    check_error(outcome, ValueError, SpaceInputError, QVQ_ENV, within=1.0)
    assert fault.requests == []


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.png", "passwd.png"),
    ("..\\..\\Windows\\system32\\evil.png", "evil.png"),
    ("/absolute/path/photo.png", "photo.png"),
    ("we ird<>|name.png", "we_ird_name.png"),
    ("../../.png", "image.png"),
    ("picture.exe", "picture.png"),
])
async def test_upload_filenames_are_sanitised(qvq_at, name, expected):
    outcome = await run(media=[(png(), name)])
    assert outcome.error is None, outcome.error
    upload = qvq_at.requests_to("/upload")[0]
    assert upload.files == [expected]
    assert qvq_at.requests_to("/queue/join")[0].json()["data"][0]["orig_name"] == expected


# == the guards themselves ===========================================================


def test_socket_counter_sees_an_open_socket(socket_baseline):
    before = tcp_socket_count()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        assert tcp_socket_count() == before + 1
    assert tcp_socket_count() == before
