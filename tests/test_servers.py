"""The Gradio test servers themselves (urllib only; our package is not used)."""

from __future__ import annotations

import json
import os
import urllib.request
import uuid

import pytest

from tests.apps import fakemodel
from tests.servers import GRADIO, GradioServer, resolve_version

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with _OPENER.open(req, timeout=10) as resp:
        return json.loads(resp.read())


def _upload(server: GradioServer, name: str, content: bytes) -> str:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{server.url}{server.api_prefix}/upload", body,
                                 {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with _OPENER.open(req, timeout=10) as resp:
        paths = json.loads(resp.read())
    assert len(paths) == 1, paths
    return paths[0]


def _run(server: GradioServer, api_name: str, data: list) -> tuple[list[dict], dict]:
    """queue/join + queue/data; returns (process_generating msgs, process_completed msg)."""
    config = server.config()
    dep = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    prefix = config.get("api_prefix", "")
    session = uuid.uuid4().hex[:10]
    _post(f"{server.url}{prefix}/queue/join",
          {"data": data, "fn_index": dep["id"], "trigger_id": dep["targets"][0][0],
           "event_data": None, "session_hash": session})
    generating, completed = [], None
    with _OPENER.open(f"{server.url}{prefix}/queue/data?session_hash={session}", timeout=30) as resp:
        for raw in resp:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            if msg["msg"] == "process_generating":
                generating.append(msg)
            elif msg["msg"] == "process_completed":
                completed = msg
            elif msg["msg"] == "close_stream":
                break
    assert completed is not None
    return generating, completed


def _check_config(server: GradioServer, major: str, api_name: str) -> dict:
    config = server.config()
    assert config["version"] == GRADIO[major] == server.version
    if major == "4":
        assert "api_prefix" not in config
    else:
        assert config["api_prefix"] == "/gradio_api" == server.api_prefix
    deps = [d for d in config["dependencies"] if d.get("api_name") == api_name]
    assert len(deps) == 1 and deps[0]["id"] != 0
    return config


def _chatbot_props(config: dict) -> dict:
    return next(c for c in config["components"] if c["type"] == "chatbot")["props"]


# ----------------------------------------------------------------- config

def test_qvq_config(qvq_server):
    _check_config(qvq_server, qvq_server.major, "generate")
    assert qvq_server.major in ("5", "6")


def test_qwen2_config(qwen2_server):
    config = _check_config(qwen2_server, qwen2_server.major, "model_chat")
    props = _chatbot_props(config)
    if qwen2_server.major == "4":
        assert props["type"] == "tuples"
    else:
        assert "type" not in props  # gradio 6: messages only


def test_qwen2_messages5_config(qwen2_server_messages5):
    config = _check_config(qwen2_server_messages5, "5", "model_chat")
    assert _chatbot_props(config)["type"] == "messages"


# -------------------------------------------------------------- streaming

def test_qvq_streams_answer_with_image(qvq_server):
    png = bytes.fromhex(  # 1x1 RGB PNG
        "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
        "53de0000000c4944415478da63f8cfc000000301010018dd8db00000000049454e44ae426082")
    path = _upload(qvq_server, "red.png", png)
    text = "hello 你好 🎉"
    generating, completed = _run(qvq_server, "generate", [
        {"path": path, "orig_name": "red.png", "meta": {"_type": "gradio.FileData"}}, text])
    expected = fakemodel.qvq_answer("red.png", len(png), text)
    assert completed["success"] is True
    assert completed["output"]["data"] == [expected]
    assert len(generating) == len(fakemodel.pieces(expected)) > 3
    assert generating[1]["output"]["data"] == [[["append", [], fakemodel.pieces(expected)[1]]]]


def test_qvq_error_command(qvq_server):
    _, completed = _run(qvq_server, "generate", [None, "User: ERROR:GPU quota exceeded\nAssistant:"])
    assert completed["success"] is False
    assert completed["output"]["error"] == "GPU quota exceeded"


def _history(server: GradioServer, pairs):
    props = _chatbot_props(server.config())
    if props.get("type") == "tuples":
        return [list(p) for p in pairs]
    if server.major == "6":
        part = lambda t: [{"type": "text", "text": t}]  # noqa: E731
    else:
        part = lambda t: t  # noqa: E731
    return [m for u, a in pairs for m in ({"role": "user", "content": part(u)},
                                          {"role": "assistant", "content": part(a)})]


def _assistant_text(server: GradioServer, history) -> str:
    last = history[-1]
    if isinstance(last, list):
        return last[1]
    content = last["content"]
    return content if isinstance(content, str) else "".join(p["text"] for p in content)


def test_qwen2_streams_answer(qwen2_server):
    _check_chat(qwen2_server)


def test_qwen2_messages5_streams_answer(qwen2_server_messages5):
    _check_chat(qwen2_server_messages5)


def _check_chat(server: GradioServer) -> None:
    pairs = [("Q0", "A0")]
    query = "hi there\n\tsecond line"  # multi-line: exercises the Chatbot's cleandoc
    generating, completed = _run(server, "model_chat",
                                 [query, _history(server, pairs), "Be brief."])
    expected = fakemodel.qwen2_answer(query, pairs, "Be brief.")
    assert completed["success"] is True
    textbox, history, system = completed["output"]["data"]
    assert (textbox, system) == ("", "Be brief.")
    chatbot_type = _chatbot_props(server.config()).get("type", "messages")
    assert _assistant_text(server, history) == fakemodel.chatbot_view(expected, server.major, chatbot_type)
    assert len(history) == len(_history(server, pairs + [(query, "")]))
    assert len(generating) == len(fakemodel.pieces(expected))


# ------------------------------------------------------------ life cycle

def test_factory_caches_and_kill(gradio_server_factory):
    a = gradio_server_factory("qvq_space", "5")
    assert gradio_server_factory("qvq_space", "5.49.1") is a
    b = gradio_server_factory.fresh("qvq_space", "5", "--delay", "0")
    assert b is not a and b.alive and os.path.exists(b.log_path)
    b.kill()
    assert not b.alive
    b.stop()
    assert not os.path.exists(b.log_path)


# ------------------------------------------------------------- fakemodel

@pytest.mark.parametrize("text", ["", "   ", "  a b  ", "a\n\n", "你好世界 🎉 x\n\n y\t", "one"])
def test_pieces_roundtrip(text):
    assert "".join(fakemodel.pieces(text)) == text


def test_long_text_and_commands():
    for n in (0, 1, 5, 6, 99, 2000):
        s = fakemodel.long_text(n)
        assert len(s) == n and s == s.strip() and s == fakemodel.long_text(n)
    assert fakemodel.qvq_answer(None, None, "x LONG:10") == "[no image] " + fakemodel.long_text(10)
    cmds = fakemodel.parse_commands("User: ERROR:oops \nCRASH_AFTER:3 SLEEP:0.5 DELAY:.25")
    assert cmds == {"error": "oops", "crash_after": 3, "sleep": 0.5, "delay": 0.25, "long": None}
    assert resolve_version("gradio4") == "4.44.1"
