"""Tests written against mutants of ``space/queue.py`` and ``space/client.py`` that the other tests let live.

A failed job's message with a Gradio 5 title (where the message is cut), a
job's ``ready_by`` when its time has already run out, and an HTML page on the
event stream that is not valid UTF-8. See tests/mutants/test_space.py for why
they live here.
"""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import time
from types import SimpleNamespace

import aiohttp
import pytest
from g4f.errors import ResponseStatusError

from g4f_qwen_spaces.space import SpaceStatusError
from g4f_qwen_spaces.space import client as client_module
from g4f_qwen_spaces.space.client import Job, SpaceClient
from g4f_qwen_spaces.space.config import ConfigCache, SpaceConfig
from g4f_qwen_spaces.space.diff import Rope, apply_ops, materialize, text_of
from g4f_qwen_spaces.space.errors import (
    SpaceAppError,
    SpaceConnectionError,
    SpaceError,
    SpaceProtocolError,
    SpaceTimeoutError,
)
from g4f_qwen_spaces.space.queue import Completed, EventState, Generating, QueueStatus, app_error
from tests.faultserver import check_error, raised_by, run

URL = "http://127.0.0.1:9"


# -- queue.py: a failed job's title and message ------------------------------------------


def test_a_title_is_read_from_its_first_400_characters():
    """Leading blanks count: of 399 spaces and "Overloaded" only the "O" is within the 400."""
    error = app_error({"error": "msg", "title": " " * 399 + "Overloaded"}, 5, URL)
    assert type(error) is SpaceAppError
    assert str(error) == "O: msg"
    assert error.url == URL


def test_a_message_after_a_title_keeps_up_to_300_characters():
    error = app_error({"error": "a" * 250, "title": "Bad input"}, 5, URL)
    assert type(error) is SpaceAppError
    assert str(error) == "Bad input: " + "a" * 250


def test_a_message_after_a_title_is_cut_at_299_characters_and_an_ellipsis():
    """The excerpt is taken twice (the message, then title and message): an entity escaped twice
    is unescaped once each time, so the second pass shows where the first one cut."""
    error = app_error({"error": "x" + "&amp;amp;" * 100, "title": "T"}, 5, URL)
    # The first cut: "x", 59 "&amp;" and "&am" (299 characters), then "…".
    assert str(error) == "T: x" + "&" * 59 + "&am…"


@pytest.mark.parametrize(
    "message, shown",
    [
        # Lowercased as Python does, a final sigma is "ς" and a sigma before a letter "σ"; the
        # apostrophes between (case-ignorable) make the 300th character decide which.
        ("aΣ" + "'" * 197 + "b" * 200, "aΣ: aΣ" + "'" * 197 + "b" * 96 + "…"),
        ("aΣ" + "'" * 297 + "b" * 10, "aΣ" + "'" * 297 + "…"),
    ],
)
def test_whether_a_message_starts_with_its_title_is_judged_on_its_first_300_characters(message, shown):
    error = app_error({"error": message, "title": "aΣ"}, 5, URL)
    assert type(error) is SpaceAppError
    assert str(error) == shown


# -- queue.py: counts and seconds from the Space ------------------------------------------


def estimation(**fields) -> QueueStatus:
    [status] = EventState("e1", major=5).feed([{"msg": "estimation", "event_id": "e1", **fields}])
    return status


@pytest.mark.parametrize(
    "value, kept",
    [(0, 0), (1, 1), (90, 90), (10**9 - 1, 10**9 - 1), (10**9, None), (-1, None), (True, None),
     (False, None), (2.0, None), ("3", None), (None, None)],
)
def test_a_rank_is_an_int_from_0_to_below_a_billion(value, kept):
    status = estimation(rank=value, queue_size=value)
    assert status == QueueStatus(rank=kept, queue_size=kept)
    assert type(status.rank) is (int if kept is not None else type(None))


@pytest.mark.parametrize(
    "value, kept",
    [(0, 0.0), (0.5, 0.5), (1, 1.0), (3.2e7 - 1, 3.2e7 - 1), (3.2e7 - 0.5, 3.2e7 - 0.5), (3.2e7, None),
     (32000000.5, None), (-0.5, None), (True, None), (False, None), ("2", None), (None, None),
     (float("inf"), None)],
)
def test_an_eta_is_seconds_from_0_to_below_a_year(value, kept):
    assert estimation(rank_eta=value) == QueueStatus(eta=kept)
    [started] = EventState("e1", major=5).feed([{"msg": "process_starts", "event_id": "e1", "eta": value}])
    assert started == QueueStatus(eta=kept, started=True)
    assert type(started.eta) is (float if kept is not None else type(None))


# -- queue.py: one batch of messages -------------------------------------------------------------


def generating(data) -> dict:
    return {"msg": "process_generating", "event_id": "e1", "output": {"data": data}, "success": True}


def test_a_new_event_state_has_no_values_no_failure_and_is_open():
    state = EventState("e1", major=5, base_url=URL)
    assert (state.values, state.failure, state.completed, state.closed) == (None, None, False, False)
    assert state.completed is False and state.closed is False


def test_a_batch_gives_its_statuses_then_one_generating_with_the_values_after_it():
    state = EventState("e1", major=5, base_url=URL)
    assert state.feed([generating(["a"]), {"msg": "estimation", "event_id": "e1", "rank": 0}]) == [
        QueueStatus(rank=0), Generating(["a"])]
    assert state.feed([{"msg": "heartbeat"}]) == []
    assert state.feed([{"msg": "process_starts", "event_id": "e1"}]) == [QueueStatus(started=True)]


def test_a_failure_after_a_status_keeps_the_status_and_no_earlier_values():
    state = EventState("e1", major=5, base_url=URL)
    state.feed([generating(["a"])])
    updates = state.feed([{"msg": "estimation", "event_id": "e1", "rank": 1},
                          {"msg": "unexpected_error", "event_id": "e1", "message": "boom"}])
    assert updates == [QueueStatus(rank=1)]  # nothing generated in this batch: no values again
    assert type(state.failure) is SpaceError and str(state.failure) == f"The Space at {URL} reported: boom"


def test_a_failure_alone_is_raised_and_not_kept():
    state = EventState("e1", major=5, base_url=URL)
    state.feed([generating(["a"])])
    with pytest.raises(SpaceError, match=r"reported: boom$"):
        state.feed([{"msg": "unexpected_error", "event_id": "e1", "message": "boom"}])
    assert state.failure is None


def test_a_completion_ends_a_batch_without_a_generating_after_it():
    state = EventState("e1", major=5, base_url=URL)
    updates = state.feed([generating(["a"]), {"msg": "process_completed", "event_id": "e1",
                                               "output": {"data": ["ab"]}, "success": True}])
    assert updates == [Completed(["ab"])]
    assert state.completed is True


# -- queue.py: a completion --------------------------------------------------------------------


def complete(major: int = 5, **fields):
    state = EventState("e1", major=major, base_url=URL)
    try:
        return state, state.feed([{"msg": "process_completed", "event_id": "e1", **fields}])
    except SpaceError as error:
        return state, error


@pytest.mark.parametrize("fields", [{"success": True}, {"output": None}, {"output": {"error": None}, "success": True}])
def test_a_completion_without_data_is_a_job_cancelled_by_the_space(fields):
    state, error = complete(**fields)
    assert type(error) is SpaceAppError
    assert str(error) == f"The job was cancelled by the Space at {URL}" and error.url == URL
    assert state.completed is True


def test_a_completion_whose_data_is_not_a_list_is_unexpected():
    state, error = complete(output={"data": "ab"}, success=True)
    assert type(error) is SpaceProtocolError
    assert str(error) == "Unexpected result from the Space: ab" and error.url == URL


@pytest.mark.parametrize(
    "major, fields, text",
    [
        (4, {"output": {"error": "'it broke'"}, "success": False}, "it broke"),
        (5, {"output": {"error": "'it broke'"}, "success": False}, "'it broke'"),
        (5, {"output": "it broke", "success": False},
         f"The Space at {URL} failed without a message (the app hides its errors)"),
        (5, {"output": {"error": "it broke", "data": ["x"]}, "success": False}, "it broke"),
    ],
)
def test_a_failed_completion_carries_the_spaces_message(major, fields, text):
    state, error = complete(major, **fields)
    assert type(error) is SpaceAppError
    assert str(error) == text and error.url == URL
    assert state.completed is True


def test_a_completion_without_success_carries_its_data():
    data = ["a", "b"]
    state, updates = complete(output={"data": data})
    assert updates == [Completed(["a", "b"])] and state.values == ["a", "b"]
    assert updates[0].values is state.values and state.values is not data and state.completed is True


# -- queue.py: progress -------------------------------------------------------------------------


def progress(*messages, major: int = 5):
    state = EventState("e1", major=major, base_url=URL)
    try:
        return state, state.feed([{"msg": "process_generating", "event_id": "e1", **m} for m in messages])
    except SpaceError as error:
        return state, error


@pytest.mark.parametrize(
    "message",
    [{"output": "x", "success": True}, {"output": {"data": "x"}}, {"output": {"data": None, "error": ""}},
     {"success": True}],
)
def test_progress_without_a_data_list_and_without_an_error_is_unexpected(message):
    state, error = progress(message)
    assert type(error) is SpaceProtocolError and error.url == URL
    shown = {"msg": "process_generating", "event_id": "e1", **message}
    assert str(error) == f"Unexpected progress from the Space: {shown}"


@pytest.mark.parametrize(
    "message, text",
    [
        ({"output": "x", "success": False}, f"The Space at {URL} failed without a message (the app hides its errors)"),
        ({"output": {}, "success": False}, f"The Space at {URL} failed without a message (the app hides its errors)"),
        ({"output": {"error": "'it broke'"}}, "it broke"),
        ({"output": {"error": "'it broke'", "data": "x"}, "success": True}, "it broke"),
    ],
)
def test_progress_with_an_error_is_the_spaces_failure(message, text):
    state, error = progress(message, major=4)
    assert type(error) is SpaceAppError
    assert str(error) == text and error.url == URL


def test_progress_keeps_a_copy_of_the_first_values_and_applies_ops_to_each_output():
    first = ["Hel", "x"]
    state, updates = progress({"output": {"data": first}, "success": True},
                              {"output": {"data": [[["append", [], "lo"]], []]}, "success": True})
    assert updates == [Generating(["Hello", "x"])]
    assert first == ["Hel", "x"] and state.values is not first


def test_progress_that_changes_the_number_of_outputs_is_refused():
    state, updates = progress({"output": {"data": ["a", "b"]}}, {"output": {"data": [[]]}})
    assert updates == [Generating(["a", "b"])]  # the values before it are kept
    error = state.failure
    assert type(error) is SpaceProtocolError and error.url == URL
    assert str(error) == "The Space changed the number of outputs mid-stream"


# -- queue.py: one message ----------------------------------------------------------------------


def test_another_events_message_changes_nothing_even_after_values():
    state = EventState("e1", major=5, base_url=URL)
    state.feed([generating(["a"])])
    assert state.feed([{**generating(["b"]), "event_id": "e2"}]) == []
    assert state.feed([{"msg": "close_stream", "event_id": "e2"}]) == [] and state.closed is False
    assert state.values == ["a"]


def test_close_stream_closes_the_state():
    state = EventState("e1", major=5, base_url=URL)
    assert state.feed([{"msg": "close_stream", "event_id": None}]) == []
    assert state.closed is True and state.completed is False


def test_a_message_that_is_not_an_object_is_unexpected():
    with pytest.raises(SpaceProtocolError) as caught:
        EventState("e1", major=5, base_url=URL).feed([b"[1, 2, 3]"])
    assert str(caught.value) == "Unexpected event from the Space: [1, 2, 3]" and caught.value.url == URL


def test_an_unexpected_error_message_is_cut_at_200_characters():
    with pytest.raises(SpaceError) as caught:
        EventState("e1", major=5, base_url=URL).feed([{"msg": "unexpected_error", "message": "m" * 300}])
    assert type(caught.value) is SpaceError and caught.value.url == URL
    assert str(caught.value) == f"The Space at {URL} reported: " + "m" * 199 + "…"


def test_a_log_message_is_only_logged():
    state = EventState("e1", major=5, base_url=URL)
    assert state.feed([{"msg": "log", "event_id": "e1", "level": "warning" * 5, "log": "hello " * 50}]) == []
    assert (state.values, state.failure, state.closed) == (None, None, False)


@pytest.mark.parametrize(
    "fields, logged",
    [
        ({"level": "info", "log": "hello"}, "Space log (info): hello"),
        ({"level": "w" * 30, "log": "h" * 300}, "Space log (" + "w" * 19 + "…): " + "h" * 199 + "…"),
        ({}, "Space log ((empty)): (empty)"),
    ],
)
def test_a_log_message_is_logged_at_debug_cut_to_size(caplog, fields, logged):
    caplog.set_level(logging.DEBUG, logger="g4f_qwen_spaces")
    state = EventState("e1", major=5, base_url=URL)
    assert state.feed([{"msg": "log", "event_id": "e1", **fields}, {"msg": "heartbeat"}]) == []
    records = [r for r in caplog.records if r.name == "g4f_qwen_spaces"]
    assert [(r.levelno, r.getMessage()) for r in records] == [(logging.DEBUG, logged)]


# -- client.py: SpaceClient's session and config cache ---------------------------------------


class Store:
    """A stand-in for the disk store: what it holds, and what it was asked."""

    root = "/nowhere/configs"

    def __init__(self, config) -> None:
        self.config = config
        self.loads: list[str] = []
        self.drops: list[str] = []

    def load(self, base_url: str):
        self.loads.append(base_url)
        return self.config

    def drop(self, base_url: str) -> None:
        self.drops.append(base_url)

    def clear(self) -> None:
        raise AssertionError("one URL is forgotten, not all")


def test_a_session_hash_is_12_hex_digits_of_its_own():
    first, second = SpaceClient(URL).session_hash, SpaceClient(URL).session_hash
    assert re.fullmatch(r"[0-9a-f]{12}", first) and re.fullmatch(r"[0-9a-f]{12}", second)
    assert first != second


async def test_a_config_comes_from_memory_first_then_the_store_which_memory_then_keeps():
    config = SpaceConfig.parse(URL, {"components": [], "dependencies": [], "protocol": "sse_v3"})
    cache, store = ConfigCache(), Store(config)
    client = SpaceClient(URL, cache=cache, store=store)
    assert await client.cached() is config
    assert store.loads == [URL] and cache.get(URL) is config
    assert await client.cached() is config
    assert store.loads == [URL]  # memory had it: the store is not read again
    await client.forget()
    assert store.drops == [URL] and cache.get(URL) is None  # the store was attached to the cache
    store.config = None
    assert await client.cached() is None
    assert store.loads == [URL, URL] and cache.get(URL) is None


async def test_a_config_in_memory_is_used_without_a_store():
    config = SpaceConfig.parse(URL, {"components": [], "dependencies": [], "protocol": "sse_v3"})
    cache = ConfigCache()
    cache.put(config)
    client = SpaceClient(URL, cache=cache)
    assert client.store is None and client.cache is cache
    assert await client.cached() is config
    assert await SpaceClient("http://127.0.0.1:8", cache=cache).cached() is None


# -- client.py: Job.ready_by ---------------------------------------------------------------


class Batches:
    """A stand-in for the event stream: batches ready at once, without I/O."""

    head = b""

    def __init__(self, *batches: list[bytes]) -> None:
        self.batches = list(batches)

    def __aiter__(self) -> Batches:
        return self

    async def __anext__(self) -> list[bytes]:
        if not self.batches:
            raise StopAsyncIteration
        batch = self.batches.pop(0)
        if isinstance(batch, BaseException):
            raise batch
        return batch


def job_with_a_status_ready() -> Job:
    job = Job(SimpleNamespace(base_url=URL), SimpleNamespace(major=5), None, "e1")
    job._batches = Batches([b'{"msg": "estimation", "event_id": "e1", "rank": 2, "queue_size": 3}'])
    return job


async def test_ready_by_a_time_already_past_does_not_wait_even_a_loop_turn():
    """The read is left to a task of its own, not given a turn: False, and the next
    ``__anext__`` takes the update up."""
    job = job_with_a_status_ready()
    assert await job.ready_by(time.monotonic() - 1.0) is False
    assert job._reading is not None and not job._reading.done()
    assert await job.__anext__() == QueueStatus(rank=2, queue_size=3)
    assert job._reading is None


async def test_ready_by_the_time_exactly_now_does_not_wait(monkeypatch):
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    job = job_with_a_status_ready()
    assert await job.ready_by(1000.0) is False
    assert await job.__anext__() == QueueStatus(rank=2, queue_size=3)


async def test_ready_by_a_time_to_come_waits_for_the_update():
    job = job_with_a_status_ready()
    assert await job.ready_by(time.monotonic() + 30.0) is True
    assert job._reading is None
    assert await job.__anext__() == QueueStatus(rank=2, queue_size=3)


# -- client.py: a job's start and a job that could not be opened ---------------------------


class Unopened:
    """A client whose event stream cannot be requested (its session closed after the join)."""

    base_url = URL
    session_hash = "s1"

    def __init__(self) -> None:
        self.cancelled: list[tuple] = []

    def request(self, *args, **kwargs):
        raise RuntimeError("SpaceHTTP is not open")

    def map_error(self, error, stream=False):
        return error

    async def cancel(self, config, endpoint, event_id) -> None:
        self.cancelled.append((config, endpoint, event_id))


def test_a_new_job_is_neither_finished_nor_completed_and_follows_its_event():
    job = Job(SimpleNamespace(base_url=URL), SimpleNamespace(major=4), None, "e1")
    assert job.finished is False and job.completed is False
    assert (job.state.event_id, job.state.major, job.state.base_url, job.state.url) == ("e1", 4, URL, URL)


async def test_a_job_whose_stream_could_not_be_requested_is_only_cancelled_when_closed():
    """As submit() does when open() fails: aclose() asks the Space to cancel the job and,
    with no stream and no read to drop, raises nothing of its own."""
    client = Unopened()
    config, endpoint = SimpleNamespace(major=5, url=lambda path: URL + path), SimpleNamespace(fn_index=3)
    job = Job(client, config, endpoint, "e1")
    with pytest.raises(RuntimeError, match=r"^SpaceHTTP is not open$"):
        await job.open()
    with pytest.raises(RuntimeError, match=r"^Job\.open\(\) was not awaited$"):
        await job.__anext__()
    await job.aclose()
    assert client.cancelled == [(config, endpoint, "e1")]
    assert job.finished is True and job.completed is False
    with pytest.raises(StopAsyncIteration):
        await job.__anext__()


# -- client.py: a stream closed early --------------------------------------------------------


async def test_an_html_page_on_the_stream_that_is_not_utf8_is_still_a_page(qvq_at):
    """The stream's first bytes are decoded with replacement: a stray byte does not hide the page."""
    qvq_at.script = [b"<html><body>\xff\xfe Something went wrong</body></html>"]
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=2.0)
    assert str(error) == f"The Space at {qvq_at.url} is not serving its app"
    assert error.status == 200


# -- client.py: the event stream's request ------------------------------------------------------


async def test_the_event_stream_is_asked_for_with_the_joins_session_and_as_an_event_stream(qvq_at):
    outcome = await run()
    assert outcome.error is None and outcome.text == "Hello world"
    [join] = qvq_at.requests_to("/queue/join")
    [stream] = qvq_at.requests_to("/queue/data")
    assert stream.method == "GET"
    assert stream.query == {"session_hash": join.json()["session_hash"]}
    assert re.fullmatch(r"[0-9a-f]{12}", stream.query["session_hash"])
    assert stream.headers["accept"] == "text/event-stream"


# -- client.py: closing a job -------------------------------------------------------------------


class Drained:
    """A stand-in for the stream's request: how it was let go."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def finish(self, timeout: float) -> None:
        self.calls.append(("finish", timeout))

    def close(self) -> None:
        self.calls.append(("close",))


@pytest.mark.parametrize("left, drained", [(1000.0, 0.2), (0.2, 0.2), (0.125, 0.125), (0.0, 0.0), (-10.0, 0.0)])
async def test_a_completed_jobs_stream_is_drained_for_at_most_what_is_left_of_the_deadline(monkeypatch, left,
                                                                                             drained):
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    client = Unopened()
    client.deadline = 1000.0 + left
    job = Job(client, SimpleNamespace(major=5), SimpleNamespace(fn_index=3), "e1")
    job._request = request = Drained()
    job.finished = job.completed = True
    await job.aclose()
    assert request.calls == [("finish", drained)]
    assert client.cancelled == [] and job._request is None


async def test_an_unfinished_jobs_stream_is_dropped_after_the_cancel():
    client = Unopened()
    client.deadline = time.monotonic() + 1000.0
    job = Job(client, SimpleNamespace(major=5), SimpleNamespace(fn_index=3), "e1")
    job._request = request = Drained()
    await job.aclose()
    assert request.calls == [("close",)]
    assert client.cancelled == [(job.config, job.endpoint, "e1")] and job.finished is True


# -- client.py: how a job's reads end it ----------------------------------------------------------


def event(msg: str, **fields) -> bytes:
    return json.dumps({"msg": msg, "event_id": "e1", **fields}).encode()


def read_job(*batches) -> Job:
    job = Job(SpaceClient(URL, timeout=60.0, stall_timeout=7.0), SimpleNamespace(major=5),
              SimpleNamespace(fn_index=3), "e1")
    job._batches = Batches(*batches)
    return job


async def test_a_completion_finishes_and_completes_the_job():
    job = read_job([event("process_completed", output={"data": ["hi"]}, success=True)])
    assert await job.__anext__() == Completed(["hi"])
    assert job.finished is True and job.completed is True
    with pytest.raises(StopAsyncIteration):
        await job.__anext__()


async def test_a_failure_after_output_finishes_the_job_and_comes_after_the_output():
    job = read_job([event("process_generating", output={"data": ["par"]}, success=True),
                    event("unexpected_error", message="boom")])
    assert await job.__anext__() == Generating(["par"])
    assert job.finished is True and job.completed is False
    with pytest.raises(SpaceError) as caught:
        await job.__anext__()
    assert str(caught.value) == f"The Space at {URL} reported: boom" and caught.value.url == URL
    with pytest.raises(StopAsyncIteration):
        await job.__anext__()


async def test_a_failure_alone_finishes_the_job():
    job = read_job([event("unexpected_error", message="boom")])
    with pytest.raises(SpaceError) as caught:
        await job.__anext__()
    assert type(caught.value) is SpaceError and str(caught.value) == f"The Space at {URL} reported: boom"
    assert job.finished is True


@pytest.mark.parametrize("batches", [[[event("close_stream")]], []], ids=["close_stream", "eof"])
async def test_a_stream_closed_before_the_answer_finishes_the_job(batches):
    job = read_job(*batches)
    with pytest.raises(SpaceProtocolError) as caught:
        await job.__anext__()
    assert str(caught.value) == f"The Space at {URL} closed the stream before the answer was complete"
    assert job.finished is True and job.completed is False


async def test_a_gap_in_following_the_event_finishes_the_job_as_a_space_error(monkeypatch):
    job = read_job([event("heartbeat")])

    def broken(batch):
        raise KeyError("values")

    monkeypatch.setattr(job.state, "feed", broken)
    with pytest.raises(SpaceProtocolError) as caught:
        await job.__anext__()
    assert str(caught.value) == f"The Space at {URL} sent data this client cannot use (KeyError)"
    assert isinstance(caught.value.__cause__, KeyError) and job.finished is True


async def test_a_lost_connection_finishes_the_job_and_a_stalled_read_does_not():
    job = read_job(aiohttp.ServerDisconnectedError())
    with pytest.raises(SpaceConnectionError) as caught:
        await job.__anext__()
    assert str(caught.value).startswith(f"Cannot reach the Space at {URL}: ServerDisconnectedError")
    assert job.finished is True  # nothing to cancel: the connection is gone
    job = read_job(asyncio.TimeoutError())
    with pytest.raises(SpaceTimeoutError) as caught:
        await job.__anext__()
    assert str(caught.value) == f"The Space at {URL} sent nothing for 7 s"
    assert job.finished is False  # the job is still on the Space: aclose() cancels it


# -- diff.py: what a malformed operation says -----------------------------------------------------


@pytest.mark.parametrize(
    "value, ops, detail",
    [
        ([], "x" * 5, "str instead of a list"),
        ([], ["x" * 100], "operation '" + "x" * 78 + "…"),
        ([], [["add", [0]]], "operation ['add', [0]]"),
        ([], [["y" * 50, [], 1]], "unknown operation '" + "y" * 38 + "…"),
        ([], [["add", "p" * 100, 1]], "path '" + "p" * 78 + "…"),
        ([], [["add", [True], 1]], "path [True]"),
        ([], [["add", ["k" * 100, None], 1]], "path ['" + "k" * 77 + "…"),
        ([], [["add", [1.5], 1]], "path [1.5]"),
        ([], [["add", [1_000_000], 1]], "operation 'add' at [1000000] does not fit the value (IndexError)"),
        ([], [["add", [1_000_001], 1]], "index 1000001 out of range"),
        ([], [["add", [-1], 1]], "index -1 out of range"),
        ([], [["add", [10**50], 1]], "index 1" + "0" * 38 + "… out of range"),
        ({}, [["replace", ["k" * 70], 1]],
         "operation 'replace' at ['" + "k" * 57 + "… does not fit the value (KeyError)"),
    ],
)
def test_a_malformed_diff_says_what_and_where_cut_to_size(value, ops, detail):
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops(value, ops)
    assert str(caught.value) == f"Malformed diff from the Space: {detail}"


def test_a_diff_may_add_at_index_0_and_up_to_a_lists_end():
    assert apply_ops([], [["add", [0], "a"], ["add", [1], "b"], ["add", [0], "c"]]) == ["c", "a", "b"]


# -- diff.py: the fast path for a growing text --------------------------------------------------


@pytest.mark.parametrize(
    "ops, text",
    [
        ([], "a"),
        ([["append", [], "b"]], "ab"),
        ([["append", [], "b"], ["append", [], "c"]], "abc"),
        ([["replace", [], "x"]], "x"),
    ],
)
def test_a_rope_takes_a_diff_like_any_text(ops, text):
    rope = Rope("a")
    result = apply_ops(rope, ops)
    assert str(result) == text
    assert (result is rope) is (ops[:1] != [["replace", [], "x"]])


def test_a_plain_string_that_grows_becomes_a_rope():
    result = apply_ops("a", [["append", [], "b"]])
    assert type(result) is Rope and str(result) == "ab"


@pytest.mark.parametrize(
    "ops, detail",
    [
        ({}, "dict instead of a list"),
        ([["append", [0], "x"]], "operation 'append' at [0] does not fit the value (TypeError)"),
        ([("append", [], "x")], "operation ('append', [], 'x')"),
        ([["append", []]], "operation ['append', []]"),
        ([["append", [], "x", 1]], "operation ['append', [], 'x', 1]"),
        ([["append", [], ["x"]]], "cannot append list to text"),
        ([["APPEND", [], "x"]], "unknown operation 'APPEND'"),
        ([["XXappendXX", [], "x"]], "unknown operation 'XXappendXX'"),
    ],
)
def test_a_rope_is_refused_a_malformed_append_as_any_text(ops, detail):
    rope = Rope("a")
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops(rope, ops)
    assert str(caught.value) == f"Malformed diff from the Space: {detail}"
    assert rope.parts == ["a"]


# -- diff.py: runs of deletes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, ops, result",
    [
        ([0, 1, 2, 3], [["delete", [1], None], ["delete", [2], None]], [0, 3]),  # Gradio 4: original indices
        ([0, 1, 2, 3], [["delete", [1], None], ["delete", [1], None]], [0, 3]),  # Gradio 5: pre-shifted
        ([[1, 2], [3, 4]], [["delete", [0, 0], None], ["delete", [0, 1], None], ["delete", [1, 0], None]],
         [[], [4]]),  # two runs, one per list
        ({"a": 1, "b": 2, "c": 3}, [["delete", ["a"], None], ["delete", ["c"], None]], {"b": 2}),
        (["a", "b"], [["delete", [0], None], ["append", [0], "x"]], ["bx"]),  # an op after a run
    ],
)
def test_a_run_of_deletes_is_applied_from_the_highest_index_down(value, ops, result):
    # a copy: apply_ops edits in place, and mutmut runs the suite twice in one process
    assert materialize(apply_ops(copy.deepcopy(value), ops)) == result


def test_a_run_of_deletes_with_a_key_in_a_list_fails_after_the_indices_were_deleted():
    value = [1, 2, 3]
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops(value, [["delete", [0], None], ["delete", ["a"], None]])
    assert str(caught.value) == (
        "Malformed diff from the Space: operation 'delete' at ['a'] does not fit the value (IndexError)")
    assert value == [2, 3]


# -- diff.py: what an append may grow -------------------------------------------------------------


@pytest.mark.parametrize(
    "value, piece, result",
    [([None], "x", ["x"]), ([[1]], [2], [[1, 2]]), (["a"], "b", ["ab"])],
)
def test_an_append_grows_text_lists_and_nothing_into_text(value, piece, result):
    grown = apply_ops(copy.deepcopy(value), [["append", [0], piece]])
    assert materialize(grown) == result
    assert type(grown[0]) is (list if isinstance(piece, list) else Rope)


@pytest.mark.parametrize(
    "value, piece, detail",
    [([[1]], "x", "cannot append text to list"), ([5], "x", "cannot append text to int"),
     ([None], 5, "cannot append int to NoneType"), (["a"], [1], "cannot append list to text")],
)
def test_an_append_that_does_not_fit_names_both_kinds(value, piece, detail):
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops(value, [["append", [0], piece]])
    assert str(caught.value) == f"Malformed diff from the Space: {detail}"


def test_text_of_a_node():
    assert (text_of(None), text_of("a"), text_of(Rope("b"))) == ("", "a", "b")
    with pytest.raises(SpaceProtocolError) as caught:
        text_of(5)
    assert str(caught.value) == "Expected text from the Space, got int"


def test_a_new_rope_holds_its_base_as_its_only_part():
    assert (Rope().parts, Rope("").parts, Rope("a").parts) == ([], [], ["a"])
    assert (str(Rope()), str(Rope("a")), len(Rope("ab"))) == ("", "a", 2)


# -- client.py: the client's own limits on the event stream -------------------------------------


async def test_a_clients_event_limit_bounds_each_event_of_its_stream(qvq_at):
    """SpaceClient(limits=...) is the client's API for its bounds: one event over ``limits.event``
    is refused with that number, not with the 16 MiB default's."""
    from g4f_qwen_spaces.space.errors import SpaceLimitError as LimitError
    from g4f_qwen_spaces.space.limits import Limits

    qvq_at.script = [b"data: " + json.dumps({"msg": "estimation", "pad": "x" * 500}).encode() + b"\n\n"]
    async with SpaceClient(qvq_at.url, limits=Limits(event=400)) as client:
        config, endpoint = await client.endpoint("generate")
        job = await client.submit(config, endpoint, [None, "hi"])
        error = await raised_by(job, LimitError)
    assert str(error) == "The Space sent an event longer than the 400 bytes allowed"
    assert error.limit == "one event"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_event_stream_is_inflated(qvq_at, encoding):
    """A proxy in front of a Space may compress the event stream (HTTP's Content-Encoding,
    RFC 9110 §8.4); we ask for gzip and deflate only and inflate them ourselves, bounded."""
    import gzip
    import zlib

    from tests.faultserver import PREFIX, respond, sse, text_script

    body = b"".join(sse(step) for step in text_script(["Hel", "lo"]))
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    qvq_at.route("GET", f"{PREFIX}/queue/data",
                 respond(200, packed, content_type="text/event-stream", headers={"Content-Encoding": encoding}))
    outcome = await run()
    assert outcome.error is None, outcome.error
    assert outcome.text == "Hello"


async def test_the_deadline_is_checked_before_each_read_even_of_bytes_already_received(qvq_at):
    """Bytes already in aiohttp's buffer (or inflated from one compressed read) come without a
    wait, so no socket timeout can fire: the job checks the call's deadline itself (SSEBatches'
    ``check``), and a job read after its deadline fails with the deadline's message."""
    async with SpaceClient(qvq_at.url, timeout=1.0) as client:
        config, endpoint = await client.endpoint("generate")
        job = await client.submit(config, endpoint, [None, "hi"])
        await asyncio.sleep(max(client.deadline - time.monotonic(), 0) + 0.1)  # the whole answer has arrived
        error = await raised_by(job, SpaceTimeoutError)
    assert str(error) == f"The request to {qvq_at.url} ran out of its total timeout (1 s)"
