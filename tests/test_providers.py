"""Both providers against real Gradio servers on 127.0.0.1, shaped like the Spaces.

The QVQ shape runs on Gradio 5 and 6, the Qwen2 shape on Gradio 4 and 6 (and
5 in messages mode). Texts are compared exactly with what the fake model
computes; chunk counts prove streaming.
"""
from __future__ import annotations

import base64
import io
import pathlib

import pytest
from PIL import Image

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.space import CONFIG_CACHE, SpaceInputError
from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV
from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer

HARD_TEXT = "la la la la\n\n\nthe the the end — 你好，世界 مرحبا бук 👋🏽 🇺🇦 e\u0301"
# Pieces 30 ms apart arrive in separate reads, so chunk counts are meaningful
# (events that arrive together are yielded as one chunk, by design).
SLOW = " DELAY:0.03"


def png(width=4, height=3, color=(255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


async def collect(provider, messages, **kwargs):
    chunks = []
    async for chunk in provider.create_async_generator(kwargs.pop("model", ""), messages, **kwargs):
        assert isinstance(chunk, str), chunk
        chunks.append(chunk)
    return chunks


# -- QVQ ----------------------------------------------------------------------


async def test_qvq_text_only_streams_exact_answer(qvq):
    chunks = await collect(Qwen_QVQ_72B, [{"role": "user", "content": "What is a fox?" + SLOW}], model="qvq-72b")
    assert "".join(chunks) == qvq_answer(None, None, "What is a fox?" + SLOW)
    assert len(chunks) > 3
    assert all(chunks)


async def test_qvq_hard_text_survives(qvq):
    chunks = await collect(Qwen_QVQ_72B, [{"role": "user", "content": HARD_TEXT + SLOW}])
    assert "".join(chunks) == qvq_answer(None, None, HARD_TEXT + SLOW)
    assert len(chunks) > 5


async def test_qvq_folds_system_and_conversation_into_the_prompt(qvq):
    messages = [
        {"role": "system", "content": "Be exact."},
        {"role": "user", "content": "First?"},
        {"role": "assistant", "content": "One."},
        {"role": "user", "content": [{"type": "text", "text": "Second?"}]},
    ]
    text = "".join(await collect(Qwen_QVQ_72B, messages, model="qwen-qvq-72b-preview"))
    prompt = "System: Be exact.\nUser: First?\nAssistant: One.\nUser: Second?\nAssistant:"
    assert text == qvq_answer(None, None, prompt)


async def test_qvq_long_answer_is_exact(qvq):
    chunks = await collect(Qwen_QVQ_72B, [{"role": "user", "content": "LONG:10000 DELAY:0"}])
    assert "".join(chunks) == qvq_answer(None, None, "LONG:10000 DELAY:0")
    assert len("".join(chunks)) == len("[no image] ") + 10_000


def _image_forms(tmp_path: pathlib.Path):
    data = png()
    path = tmp_path / "red.png"
    path.write_bytes(data)
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    return data, path, uri


@pytest.mark.parametrize("form", ["bytes", "str-path", "path", "data-uri", "pil", "content-part"])
async def test_qvq_uploads_each_image_form(qvq, tmp_path, form):
    data, path, uri = _image_forms(tmp_path)
    prompt = "Describe." + SLOW
    messages = [{"role": "user", "content": prompt}]
    media = None
    name, size = "red.png", len(data)
    if form == "bytes":
        media = [(data, "red.png")]
    elif form == "str-path":
        media = [(str(path), None)]
    elif form == "path":
        media = [(path, "red.png")]
    elif form == "data-uri":
        media = [(uri, "red.png")]
    elif form == "pil":
        media = [(Image.open(path), "red.png")]
    elif form == "content-part":
        messages = [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": uri}},
            {"type": "text", "text": prompt},
        ]}]
        name = "image.png"
    chunks = await collect(Qwen_QVQ_72B, messages, media=media)
    text = "".join(chunks)
    if form == "pil":  # PIL re-encodes: the size is whatever it wrote
        assert text.startswith("[image=red.png size=") and text.endswith("] You said: " + prompt)
    else:
        assert text == qvq_answer(name, size, prompt)
    assert len(chunks) > 1


async def test_qvq_image_from_http_url(qvq, tmp_path, monkeypatch, aiohttp_image_server):
    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    data = png(8, 8, (0, 0, 255))
    url = aiohttp_image_server("/pics/blue.png", data)
    text = "".join(await collect(Qwen_QVQ_72B, [{"role": "user", "content": "Hi"}], media=[(url, None)]))
    assert text == qvq_answer("blue.png", len(data), "Hi")


async def test_qvq_private_url_refused_by_default(qvq, monkeypatch, aiohttp_image_server):
    monkeypatch.delenv(ALLOW_PRIVATE_URLS_ENV, raising=False)
    url = aiohttp_image_server("/x.png", png())
    with pytest.raises(SpaceInputError, match="private or local networks"):
        await collect(Qwen_QVQ_72B, [{"role": "user", "content": "Hi"}], media=[(url, None)])


async def test_qvq_two_images_rejected_before_sending(qvq):
    CONFIG_CACHE.invalidate()
    with pytest.raises(SpaceInputError, match="one image per request; got 2"):
        await collect(Qwen_QVQ_72B, [{"role": "user", "content": "Hi"}], media=[(png(), "a.png"), (png(), "b.png")])


# -- Qwen2 --------------------------------------------------------------------


def expected_chat(server, query, pairs=(), system="You are a helpful assistant."):
    return chatbot_view(qwen2_answer(query, list(pairs), system))


async def test_qwen2_uses_the_spaces_default_system_prompt(qwen2):
    chunks = await collect(Qwen_Qwen_2_72B, [{"role": "user", "content": "Hello" + SLOW}], model="qwen-2-72b")
    assert "".join(chunks) == expected_chat(qwen2, "Hello" + SLOW)
    assert "".join(chunks).startswith("[system=You are a helpful assistant.] [history=] ")
    assert len(chunks) > 3


async def test_qwen2_sends_history_pairs_and_system(qwen2):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q0"},
        {"role": "assistant", "content": "A0"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "What now?"},
    ]
    text = "".join(await collect(Qwen_Qwen_2_72B, messages, model="qwen-qwen2-72b-instruct"))
    assert text == expected_chat(qwen2, "What now?", [("Q0", "A0"), ("Q1", "A1")], "Be brief.")
    assert text.startswith("[system=Be brief.] [history=Q0 => A0 | Q1 => A1] You said: What now?")


async def test_qwen2_hard_text_survives(qwen2):
    chunks = await collect(Qwen_Qwen_2_72B, [{"role": "user", "content": HARD_TEXT + SLOW}])
    assert "".join(chunks) == expected_chat(qwen2, HARD_TEXT + SLOW)
    assert len(chunks) > 5


async def test_qwen2_long_answer_is_exact(qwen2):
    chunks = await collect(Qwen_Qwen_2_72B, [{"role": "user", "content": "LONG:10000 DELAY:0"}])
    assert "".join(chunks) == expected_chat(qwen2, "LONG:10000 DELAY:0")


async def test_qwen2_messages_mode_on_gradio5(qwen2_server_messages5, monkeypatch):
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, qwen2_server_messages5.url)
    messages = [
        {"role": "user", "content": "Q0"},
        {"role": "assistant", "content": "A0"},
        {"role": "user", "content": "Next 你好 👋" + SLOW},
    ]
    chunks = await collect(Qwen_Qwen_2_72B, messages)
    assert "".join(chunks) == expected_chat(qwen2_server_messages5, "Next 你好 👋" + SLOW, [("Q0", "A0")])
    assert len(chunks) > 2


async def test_qwen2_rejects_images(qwen2):
    with pytest.raises(SpaceInputError, match="takes text only"):
        await collect(Qwen_Qwen_2_72B, [{"role": "user", "content": "Hi"}], media=[(png(), "a.png")])


# -- through g4f ---------------------------------------------------------------


def test_readme_example_through_g4f_chatcompletion(qvq):
    import g4f

    from g4f_qwen_spaces import Qwen_QVQ_72B as Provider

    answer = g4f.ChatCompletion.create(
        model="qvq-72b", provider=Provider, messages=[{"role": "user", "content": "Hello"}]
    )
    assert answer == qvq_answer(None, None, "Hello")


def test_g4f_streaming_through_chatcompletion(qwen2):
    import g4f

    chunks = list(
        g4f.ChatCompletion.create(
            model="qwen-2-72b",
            provider=Qwen_Qwen_2_72B,
            messages=[{"role": "user", "content": "Stream me" + SLOW}],
            stream=True,
        )
    )
    texts = [c for c in chunks if isinstance(c, str)]
    assert "".join(texts) == expected_chat(qwen2, "Stream me" + SLOW)
    assert len(texts) > 2


async def test_stale_cached_config_is_fetched_again(qvq):
    from g4f_qwen_spaces.space import SpaceConfig

    stale = SpaceConfig.parse(qvq.url, {"version": "5.0.0", "components": [], "dependencies": [
        {"id": 0, "api_name": "old_name", "targets": [[1, "click"]], "inputs": [], "outputs": []}]})
    CONFIG_CACHE.put(stale)
    text = "".join(await collect(Qwen_QVQ_72B, [{"role": "user", "content": "fresh"}]))
    assert text == qvq_answer(None, None, "fresh")
    assert CONFIG_CACHE.get(qvq.url).endpoint("generate").fn_index == 1
