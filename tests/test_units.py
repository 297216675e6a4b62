"""The pure functions between g4f's messages and a Space's inputs, one by one."""
from __future__ import annotations

import pytest

from g4f_qwen_spaces.providers.messages import check_messages, split_chat
from g4f_qwen_spaces.space.chat import MESSAGES, PARTS, TUPLES, answer_node, chatbot_format, history_value
from g4f_qwen_spaces.space.config import Component, SpaceConfig
from g4f_qwen_spaces.space.diff import Rope
from g4f_qwen_spaces.space.errors import SpaceInputError, SpaceProtocolError
from g4f_qwen_spaces.space.files import ImageFile, file_data, image_type, safe_name


def user(text):
    return {"role": "user", "content": text}


def bot(text):
    return {"role": "assistant", "content": text}


# -- check_messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages, text",
    [
        (None, "No messages: send at least one user message"),
        ([], "No messages: send at least one user message"),
        ("hi", "No messages: send at least one user message"),
        ([{"content": "x"}], "Message 0 is not a {'role': ..., 'content': ...} dict"),
        ([user("a"), "b"], "Message 1 is not a {'role': ..., 'content': ...} dict"),
        ([{"role": "user"}], "Message 0 has no 'content'"),
        ([user(3)], "Message 0 has content of type int; expected text or a list of content parts"),
        ([user(["x"])], "Message 0 has content parts that are not dicts"),
        ([{"role": "system", "content": "s"}], "No user message: the Space needs something to answer"),
    ],
)
def test_check_messages_refuses(messages, text):
    with pytest.raises(SpaceInputError) as caught:
        check_messages(messages)
    assert str(caught.value) == text


def test_check_messages_accepts_and_copies():
    messages = (user("a"), bot(None), user([{"type": "text", "text": "b"}]))
    assert check_messages(messages) == list(messages)


# -- split_chat ------------------------------------------------------------------------


def test_split_chat_one_question():
    assert split_chat([user("Hi")]) == ("Hi", [], None)


def test_split_chat_history_and_system():
    messages = [
        {"role": "system", "content": "Be brief."},
        user("Q1"), bot("A1"),
        {"role": "developer", "content": "No jokes."},
        user("Q2a"), user("Q2b"), bot("A2a"), bot("A2b"),
        user("Q3"),
    ]
    assert split_chat(messages) == (
        "Q3",
        [("Q1", "A1"), ("Q2a\nQ2b", "A2a\nA2b")],
        "Be brief.\nNo jokes.",
    )


def test_split_chat_assistant_first_and_dangling_user():
    # The greeting has no question to pair with; two user turns in a row are one question
    # (the whole rule: tests/test_history.py).
    assert split_chat([bot("Hello"), user("Q1"), user("Q2")]) == ("Q1\nQ2", [], None)


def test_split_chat_reads_content_parts():
    parts = [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    query, pairs, system = split_chat([user(parts)])
    assert query == "look" and pairs == [] and system is None


def test_split_chat_needs_the_user_last():
    with pytest.raises(SpaceInputError, match=r"^The last message must be the user's question \(it is 'assistant'\)$"):
        split_chat([user("q"), bot("a")])


# -- Chatbot formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    "props, major, expected",
    [({}, 4, TUPLES), ({"type": "tuples"}, 5, TUPLES), ({"type": "messages"}, 5, MESSAGES),
     ({"type": "messages"}, 4, MESSAGES), ({}, 6, PARTS), ({"type": "tuples"}, 6, PARTS)],
)
def test_chatbot_format(props, major, expected):
    assert chatbot_format(Component(3, "chatbot", props), major) == expected


PAIRS = [("Q1", "A1"), (None, "A0"), ("Q2", None)]


def test_history_value_tuples():
    assert history_value(PAIRS, TUPLES) == [["Q1", "A1"], [None, "A0"], ["Q2", None]]


def test_history_value_messages():
    assert history_value(PAIRS, MESSAGES) == [
        {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
        {"role": "assistant", "content": "A0"}, {"role": "user", "content": "Q2"},
    ]


def test_history_value_parts():
    assert history_value([("Q", "A")], PARTS) == [
        {"role": "user", "content": [{"type": "text", "text": "Q"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A"}]},
    ]


@pytest.mark.parametrize(
    "chatbot, expected",
    [
        (None, ""), ([], ""), ([["Q", "A"]], "A"), ([["Q"]], ""), ([["Q", None]], ""),
        ([{"role": "user", "content": "Q"}], ""), ([{"role": "assistant", "content": "A"}], "A"),
        ([{"role": "assistant", "content": [{"type": "text", "text": "P"}]}], "P"),
        ([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}], "ab"),
        ([{"role": "assistant", "content": {"text": "T"}}], "T"),
        ([{"role": "assistant", "content": {"path": "/f.png"}}], ""),
        ([5], ""),
    ],
)
def test_answer_node(chatbot, expected):
    assert answer_node(chatbot) == expected


def test_answer_node_returns_the_growing_rope_itself():
    rope = Rope("Hel")
    assert answer_node([["Q", rope]]) is rope


# -- SpaceConfig.endpoint ----------------------------------------------------------------

RAW = {
    "version": "4.44.1",
    "api_prefix": "",
    "components": [{"id": 1, "type": "textbox", "props": {"value": "sys"}}, {"id": 2, "type": "chatbot"}],
    "dependencies": [
        {"id": 7, "targets": [[9, "click"]], "inputs": [1, 2], "outputs": [2], "api_name": "model_chat",
         "types": {"generator": True}},
        {"trigger": 4, "inputs": [], "outputs": [], "api_name": "/clear", "queue": False},
        {"inputs": [99], "outputs": [], "api_name": False},
    ],
}


def test_endpoint_by_api_name():
    config = SpaceConfig.parse("http://s", RAW)
    endpoint = config.endpoint("/model_chat")
    assert (endpoint.api_name, endpoint.fn_index, endpoint.trigger_id) == ("model_chat", 7, 9)
    assert [c.type for c in endpoint.inputs] == ["textbox", "chatbot"] and endpoint.inputs[0].default == "sys"
    assert endpoint.queued and endpoint.generator
    clear = config.endpoint("clear")
    assert (clear.fn_index, clear.trigger_id, clear.queued, clear.generator) == (1, 4, False, False)
    assert config.major == 4 and config.url("/upload") == "http://s/upload"


def test_unknown_components_are_named_unknown():
    raw = dict(RAW, dependencies=[{"inputs": [99], "outputs": [], "api_name": "x"}])
    assert SpaceConfig.parse("http://s", raw).endpoint("x").inputs == (Component(99, "unknown"),)


def test_a_missing_endpoint_lists_what_exists():
    with pytest.raises(SpaceProtocolError) as caught:
        SpaceConfig.parse("http://s", RAW).endpoint("generate")
    assert str(caught.value) == "The Space at http://s has no endpoint named 'generate' (api_names found: model_chat, clear)"


# -- files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, mime, expected",
    [
        (None, "image/png", "image.png"),
        ("../../etc/passwd", "image/png", "passwd.png"),
        ("C:\\Users\\me\\cat photo.JPEG", "image/jpeg", "cat_photo.jpeg"),
        ("cat.jpg", "image/jpeg", "cat.jpg"),
        ("cat.gif", "image/png", "cat.png"),
        ("...", "image/webp", "image.webp"),
        ("a" * 200 + ".png", "image/png", "a" * 80 + ".png"),
        ("über<script>.png", "image/png", "über_script.png"),
    ],
)
def test_safe_name(name, mime, expected):
    assert safe_name(name, mime) == expected


@pytest.mark.parametrize(
    "data, mime",
    [(b"\xff\xd8\xff\xe0", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF89a", "image/gif"),
     (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"), (b"%PDF", None), (b"", None)],
)
def test_image_type(data, mime):
    assert image_type(data) == mime


def test_file_data():
    image = ImageFile(b"12345", "a.png", "image/png")
    assert file_data("/tmp/gradio/x/a.png", image) == {
        "path": "/tmp/gradio/x/a.png", "orig_name": "a.png", "size": 5, "mime_type": "image/png",
        "meta": {"_type": "gradio.FileData"},
    }


# -- the package under test ------------------------------------------------------------


@pytest.mark.skipif("TOX_ENV_NAME" not in __import__("os").environ, reason="only tox installs the wheel")
def test_the_tests_import_the_installed_wheel():
    """Under tox the package comes from the env's site-packages, never from the checkout."""
    from pathlib import Path

    import g4f_qwen_spaces

    package = Path(g4f_qwen_spaces.__file__).resolve()
    checkout = Path(__file__).resolve().parent.parent
    assert "site-packages" in package.parts, package
    assert package.parent != checkout / "g4f_qwen_spaces", package
