"""Bad requests through g4f's public API: each fails with a clear error and sends nothing.

The Space is the fault server, which records every request it gets; each
case runs through ``g4f.ChatCompletion.create`` and the ``g4f.client``
Client with our provider, and the server must see zero requests.
"""
from __future__ import annotations

import importlib.metadata
import re

import g4f
import pytest
from g4f.client import Client
from g4f.errors import G4FError, ModelNotFoundError

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.space import SpaceInputError

HI = [{"role": "user", "content": "hi"}]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# case: (provider, call arguments, error class, message pattern)
CASES = {
    "no-messages": (Qwen_QVQ_72B, {"messages": []}, SpaceInputError, r"No messages"),
    "message-without-content": (
        Qwen_QVQ_72B, {"messages": [{"role": "user"}]}, SpaceInputError,
        # g4f's client drops a message without content before we see it.
        r"Message 0 has no 'content'|No messages: send at least one user message",
    ),
    "content-a-number": (
        Qwen_Qwen_2_72B, {"messages": [{"role": "user", "content": 42}]}, SpaceInputError, r"content of type int",
    ),
    "model-a-number": (Qwen_QVQ_72B, {"model": 5}, ModelNotFoundError, r"The model name must be a string, got int"),
    "model-a-list": (Qwen_Qwen_2_72B, {"model": ["x"]}, ModelNotFoundError,
                     r"The model name must be a string, got list"),
    "unknown-model": (Qwen_QVQ_72B, {"model": "gpt-4"}, ModelNotFoundError, r"available: qwen-qvq-72b-preview, qvq-72b"),
    "timeout-nan": (Qwen_QVQ_72B, {"timeout": float("nan")}, SpaceInputError,
                    r"timeout must be a finite positive number, got nan"),
    "timeout-inf": (Qwen_QVQ_72B, {"timeout": float("inf")}, SpaceInputError,
                    r"timeout must be a finite positive number, got inf"),
    "timeout-negative": (Qwen_QVQ_72B, {"timeout": -1}, SpaceInputError,
                         r"timeout must be a finite positive number, got -1"),
    "stall-timeout-nan": (Qwen_QVQ_72B, {"stall_timeout": float("nan")}, SpaceInputError,
                          r"stall_timeout must be a finite positive number, got nan"),
    "stall-timeout-inf": (Qwen_Qwen_2_72B, {"stall_timeout": float("inf")}, SpaceInputError,
                          r"stall_timeout must be a finite positive number, got inf"),
    "token-with-crlf": (Qwen_QVQ_72B, {"api_key": "hf_abcdef\r\nX-Evil: 1"}, SpaceInputError,
                        r"api_key contains control characters"),
    "token-not-a-string": (Qwen_Qwen_2_72B, {"api_key": 12345678}, SpaceInputError, r"api_key must be a string"),
    "image-to-text-only": (Qwen_Qwen_2_72B, {"media": [(PNG, "a.png")]}, SpaceInputError, r"takes text only"),
    "two-images": (Qwen_QVQ_72B, {"media": [(PNG, "a.png"), (PNG, "b.png")]}, SpaceInputError,
                   r"takes one image per request; got 2"),
    "not-an-image": (Qwen_QVQ_72B, {"media": [(b"%PDF-1.7", "a.pdf")]}, SpaceInputError, r"not an image"),
    "last-message-not-user": (
        Qwen_Qwen_2_72B, {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
        SpaceInputError, r"last message must be the user's",
    ),
}
#: Cases that g4f 0.6 handles itself: it keeps ``timeout`` for its own wait_for.
G4F_APPLIES_TIMEOUT = {"timeout-nan", "timeout-inf", "timeout-negative"}
G4F_KEEPS_TIMEOUT = importlib.metadata.version("g4f").startswith("0.")
ENV_CASES = {
    "url-with-crlf": ("{url}\r\n", r"{env} contains control characters"),
    "url-with-header": ("{url}\nHost: evil", r"{env} contains control characters"),
    "url-not-http": ("ftp://127.0.0.1/", r"{env}='ftp://127.0.0.1/' is not an http\(s\) URL with a host"),
    "url-with-credentials": ("http://user:pw@127.0.0.1:1", r"{env} must be a plain base URL"),
}


def call(api: str, provider: type, arguments: dict) -> str:
    request = {"model": "", "messages": HI, **arguments}
    if api == "ChatCompletion":
        return str(g4f.ChatCompletion.create(provider=provider, **request))
    return str(Client(provider=provider).chat.completions.create(**request).choices[0].message.content)


@pytest.mark.parametrize("api", ["ChatCompletion", "Client"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_before_anything_is_sent(recorder, api, case):
    provider, arguments, kind, pattern = CASES[case]
    try:
        answer = call(api, provider, arguments)
    except Exception as error:  # noqa: BLE001 - inspected below
        caught = error
    else:
        # g4f 0.6 keeps ``timeout`` for its own asyncio.wait_for and never hands
        # it to the provider; with inf that simply means no limit of g4f's.
        assert case == "timeout-inf" and G4F_KEEPS_TIMEOUT, f"no error for {case}"
        assert answer == "Hello world"
        return
    sent = [r.path for server in recorder.values() for r in server.requests]
    if not isinstance(caught, G4FError) and case in G4F_APPLIES_TIMEOUT and G4F_KEEPS_TIMEOUT:
        # ... and with nan or a negative number it times out at once itself.
        assert isinstance(caught, TimeoutError), type(caught)
        assert sent == []
        return
    caught_value = caught
    assert isinstance(caught_value, kind), type(caught_value).__mro__
    assert isinstance(caught_value, G4FError), type(caught_value).__mro__
    assert re.search(pattern, str(caught_value)), str(caught_value)
    assert "\n" not in str(caught_value)
    assert sent == []


@pytest.mark.parametrize("api", ["ChatCompletion", "Client"])
@pytest.mark.parametrize("case", list(ENV_CASES))
def test_a_bad_url_override_is_refused_before_anything_is_sent(recorder, monkeypatch, api, case):
    value, pattern = ENV_CASES[case]
    env = Qwen_QVQ_72B.url_env
    monkeypatch.setenv(env, value.format(url=recorder[Qwen_QVQ_72B].url))
    with pytest.raises(SpaceInputError) as caught:
        call(api, Qwen_QVQ_72B, {})
    assert isinstance(caught.value, G4FError)
    assert re.search(pattern.format(env=env), str(caught.value)), str(caught.value)
    assert [r.path for server in recorder.values() for r in server.requests] == []
