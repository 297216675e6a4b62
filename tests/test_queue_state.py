"""Queue messages → updates, on messages captured from real servers."""
import pytest

from g4f_qwen_spaces.space.diff import materialize
from g4f_qwen_spaces.space.errors import SpaceAppError, SpaceError, SpaceProtocolError, SpaceQuotaError
from g4f_qwen_spaces.space.queue import Completed, EventState, Generating, QueueStatus


def gen(data, event_id="e1"):
    return {"msg": "process_generating", "event_id": event_id, "output": {"data": data}, "success": True}


def done(data, event_id="e1"):
    return {"msg": "process_completed", "event_id": event_id, "output": {"data": data}, "success": True}


def test_full_stream_of_one_event():
    state = EventState("e1", major=5)
    updates = state.feed(
        [
            {"msg": "estimation", "event_id": "e1", "rank": 1, "queue_size": 2, "rank_eta": 2.39},
            {"msg": "process_starts", "event_id": "e1", "eta": 0.81},
            gen(["The"]),
            {"msg": "heartbeat", "event_id": None},
            gen([[["append", [], " quick"]]]),
        ]
    )
    assert updates[0] == QueueStatus(rank=1, queue_size=2, eta=2.39)
    assert updates[0].describe() == "Waiting in the Space's queue: position 2 of 2, about 2 s"
    assert updates[1] == QueueStatus(eta=0.81, started=True)
    assert isinstance(updates[2], Generating) and len(updates) == 3  # one per batch
    assert materialize(updates[2].values) == ["The quick"]
    final = state.feed([done(["The quick brown"]), {"msg": "close_stream", "event_id": None}])
    assert isinstance(final[0], Completed) and final[0].values == ["The quick brown"]
    assert state.completed and state.closed


@pytest.mark.parametrize(
    "status, text",
    [
        (QueueStatus(rank=0, queue_size=1, eta=0.4), "Waiting in the Space's queue: position 1 of 1"),
        (QueueStatus(rank=0, queue_size=1, eta=0.5), "Waiting in the Space's queue: position 1 of 1"),
        (QueueStatus(rank=0, queue_size=1, eta=0.6), "Waiting in the Space's queue: position 1 of 1, about 1 s"),
        (QueueStatus(rank=4, queue_size=9, eta=61.7), "Waiting in the Space's queue: position 5 of 9, about 62 s"),
        (QueueStatus(rank=2), "Waiting in the Space's queue: position 3"),
        (QueueStatus(eta=3.2), "Waiting in the Space's queue, about 3 s"),
        (QueueStatus(eta=0.81, started=True), "Generating (about 1 s)"),
        (QueueStatus(eta=0.2, started=True), "Generating"),
    ],
)
def test_status_texts_leave_out_an_estimate_of_zero_seconds(status, text):
    assert status.describe() == text


def test_other_events_of_the_session_are_ignored():
    state = EventState("mine")
    updates = state.feed([gen(["theirs"], "other"), gen(["mine"], "mine")])
    assert [materialize(u.values) for u in updates] == [["mine"]]


def test_unchanged_outputs_are_empty_op_lists():
    state = EventState("e1", major=4)
    state.feed([gen(["", [["Hi", "Hello"]], "You are a helpful assistant."])])
    [update] = state.feed([gen([[], [["append", [0, 1], " there"]], []])])
    assert materialize(update.values) == ["", [["Hi", "Hello there"]], "You are a helpful assistant."]


@pytest.mark.parametrize(
    "major, output, kind, text",
    [
        (4, {"error": "'You have exceeded your GPU quota'", "duration": 10}, SpaceQuotaError,
         "You have exceeded your GPU quota"),
        (5, {"error": "You have exceeded your GPU quota", "title": "Error"}, SpaceQuotaError,
         "You have exceeded your GPU quota"),
        (4, {"error": "'it\\'s broken'"}, SpaceAppError, "it's broken"),
        (6, {"error": "'quoted on purpose'"}, SpaceAppError, "'quoted on purpose'"),
        (5, {"error": None}, SpaceAppError, "failed without a message"),
    ],
)
def test_failed_completion_carries_the_space_message(major, output, kind, text):
    state = EventState("e1", major=major, base_url="http://space")
    with pytest.raises(kind) as caught:
        state.feed([{"msg": "process_completed", "event_id": "e1", "output": output, "success": False}])
    assert text in str(caught.value)
    if kind is SpaceAppError and output["error"]:
        assert str(caught.value) == text


def test_quota_retry_time_is_parsed():
    state = EventState("e1", major=5)
    message = "You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:01:05"
    with pytest.raises(SpaceQuotaError) as caught:
        state.feed([{"msg": "process_completed", "event_id": "e1", "output": {"error": message}, "success": False}])
    assert caught.value.retry_after == 65.0


def test_cancelled_job_and_unexpected_error():
    state = EventState("e1", base_url="http://space")
    with pytest.raises(SpaceAppError, match="cancelled"):
        state.feed([{"msg": "process_completed", "event_id": "e1", "output": {}, "success": True}])
    with pytest.raises(SpaceError, match="404: Session not found"):
        EventState("e2").feed([{"msg": "unexpected_error", "event_id": None, "message": "404: Session not found.", "success": False}])


def test_garbage_messages_are_protocol_errors():
    with pytest.raises(SpaceProtocolError):
        EventState("e1").feed(["not a dict"])
    with pytest.raises(SpaceProtocolError, match="number of outputs"):
        state = EventState("e1")
        state.feed([gen(["a", "b"])])
        state.feed([gen([[]])])
