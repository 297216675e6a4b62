"""Connection reuse against real Gradio servers (4, 5 and 6): what each sends after an answer.

The fault server's stream ends the way GRADIO_PROTOCOL.md records for Gradio
5 (``close_stream``, then the end of the response). Here the real servers
decide: if one kept the stream open after the answer, or ended it in a way
we did not read to its end, every call would open a new connection.
Connections are counted on our side (``socket.connect`` audit events).
"""
from __future__ import annotations

import pytest

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from tests.apps.fakemodel import qvq_answer
from tests.faultserver import CONNECTIONS, address


async def _texts(provider, calls: int) -> list[str]:
    texts = []
    for index in range(calls):
        chunks = [c async for c in provider.create_async_generator(
            "", [{"role": "user", "content": f"Call {index}."}]) if isinstance(c, str)]
        texts.append("".join(chunks))
    return texts


@pytest.mark.parametrize("calls", [10])
async def test_ten_qvq_calls_on_one_connection(qvq, calls):
    start = len(CONNECTIONS)
    texts = await _texts(Qwen_QVQ_72B, calls)
    assert texts == [qvq_answer(None, None, f"Call {i}.") for i in range(calls)]
    assert CONNECTIONS[start:].count(address(qvq.url)) == 1, qvq.version


@pytest.mark.parametrize("calls", [10])
async def test_ten_qwen2_calls_on_one_connection(qwen2, calls):
    start = len(CONNECTIONS)
    texts = await _texts(Qwen_Qwen_2_72B, calls)
    assert all(f"Call {i}." in text for i, text in enumerate(texts)), texts
    assert CONNECTIONS[start:].count(address(qwen2.url)) == 1, qwen2.version
