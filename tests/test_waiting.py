"""The rules for waiting statuses (space/waiting.py), on a clock the test moves.

Why the rules: Gradio sends every job an ``estimation`` with rank 0 when it
joins (gradio/queueing.py, ``Queue.push`` then ``send_estimation``), so
"position 1 of 1" says nothing by itself; issue 19 asks for a status only on a
real wait, and for a final line instead of a stale one.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from g4f_qwen_spaces.space.queue import QueueStatus
from g4f_qwen_spaces.space.waiting import GRACE, WaitingStatus, seconds_text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(grace: float = GRACE) -> tuple[WaitingStatus, Clock]:
    clock = Clock()
    return WaitingStatus(grace=grace, clock=clock), clock


FIRST = QueueStatus(rank=0, queue_size=1)
AHEAD = QueueStatus(rank=1, queue_size=2, eta=3.2)
STARTS = QueueStatus(started=True)


def test_the_grace_is_one_second():
    assert GRACE == 1.0


@pytest.mark.parametrize("seconds, text", [
    (0, "0.0 s"), (-3, "0.0 s"), (0.04, "0.0 s"), (0.05, "0.1 s"), (1.26, "1.3 s"), (9.94, "9.9 s"),
    (9.96, "10 s"), (10.4, "10 s"), (10.6, "11 s"), (59.4, "59 s"), (125, "125 s"),
])
def test_seconds_text(seconds, text):
    assert seconds_text(seconds) == text


def test_a_job_that_starts_at_once_shows_nothing():
    waits, clock = make()
    waits.joined()
    clock.now += 0.3
    assert waits.queue(FIRST) is None
    assert waits.due_at == 100.0 + GRACE
    clock.now += 0.2
    assert waits.queue(STARTS) is None
    assert waits.due_at is None and waits.due() is None
    clock.now += 5
    assert waits.answering() is None and waits.failed() is None
    assert waits.shown is False


def test_someone_ahead_is_shown_at_once_then_every_update_until_the_start():
    waits, clock = make()
    waits.joined()
    assert waits.queue(AHEAD) == "Waiting in the Space's queue: position 2 of 2, about 3 s"
    assert waits.due_at is None  # shown: no timer
    clock.now += 2
    assert waits.queue(FIRST) == "Waiting in the Space's queue: position 1 of 1"
    clock.now += 0.5
    assert waits.queue(STARTS) is None
    clock.now += 4  # the model's first token takes a while: not counted as waiting
    assert waits.answering() == "Waited 2.5 s in the Space's queue"
    assert waits.answering() is None  # once
    assert waits.failed() is None


def test_position_one_past_the_grace_is_shown_when_the_timer_fires():
    waits, clock = make()
    waits.joined()
    assert waits.queue(FIRST) is None
    clock.now += GRACE - 0.01
    assert waits.due_at == 100.0 + GRACE  # the caller's timer has not fired yet
    clock.now += 0.01
    assert waits.due() == "Waiting in the Space's queue: position 1 of 1"
    assert waits.due() is None and waits.due_at is None
    clock.now += 1.2
    assert waits.answering() == "Waited 2.2 s in the Space's queue"


def test_an_update_after_the_grace_is_shown_without_the_timer():
    waits, clock = make()
    waits.joined()
    clock.now += GRACE
    assert waits.queue(FIRST) == "Waiting in the Space's queue: position 1 of 1"


def test_no_estimate_before_the_grace_shows_a_plain_status():
    waits, clock = make()
    waits.joined()
    clock.now += GRACE
    assert waits.due() == "Waiting in the Space's queue"


def test_no_timer_before_a_job_joined():
    waits, _ = make()
    assert waits.due_at is None and waits.due() is None


def test_waking_is_always_shown_and_the_final_line_says_so():
    waits, clock = make()
    assert waits.waking("The Space is waking up (0 s)…") == "The Space is waking up (0 s)…"
    clock.now += 30
    waits.joined()
    assert waits.queue(FIRST) == "Waiting in the Space's queue: position 1 of 1"  # already shown: updated
    clock.now += 0.4
    assert waits.answering() == "Waited 30 s for the Space to start"


def test_a_failure_after_a_status_ends_the_line_once():
    waits, clock = make()
    waits.joined()
    waits.queue(AHEAD)
    clock.now += 3.25
    assert waits.failed() == "Stopped after 3.2 s"
    assert waits.failed() is None and waits.answering() is None


def test_a_later_copy_starts_its_own_grace():
    waits, clock = make()
    waits.joined()
    clock.now += 0.5
    waits.queue(STARTS)  # the first copy started, then failed before any text
    clock.now += 1
    waits.joined()
    assert waits.due_at == clock.now + GRACE
    assert waits.queue(FIRST) is None


EVENTS = st.lists(st.one_of(
    st.tuples(st.just("tick"), st.floats(0, 3)),
    st.tuples(st.just("queue"), st.integers(0, 3)),
    st.tuples(st.just("start"), st.none()),
    st.tuples(st.just("due"), st.none()),
    st.tuples(st.just("waking"), st.none()),
    st.tuples(st.just("join"), st.none()),
    st.tuples(st.just("text"), st.none()),
    st.tuples(st.just("fail"), st.none()),
), max_size=30)


@given(EVENTS)
def test_a_status_only_on_a_real_wait_and_one_final_line(events):
    waits, clock = make()
    joined_at = None
    real_wait = False
    finals = 0
    for kind, value in events:
        shown = None
        if kind == "tick":
            clock.now += value
        elif kind == "join":
            waits.joined()
            joined_at = clock.now
        elif kind == "queue":
            before = waits.shown
            shown = waits.queue(QueueStatus(rank=value, queue_size=value + 1))
            past_grace = joined_at is not None and clock.now - joined_at >= GRACE
            real_wait = real_wait or (shown is not None and (before or value >= 1 or past_grace))
        elif kind == "start":
            waits.queue(STARTS)
        elif kind == "due":
            due_at = waits.due_at
            if due_at is not None and clock.now >= due_at:
                shown = waits.due()
                real_wait = real_wait or shown is not None
        elif kind == "waking":
            shown = waits.waking("The Space is waking up (0 s)…")
            real_wait = True
        elif kind in ("text", "fail"):
            line = waits.answering() if kind == "text" else waits.failed()
            if line is not None:
                finals += 1
                assert line.startswith(("Waited ", "Stopped after ")) and line.endswith((" s", " queue", " start"))
        if shown is not None:
            assert real_wait, (kind, value)
    assert finals <= 1
    assert waits.shown == real_wait


# -- how a status reaches g4f ------------------------------------------------------------


def test_a_status_is_g4f_s_reasoning_with_the_space_as_its_label():
    from g4f.providers.response import Reasoning

    from g4f_qwen_spaces.providers.base import _status, space_label

    label = space_label("https://user:pw@qwen-qvq-72b-preview.hf.space/")
    assert label == "Space qwen-qvq-72b-preview.hf.space"
    assert space_label("http://127.0.0.1:7860/gradio") == "Space 127.0.0.1:7860"
    status = _status("Waiting in the Space's queue: position 2 of 3", label)
    assert type(status) is Reasoning
    assert (status.label, status.status, status.token) == (label, "Waiting in the Space's queue: position 2 of 3", None)
    # what the GUI backend and the API server make of it
    assert status.get_dict() == {"label": label, "status": "Waiting in the Space's queue: position 2 of 3"}
    assert str(status) == f"{label}: Waiting in the Space's queue: position 2 of 3\n"


def test_a_g4f_whose_reasoning_has_no_label_gets_the_status_alone(monkeypatch):
    import g4f.providers.response as response

    from g4f_qwen_spaces.providers.base import _status

    class Unlabelled:
        def __init__(self, token=None, status=None):
            self.token, self.status = token, status

    monkeypatch.setattr(response, "Reasoning", Unlabelled)
    status = _status("Waited 2.0 s in the Space's queue", "Space h")
    assert type(status) is Unlabelled and status.status == "Waited 2.0 s in the Space's queue"


def test_the_readme_shows_the_lines_the_code_makes():
    """README "In g4f's GUI": the final lines and the grace, word for word."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    queued, clock = make()
    queued.joined()
    queued.queue(AHEAD)
    clock.now += 4.2
    queued.queue(STARTS)
    woke, clock = make()
    woke.waking("The Space is waking up (0 s)…")
    clock.now += 35
    failed, clock = make()
    failed.waking("The Space is waking up (0 s)…")
    clock.now += 12
    for line in (queued.answering(), woke.answering(), failed.failed()):
        assert f"`{line}`" in readme, line
    assert f"a {GRACE:.0f} s grace" in readme
    assert "`Space qwen-qvq-72b-preview.hf.space: Waiting in the Space's queue: position 2 of 3, about 8 s`" in readme
    assert QueueStatus(rank=1, queue_size=3, eta=8.2).describe() == "Waiting in the Space's queue: position 2 of 3, about 8 s"
