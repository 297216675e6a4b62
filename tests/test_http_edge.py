"""Failures a loopback server cannot produce on demand, through aioresponses.

DNS and TLS failures need a real name and a real certificate. aioresponses
raises them from inside aiohttp, and each must come out as a g4f error with a
plain message. (aioresponses 0.7.9 cannot build responses on aiohttp 3.14, so
responses come from the loopback fault server in test_faults.py instead.)
"""
from __future__ import annotations

import socket
import ssl

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses
from g4f.errors import ModelNotFoundError, ResponseError

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.space.errors import SpaceConnectionError, SpaceInputError

pytestmark = pytest.mark.usefixtures("real_urls")

URL = Qwen_QVQ_72B.url
KEY = ConnectionKey("qwen-qvq-72b-preview.hf.space", 443, True, True, None, None, None)
HI = [{"role": "user", "content": "Hi"}]


async def drain(provider=Qwen_QVQ_72B, messages=HI, **kwargs):
    return [c async for c in provider.create_async_generator(kwargs.pop("model", ""), messages, **kwargs)]


@pytest.mark.parametrize(
    "error, words",
    [
        (aiohttp.ClientConnectorDNSError(KEY, socket.gaierror(-2, "Name or service not known")), "Name or service not known"),
        (aiohttp.ClientConnectorCertificateError(KEY, ssl.SSLCertVerificationError(1, "certificate verify failed")), "certificate verify failed"),
        (aiohttp.ServerDisconnectedError(), "ServerDisconnectedError"),
    ],
    ids=["dns", "tls", "disconnected"],
)
async def test_network_failures_are_response_errors(error, words):
    with aioresponses() as mocked:
        mocked.get(f"{URL}/config", exception=error)
        with pytest.raises(SpaceConnectionError) as caught:
            await drain()
    assert isinstance(caught.value, ResponseError)
    message = str(caught.value)
    assert message.startswith(f"Cannot reach the Space at {URL}: ")
    assert words in message
    assert "<" not in message


@pytest.mark.parametrize(
    "provider, messages, media, model, error, text",
    [
        (Qwen_QVQ_72B, [], None, "", SpaceInputError, "No messages"),
        (Qwen_QVQ_72B, [{"role": "system", "content": "x"}], None, "", SpaceInputError, "No user message"),
        (Qwen_QVQ_72B, [{"role": "user", "content": 42}], None, "", SpaceInputError, "content of type int"),
        (Qwen_QVQ_72B, HI, None, "gpt-4", ModelNotFoundError, "available: qwen-qvq-72b-preview, qvq-72b"),
        (Qwen_Qwen_2_72B, HI, [(b"\x89PNG\r\n\x1a\n", "a.png")], "", SpaceInputError, "takes text only"),
        (Qwen_QVQ_72B, HI, [(b"%PDF-1.7 ...", "a.pdf")], "", SpaceInputError, "not an image"),
        (Qwen_Qwen_2_72B, [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], None, "",
         SpaceInputError, "last message must be the user's"),
    ],
)
async def test_bad_input_sends_nothing(provider, messages, media, model, error, text):
    with aioresponses() as mocked:  # nothing registered: any request would fail loudly
        with pytest.raises(error, match=text):
            await drain(provider, messages, media=media, model=model)
        assert mocked.requests == {}
