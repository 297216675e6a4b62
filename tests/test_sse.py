"""SSE parsing: event boundaries anywhere, no line-length limit, clear errors."""
import json

import aiohttp
import pytest
from aiohttp.http_exceptions import LineTooLong
from aiohttp import web

from g4f_qwen_spaces.space.errors import SpaceProtocolError
from g4f_qwen_spaces.space.sse import SSEParser, iter_sse, iter_sse_batches

MESSAGES = [
    {"msg": "estimation", "event_id": "e1", "rank": 0, "queue_size": 1, "rank_eta": None},
    {"msg": "process_generating", "event_id": "e1", "output": {"data": ["你好 👋"]}, "success": True},
    {"msg": "heartbeat", "event_id": None},
    {"msg": "close_stream", "event_id": None},
]
BODY = b"".join(b"data: " + json.dumps(m, ensure_ascii=False).encode() + b"\n\n" for m in MESSAGES)


def test_whole_body():
    assert list(iter_sse(BODY)) == MESSAGES


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_split_at_every_boundary(size):
    parser = SSEParser()
    payloads = []
    for start in range(0, len(BODY), size):
        payloads += parser.feed(BODY[start : start + size])
    assert parser.close() is None
    assert [json.loads(p) for p in payloads] == MESSAGES
    assert parser.pending == 0


def test_crlf_comments_and_multiline_data():
    body = b": keep-alive\r\n\r\nevent: x\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\ndata:{\"b\":2}\n\n"
    assert list(iter_sse(body)) == [{"a": 1}, {"b": 2}]


def test_last_event_without_blank_line():
    assert list(iter_sse(b'data: {"a": 1}\n\ndata: {"b": 2}')) == [{"a": 1}, {"b": 2}]


def test_malformed_json_is_a_protocol_error_with_excerpt():
    with pytest.raises(SpaceProtocolError, match=r"Malformed event from the Space: \{not json"):
        list(iter_sse(b"data: {not json\n\n"))


async def test_event_larger_than_aiohttp_line_limit_from_a_real_server(unused_tcp_port_factory):
    """A 1.2 MB chat-history event: aiohttp's readline raises LineTooLong; we don't."""
    history = [["question %d" % i, "answer " * 200] for i in range(800)]
    event = {"msg": "process_completed", "event_id": "e", "output": {"data": ["", history]}, "success": True}
    body = b"data: " + json.dumps(event).encode() + b"\n\n"
    assert len(body) > 1_000_000

    async def handler(request):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for start in range(0, len(body), 8192):
            await response.write(body[start : start + 8192])
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = unused_tcp_port_factory()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                with pytest.raises(LineTooLong, match="Got more than"):
                    async for _ in response.content:
                        pass
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                batches = [b async for b in iter_sse_batches(response.content.iter_any())]
        assert sum(len(b) for b in batches) == 1
        assert json.loads(batches[-1][0])["output"]["data"][1] == history
    finally:
        await runner.cleanup()
