"""``proxy=`` end to end: every request of a call goes through the proxy, and nothing around it.

One call with an image URL, stopped after two chunks, makes every kind of
request the client has: the image download, ``/config``, the upload,
``queue/join``, ``queue/data`` and the cancel. A recording forward proxy
(tests/recordingproxy.py) connects to the servers from 127.0.0.2, so each
request a server received says which way it came: every one must have come
from the proxy, and the proxy must have forwarded exactly those.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from g4f_qwen_spaces import Qwen_QVQ_72B
from tests.faultserver import PREFIX
from tests.recordingproxy import UPSTREAM_HOST, RecordingProxy
from tests.test_faults import HI, cancel_was_sent, slow_script


def _through(proxy: RecordingProxy) -> list[tuple[str, str, str]]:
    return [(f.method, f"{urlsplit(f.url).scheme}://{urlsplit(f.url).netloc}", urlsplit(f.url).path)
            for f in proxy.forwarded]


async def _stopped_call(space, images, **kwargs) -> list:
    space.script = slow_script()
    chunks: list = []
    generator = Qwen_QVQ_72B.create_async_generator("", HI, media=[(f"{images.url}/pics/fox.png", None)], **kwargs)
    async for chunk in generator:
        chunks.append(chunk)
        if len(chunks) == 2:
            break
    await generator.aclose()
    return chunks


async def test_every_request_of_a_call_goes_through_the_proxy(qvq_at, image_host, proxy):
    chunks = await _stopped_call(qvq_at, image_host, proxy=proxy.url)
    assert chunks == ["p0", " p1"]
    await cancel_was_sent(qvq_at)
    space, image = qvq_at.url, image_host.url
    assert sorted(_through(proxy)) == sorted([
        ("GET", image, "/pics/fox.png"),
        ("GET", space, "/config"),
        ("POST", space, f"{PREFIX}/upload"),
        ("POST", space, f"{PREFIX}/queue/join"),
        ("GET", space, f"{PREFIX}/queue/data"),
        ("POST", space, f"{PREFIX}/cancel"),
    ])
    # The servers saw those requests, and only from the proxy's side.
    assert len(qvq_at.requests) == 5 and len(image_host.requests) == 1
    assert {r.peer[0] for r in qvq_at.requests + image_host.requests} == {UPSTREAM_HOST}
    assert qvq_at.requests_to("/upload")[0].files == ["fox.png"]


async def test_without_a_proxy_the_servers_are_reached_directly(qvq_at, image_host, proxy):
    """The same call without ``proxy=``: the check above can tell the difference."""
    chunks = await _stopped_call(qvq_at, image_host)
    assert chunks == ["p0", " p1"]
    await cancel_was_sent(qvq_at)
    assert proxy.forwarded == []
    assert {r.peer[0] for r in qvq_at.requests + image_host.requests} == {"127.0.0.1"}


def test_g4f_passes_the_proxy_on(qvq_at, proxy):
    import g4f

    answer = g4f.ChatCompletion.create(model="qvq-72b", provider=Qwen_QVQ_72B, messages=HI, proxy=proxy.url)
    assert answer == "Hello world"
    assert [path for _, _, path in _through(proxy)] == ["/config", f"{PREFIX}/queue/join", f"{PREFIX}/queue/data"]
    assert {r.peer[0] for r in qvq_at.requests} == {UPSTREAM_HOST}
