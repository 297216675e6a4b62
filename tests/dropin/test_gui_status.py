"""Waiting statuses through g4f's own servers, on every supported g4f (issue 19).

The GUI backend calls providers with ``ignore_stream=True`` (no ``stream``);
the API server's streams carry a status as ``delta.reasoning`` (``str()`` of
g4f's ``Reasoning``: ``"<label>: <status>\\n"``); its plain answers never do.

A Space that is not busy gives every job "position 1 of 1" when it joins:
nothing is shown. The busy case is made for real: the QVQ test Space runs one
job at a time (tests/dropin/conftest.py) and another caller keeps its worker
busy for ``HOLD`` seconds, so the request under test waits at position 1, past
the grace, and then gets "Waited N s in the Space's queue" before its text.
"""
from __future__ import annotations

import re
import threading

from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer
from tests.dropin.harness import parse_gui_stream, parse_sse_chat

QVQ, QWEN2 = "Qwen_QVQ_72B", "Qwen_Qwen_2_72B"
QUEUED = "Waiting in the Space's queue: position 1 of 1"
WAITED = re.compile(r"Waited (\d+(?:\.\d)?) s in the Space's queue")
HOLD = 2.5  # how long the other caller keeps the Space busy


def label(url: str) -> str:
    return "Space " + url.split("://", 1)[1].rstrip("/")


def hold(blocker) -> threading.Timer:
    timer = threading.Timer(HOLD, blocker.release)
    timer.start()
    return timer


def gui_ask(gui, provider: str, model: str, text: str, cid: str):
    body = {"model": model, "provider": provider, "conversation_id": cid, "id": cid,
            "messages": [{"role": "user", "content": text}]}
    stream = parse_gui_stream(gui.expect(gui.post("/backend-api/v2/conversation", body)).text)
    assert not stream.errors, f"{stream.errors}\n--- log tail ---\n{gui.log_tail()}"
    return stream


def test_gui_shows_no_status_when_nobody_waits(gui):
    """A warm Space that is not busy: no status at all.

    The first job of a Gradio server that has just started can take over the
    1 s grace to start on a loaded 2-core machine (a CI run showed a status
    here on g4f 8.0.5); a real Space that answers at once is warm, so one call
    first, whose answer is checked but not its statuses."""
    warm = gui_ask(gui, QWEN2, "qwen-2-72b", "Warm up.", "status-0")
    assert warm.content == chatbot_view(qwen2_answer("Warm up.", [], "You are a helpful assistant."), 4, "tuples")
    stream = gui_ask(gui, QWEN2, "qwen-2-72b", "Status first.", "status-1")
    reasoning = [e for e in stream.events if isinstance(e, dict) and e.get("type") == "reasoning"]
    assert reasoning == [], reasoning
    assert stream.content == chatbot_view(qwen2_answer("Status first.", [], "You are a helpful assistant."),
                                          4, "tuples")


def test_gui_shows_the_wait_then_how_long_it_was(gui, spaces, busy_qvq):
    timer = hold(busy_qvq("Busy LONG:6000 DELAY:0.05"))
    stream = gui_ask(gui, QVQ, "qvq-72b", "Was I queued?", "status-2")
    timer.join()
    kinds = [e.get("type") for e in stream.events if isinstance(e, dict)]
    reasoning = [e for e in stream.events if isinstance(e, dict) and e.get("type") == "reasoning"]
    assert [e.get("label") for e in reasoning] == [label(spaces.qvq.url)] * 2, reasoning
    assert reasoning[0]["status"] == QUEUED, reasoning
    waited = WAITED.fullmatch(reasoning[1]["status"])
    assert waited and 1.0 <= float(waited.group(1)) <= HOLD + 5, reasoning
    assert kinds.index("reasoning") < kinds.index("content"), kinds
    assert max(i for i, k in enumerate(kinds) if k == "reasoning") < kinds.index("content"), kinds
    assert stream.content == qvq_answer(None, None, "Was I queued?")


def test_api_streams_carry_the_same_sequence_as_reasoning(api, spaces, busy_qvq):
    body = {"model": "qvq-72b", "provider": QVQ, "messages": [{"role": "user", "content": "Status?"}]}
    expected = qvq_answer(None, None, "Status?")
    # nobody waits: no reasoning at all
    streamed, chunks = parse_sse_chat(api.expect(api.post("/v1/chat/completions", {**body, "stream": True})).text)
    assert streamed == expected, chunks
    assert [c for c in chunks if (c.get("choices") or [{}])[0].get("delta", {}).get("reasoning")] == []
    # busy: the status, then the final line, then the text
    timer = hold(busy_qvq("Busy LONG:6000 DELAY:0.05"))
    streamed, chunks = parse_sse_chat(api.expect(api.post("/v1/chat/completions", {**body, "stream": True})).text)
    timer.join()
    assert streamed == expected, chunks
    deltas = [(c.get("choices") or [{}])[0].get("delta", {}) for c in chunks]
    reasoning = [d["reasoning"] for d in deltas if d.get("reasoning")]
    prefix = label(spaces.qvq.url) + ": "
    assert len(reasoning) == 2 and reasoning[0] == f"{prefix}{QUEUED}\n", reasoning
    assert reasoning[1].startswith(prefix) and WAITED.fullmatch(reasoning[1][len(prefix):].rstrip("\n")), reasoning
    first_text = next(i for i, d in enumerate(deltas) if d.get("content"))
    assert all(not d.get("content") for d in deltas[:first_text]) and deltas[first_text - 1].get("reasoning")
    # a plain answer has no status, busy or not
    timer = hold(busy_qvq("Busy LONG:6000 DELAY:0.05"))
    answer = api.expect(api.post("/v1/chat/completions", body)).json()
    timer.join()
    assert answer["choices"][0]["message"]["content"] == expected, answer
    assert not answer["choices"][0]["message"].get("reasoning"), answer
