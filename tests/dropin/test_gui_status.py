"""Queue statuses through g4f's own servers, on every supported g4f.

The GUI backend calls providers with ``ignore_stream=True`` (no ``stream``):
its event stream must carry our queue status before the answer.  The API
server's streams carry it as ``delta.reasoning``; its plain answers never.
A Gradio Space sends every job its queue position when it joins (position 1
of 1 when nobody waits), so no busy Space is needed to see one.
"""
from __future__ import annotations

import re

from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer
from tests.dropin.harness import parse_gui_stream, parse_sse_chat

QVQ, QWEN2 = "Qwen_QVQ_72B", "Qwen_Qwen_2_72B"
STATUS = re.compile(r"Waiting in the Space's queue: position 1 of 1(, about \d+ s)?")


def test_gui_conversation_shows_the_queue_status_before_the_answer(gui):
    body = {"model": "qwen-2-72b", "provider": QWEN2, "conversation_id": "status-1", "id": "s1",
            "messages": [{"role": "user", "content": "Status first."}]}
    stream = parse_gui_stream(gui.expect(gui.post("/backend-api/v2/conversation", body)).text)
    assert not stream.errors, f"{stream.errors}\n--- log tail ---\n{gui.log_tail()}"
    kinds = [e.get("type") for e in stream.events if isinstance(e, dict)]
    statuses = [e.get("status") for e in stream.events if isinstance(e, dict) and e.get("type") == "reasoning"]
    assert statuses and all(STATUS.fullmatch(str(s)) for s in statuses), stream.events
    assert kinds.index("reasoning") < kinds.index("content"), kinds
    assert stream.content == chatbot_view(qwen2_answer("Status first.", [], "You are a helpful assistant."),
                                          4, "tuples")


def test_api_streams_carry_the_status_as_reasoning_and_answers_do_not(api):
    body = {"model": "qvq-72b", "provider": QVQ, "messages": [{"role": "user", "content": "Status?"}]}
    expected = qvq_answer(None, None, "Status?")
    streamed, chunks = parse_sse_chat(api.expect(api.post("/v1/chat/completions", {**body, "stream": True})).text)
    assert streamed == expected, chunks
    deltas = [(c.get("choices") or [{}])[0].get("delta", {}) for c in chunks]
    reasoning = [d["reasoning"] for d in deltas if d.get("reasoning")]
    assert reasoning and all(STATUS.fullmatch(r.strip()) for r in reasoning), deltas
    answer = api.expect(api.post("/v1/chat/completions", body)).json()
    assert answer["choices"][0]["message"]["content"] == expected, answer
