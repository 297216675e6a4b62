"""Connections through ``g4f api``: one server process, one event loop, one pool.

Issue 18: 20 requests through ``g4f api`` opened 20 connections to the Space,
each paying a TCP (and, on ``hf.space``, a TLS) handshake. The Space here is
:class:`tests.faultserver.FaultServer` in this test process; it records the
client port of every request, so it counts the connections the g4f server
opened, whatever g4f does inside.
"""
from __future__ import annotations

import json

from tests.dropin.harness import QVQ_URL_ENV, start_api


def answer_text(text: str, streamed: bool) -> str:
    """The answer's text: the message's content, or a stream's deltas joined."""
    if not streamed:
        return str(json.loads(text)["choices"][0]["message"]["content"])
    deltas = [json.loads(line[6:])["choices"][0]["delta"] for line in text.splitlines()
              if line.startswith("data: {")]
    return "".join(d.get("content") or "" for d in deltas)


def test_twenty_requests_through_g4f_api_share_a_few_connections(dropin_venv, fault):
    api = start_api(dropin_venv, {QVQ_URL_ENV: fault.url})
    try:
        body = {"model": "qvq-72b", "provider": "Qwen_QVQ_72B",
                "messages": [{"role": "user", "content": "Hi"}]}
        for index in range(20):
            streamed = index % 2 == 1
            answer = api.expect(api.post("/v1/chat/completions", {**body, "stream": streamed}))
            # A stream's text comes in deltas, split wherever the Space's reads were.
            assert answer_text(answer.text, streamed) == "Hello world", answer.text[:500]
    finally:
        api.stop()
    assert len(fault.requests_to("/queue/join")) == 20
    # 1 on g4f 0.6.4.3, 7.5.0, 8.0.5 and 8.8.6 alike: the server's one loop, one pool. A gap
    # of over 4 s (the pool's idle limit) between two requests on a stalled machine
    # legitimately opens another, so "at most a few". (An exact "== 1" failed once with the
    # whole Gradio layer running beside it; the count was not captured.)
    assert fault.connections() <= 3, [r.peer for r in fault.requests]
