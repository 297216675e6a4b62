"""Tests written against mutants of ``g4f_qwen_spaces/providers`` that the other tests let live.

Each pins a behaviour at its boundary (exact values and messages); see
tests/mutants/score.py and the README's Development section. Collected
before the other test files (tests/mutants/ sorts first), so under mutmut
they are the first of a mutant's covering tests to run.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from g4f import config as g4f_config
from PIL import Image

from g4f_qwen_spaces.providers import cache
from g4f_qwen_spaces.providers.media import _merge_media, load_image
from g4f_qwen_spaces.providers.qwen2 import Qwen_Qwen_2_72B
from g4f_qwen_spaces.space.config import Component, Endpoint, SpaceConfig
from g4f_qwen_spaces.space.errors import SpaceInputError


def png(size: tuple[int, int] = (3, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


# -- media.py: images from paths, PIL images, file objects and data: URIs -------------------


async def test_an_image_file_is_read_from_its_path(tmp_path):
    data = png()
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    for item in (str(path), path):
        image = await load_image(item, None, None)
        assert (image.data, image.name, image.mime) == (data, "photo.png", "image/png")


async def test_an_image_file_of_exactly_the_limit_is_read_and_one_byte_less_refuses_it(tmp_path):
    data = png()
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    assert (await load_image(str(path), None, None, limit=len(data))).data == data
    with pytest.raises(SpaceInputError) as caught:
        await load_image(str(path), None, None, limit=len(data) - 1)
    assert str(caught.value) == f"The image is {len(data):,} bytes; the limit is {len(data) - 1:,} bytes"


async def test_a_missing_image_file_is_named(tmp_path):
    path = str(tmp_path / "nowhere.png")
    with pytest.raises(SpaceInputError) as caught:
        await load_image(path, None, None)
    assert str(caught.value) == f"Image file not found: {path!r}"


async def test_a_pil_image_made_in_memory_is_sent_as_png():
    image = await load_image(Image.new("RGB", (5, 3)), "drawn", None)
    assert (image.mime, image.name) == ("image/png", "drawn.png")
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert (decoded.format, decoded.size) == ("PNG", (5, 3))


async def test_a_pil_image_read_from_a_jpeg_stays_a_jpeg():
    with Image.open(io.BytesIO(jpeg())) as opened:
        image = await load_image(opened, None, None)
    assert (image.mime, image.name) == ("image/jpeg", "image.jpg")


async def test_a_file_object_is_read_whole():
    data = png()
    image = await load_image(io.BytesIO(data), "f.png", None)
    assert (image.data, image.mime) == (data, "image/png")


async def test_an_object_with_save_but_no_format_is_not_taken_for_a_pil_image():
    class Saver:
        saved = 0

        def save(self, file, kind):  # noqa: ARG002
            Saver.saved += 1
            file.write(png())

    with pytest.raises(SpaceInputError) as caught:
        await load_image(Saver(), None, None)
    assert str(caught.value) == "Cannot read the image: 'Saver' object has no attribute 'read'"
    assert Saver.saved == 0


async def test_g4f_s_judgement_of_the_format_comes_first():
    """g4f's ``is_accepted_format`` takes a bare FF D8 for a JPEG (ours wants FF D8 FF): PIL then judges it."""
    with pytest.raises(SpaceInputError) as caught:
        await load_image(b"\xff\xd8\x00 not really a jpeg", None, None)
    assert str(caught.value) == "The image is corrupt: UnidentifiedImageError"
    with pytest.raises(SpaceInputError) as caught:
        await load_image(b"BM not an accepted format", None, None)
    assert str(caught.value) == "The file is not an image this Space accepts (JPEG, PNG, GIF or WebP)"


async def test_our_magic_bytes_decide_when_g4f_does_not_know_the_format(monkeypatch):
    """An older g4f whose ``is_accepted_format`` knows no WebP: the image is still a WebP."""
    import g4f.image

    def knows_no_webp(data):
        raise ValueError("Invalid image format (from magic code).")

    monkeypatch.setattr(g4f.image, "is_accepted_format", knows_no_webp)
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "WEBP")
    image = await load_image(buffer.getvalue(), "w", None)
    assert (image.mime, image.name) == ("image/webp", "w.webp")


@pytest.mark.parametrize("form", ["image_url", "image_url_string", "url"])
async def test_an_openai_content_part_passed_as_media(form):
    data = png()
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    part = {"image_url": {"type": "image_url", "image_url": {"url": uri}},
            "image_url_string": {"type": "image_url", "image_url": uri},
            "url": {"url": uri}}[form]
    image = await load_image(part, None, None)
    assert (image.data, image.mime) == (data, "image/png")


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_an_image_url_is_downloaded_not_opened_as_a_file(scheme, monkeypatch):
    from types import SimpleNamespace

    import aiohttp

    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV

    monkeypatch.delenv(ALLOW_PRIVATE_URLS_ENV, raising=False)
    async with aiohttp.ClientSession() as session:
        http = SimpleNamespace(session=session, remaining=lambda: 5.0, proxy=None)
        with pytest.raises(SpaceInputError) as caught:
            await load_image(f"{scheme}://no-such-image.invalid/x.png", None, http)
    assert str(caught.value) == "Cannot resolve the image URL's host 'no-such-image.invalid'"


async def test_an_image_url_is_fetched_with_the_call_s_proxy_and_limit(fault, monkeypatch):
    from types import SimpleNamespace

    import aiohttp

    from g4f_qwen_spaces.space.files import ALLOW_PRIVATE_URLS_ENV
    from tests.faultserver import dead_port, respond

    monkeypatch.setenv(ALLOW_PRIVATE_URLS_ENV, "1")
    data = png()
    fault.route("GET", "/img.png", respond(200, data, content_type="image/png"))
    url = f"http://127.0.0.1:{dead_port()}/img.png"  # nothing listens there: only the proxy answers
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        http = SimpleNamespace(session=session, remaining=lambda: 5.0, proxy=fault.url)
        image = await load_image(url, None, http)
        assert (image.data, image.name) == (data, "img.png")
        with pytest.raises(SpaceInputError) as caught:
            await load_image(url, None, http, limit=len(data) - 1)
    assert str(caught.value) == f"The image is over the {len(data) - 1:,}-byte limit"


async def test_a_base64_data_uri_is_decoded():
    data = png()
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    image = await load_image(uri, None, None)
    assert (image.data, image.mime, image.name) == (data, "image/png", "image.png")


@pytest.mark.parametrize(
    "uri",
    [
        "data:text/plain;base64,aGk=",
        "data:image/png,plain",
        "data:image/" + "x" * 46 + ";base64,aGk=",  # the type must end within the first 64 characters
    ],
)
async def test_only_base64_image_data_uris_are_accepted(uri):
    with pytest.raises(SpaceInputError) as caught:
        await load_image(uri, None, None)
    assert str(caught.value) == "Only base64 data: URIs of images are accepted"


async def test_a_data_uri_of_a_long_image_type_within_64_characters_is_read():
    data = png()
    uri = "data:image/" + "x" * 45 + ";base64," + base64.b64encode(data).decode()
    assert (await load_image(uri, None, None)).data == data


async def test_a_data_uri_that_is_not_base64_says_so():
    with pytest.raises(SpaceInputError) as caught:
        await load_image("data:image/png;base64,abc", None, None)
    assert str(caught.value).startswith("The data: URI is not valid base64: ")
    assert "padding" in str(caught.value)


def test_the_fallback_media_merge_reads_the_last_user_turns_images():
    """Used where g4f's merge_media fails on OpenAI's {"url": ...} form (g4f <= 7.5)."""
    messages = [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://old/1.png"}}]},
        {"role": "assistant", "content": "seen"},
        {"role": "user", "content": [
            {"type": "text", "text": "and these?"},
            {"type": "image_url", "image_url": {"url": "https://new/2.png"}},
            {"type": "image_url", "image_url": "https://new/3.png"},
            "not a part",
        ]},
        {"role": "user", "content": "plain text adds nothing"},
    ]
    assert list(_merge_media([(b"x", "x.png")], messages)) == [
        ("https://new/2.png", None), ("https://new/3.png", None), (b"x", "x.png"),
    ]
    assert list(_merge_media(None, messages[:2])) == []
    assert list(_merge_media([], [{"role": "user", "content": "hi"}])) == []


# -- cache.py: where the configs are kept -------------------------------------------------


def test_without_g4f_s_cache_dir_the_configs_go_under_its_config_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("G4F_CACHE_DIR", raising=False)
    monkeypatch.setattr(g4f_config, "CACHE_DIR", None, raising=False)
    monkeypatch.setattr(g4f_config, "CONFIG_DIR", str(tmp_path), raising=False)
    assert cache.cache_dir() == Path(tmp_path) / "cache"
    assert cache.config_store().root == Path(tmp_path) / "cache" / "g4f_qwen_spaces"
    monkeypatch.setattr(g4f_config, "CONFIG_DIR", None)
    assert cache.cache_dir() is None and cache.config_store() is None
    monkeypatch.delattr(g4f_config, "CONFIG_DIR")
    assert cache.cache_dir() is None


# -- qwen2.py: the model_chat inputs and outputs -----------------------------------------


URL = "http://127.0.0.1:9"
SYSTEM = "You are the Space's own default (mutants test)."


def config(version: str = "4.44.1") -> SpaceConfig:
    return SpaceConfig.parse(URL, {"version": version, "components": [], "dependencies": []})


def endpoint(inputs: tuple[str, ...], outputs: tuple[str, ...] = ("textbox", "chatbot", "textbox")) -> Endpoint:
    def component(i: int, kind: str) -> Component:
        return Component(i, kind, {"value": SYSTEM} if kind == "textbox" else {})

    return Endpoint(
        api_name="model_chat", fn_index=0, trigger_id=None,
        inputs=tuple(component(i, k) for i, k in enumerate(inputs)),
        outputs=tuple(Component(10 + i, k) for i, k in enumerate(outputs)),
    )


CHAT = ("now?", [("hi", "hello")], None)


@pytest.mark.parametrize(
    "request_, inputs, version, data",
    [
        (CHAT, ("textbox", "chatbot", "textbox"), "4.44.1", ["now?", [["hi", "hello"]], SYSTEM]),
        (("now?", [], "Be brief."), ("textbox", "chatbot", "textbox"), "4.44.1", ["now?", [], "Be brief."]),
        (("now?", [], "Be brief."), ("textbox", "chatbot", "state"), "4.44.1", ["now?", [], None]),
        (CHAT, ("textbox", "chatbot", "textbox"), "6.0.0",
         ["now?", [{"role": "user", "content": [{"type": "text", "text": "hi"}]},
                   {"role": "assistant", "content": [{"type": "text", "text": "hello"}]}], SYSTEM]),
    ],
)
def test_model_chat_inputs_in_their_slots(request_, inputs, version, data):
    assert Qwen_Qwen_2_72B.build_data(request_, config(version), endpoint(inputs), None) == data


def shaped(inputs: tuple[str, ...], outputs: tuple[str, ...], api_name: str) -> SpaceConfig:
    """A config whose one endpoint takes and gives components of these kinds, in this order."""
    kinds = inputs + outputs
    components = [{"id": i, "type": kind, "props": {}} for i, kind in enumerate(kinds)]
    dependency = {"api_name": api_name, "inputs": list(range(len(inputs))),
                  "outputs": list(range(len(inputs), len(kinds)))}
    return SpaceConfig.parse(URL, {"version": "4.44.1", "components": components, "dependencies": [dependency]})


QWEN2_NEEDS = "model_chat(textbox, chatbot, textbox or state) → (textbox, chatbot, textbox or state)"
QWEN2_ADVICE = ("Set G4F_QWEN_QWEN_2_72B_URL to a copy that still serves it (a duplicate made before the change), "
                "or report it to g4f-qwen-spaces")
OUT3 = ("textbox", "chatbot", "textbox")
IN3 = ("textbox", "chatbot", "textbox")


@pytest.mark.parametrize(
    "inputs, outputs, differences",
    [
        # Issue 16 (703f66f): build_data no longer looks for the Chatbot among the inputs (or
        # answer_node among the outputs); the endpoint's shape is checked before the call, so a
        # model_chat with its slots in another order, without a Chatbot, or with another number
        # of inputs is a changed app, refused with what differs.
        (("chatbot", "textbox", "textbox"), OUT3,
         ["input 1 is a chatbot, expected textbox", "input 2 is a textbox, expected chatbot"]),
        (("textbox", "textbox", "chatbot"), OUT3,
         ["input 2 is a textbox, expected chatbot", "input 3 is a chatbot, expected textbox or state"]),
        (("textbox", "json", "textbox"), OUT3, ["input 2 is a json, expected chatbot"]),
        (("textbox", "chatbot"), OUT3,
         ["inputs are (textbox, chatbot), expected (textbox, chatbot, textbox or state)"]),
        (IN3, ("chatbot", "textbox", "textbox"),
         ["output 1 is a chatbot, expected textbox", "output 2 is a textbox, expected chatbot"]),
        (IN3, ("textbox", "json", "textbox"), ["output 2 is a json, expected chatbot"]),
    ],
)
def test_model_chat_in_another_shape_is_refused(inputs, outputs, differences):
    from g4f_qwen_spaces.space.errors import SpaceChangedError

    with pytest.raises(SpaceChangedError) as caught:
        Qwen_Qwen_2_72B.shape.resolve(shaped(inputs, outputs, "model_chat"), Qwen_Qwen_2_72B.url_env)
    assert caught.value.differences == differences
    assert str(caught.value) == (f"The Space at {URL} changed its app: {'; '.join(differences)}. "
                                 f"Needed: {QWEN2_NEEDS}. {QWEN2_ADVICE}")
    assert caught.value.url == URL
    assert Qwen_Qwen_2_72B.shape.resolve(shaped(IN3, OUT3, "model_chat")).inputs[1].type == "chatbot"


@pytest.mark.parametrize(
    "outputs, values, answer",
    [
        (("textbox", "chatbot", "textbox"), ["", [["q", "the answer"]], "s"], "the answer"),
        # Outputs in another order or without a Chatbot: see test_model_chat_in_another_shape_is_refused.
        # Fewer values than the Chatbot's position: nothing yet.
        (("textbox", "chatbot", "textbox"), ["x"], ""),
        (("textbox", "chatbot", "textbox"), [], ""),
    ],
)
def test_the_answer_is_read_from_the_chatbot_output(outputs, values, answer):
    assert Qwen_Qwen_2_72B.answer_node(values, endpoint(("textbox", "chatbot", "textbox"), outputs)) == answer


# -- messages.py ----------------------------------------------------------------------


def test_a_conversation_that_does_not_end_with_the_user_names_the_last_role():
    from g4f_qwen_spaces.providers.messages import split_chat

    messages = [{"role": "user", "content": "a"}, {"role": "system", "content": "s"},
                {"role": "assistant", "content": "b"}]
    with pytest.raises(SpaceInputError) as caught:
        split_chat(messages)
    assert str(caught.value) == "The last message must be the user's question (it is 'assistant')"


def test_consecutive_messages_of_one_role_are_joined_with_a_newline():
    from g4f_qwen_spaces.providers.messages import split_chat

    def message(role, text):
        return {"role": role, "content": text}

    messages = [message("user", "a"), message("user", "b"), message("assistant", "c"), message("assistant", "d"),
                message("user", "e"), message("assistant", "f"), message("user", "q")]
    assert split_chat(messages) == ("q", [("a\nb", "c\nd"), ("e", "f")], None)


# -- qvq.py: generate(image, text) ------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, data",
    [
        (("image", "textbox"), [{"path": "p"}, "the question"]),
        # Other orders, kinds or numbers of inputs: see test_generate_in_another_shape_is_refused.
    ],
)
def test_generate_inputs_in_their_slots(inputs, data):
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    assert Qwen_QVQ_72B.build_data("the question", config(), endpoint(inputs), {"path": "p"}) == data


@pytest.mark.parametrize(
    "inputs, differences",
    [
        # Issue 16 (703f66f): build_data no longer looks for the image and text slots by kind;
        # generate's shape (image, textbox) is checked before the call.
        (("textbox", "image"), ["input 1 is a textbox, expected image", "input 2 is an image, expected textbox"]),
        (("json", "json"), ["input 1 is a json, expected image", "input 2 is a json, expected textbox"]),
        (("image", "json", "textbox"), ["inputs are (image, json, textbox), expected (image, textbox)"]),
    ],
)
def test_generate_in_another_shape_is_refused(inputs, differences):
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B
    from g4f_qwen_spaces.space.errors import SpaceChangedError

    with pytest.raises(SpaceChangedError) as caught:
        Qwen_QVQ_72B.shape.resolve(shaped(inputs, ("markdown",), "generate"), Qwen_QVQ_72B.url_env)
    assert caught.value.differences == differences
    assert str(caught.value) == (
        f"The Space at {URL} changed its app: {'; '.join(differences)}. "
        "Needed: generate(image, textbox) → markdown or textbox. "
        "Set G4F_QWEN_QVQ_72B_URL to a copy that still serves it (a duplicate made before the change), "
        "or report it to g4f-qwen-spaces")
    assert Qwen_QVQ_72B.shape.resolve(shaped(("image", "textbox"), ("textbox",), "generate")).api_name == "generate"


def test_generate_answer_is_its_first_output():
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    point = endpoint(("image", "textbox"), ("markdown",))
    assert Qwen_QVQ_72B.answer_node(["the answer", "x"], point) == "the answer"
    assert Qwen_QVQ_72B.answer_node([], point) == ""


def test_generate_folds_the_conversation_into_the_text():
    from g4f.providers.helper import format_prompt

    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    assert Qwen_QVQ_72B.prepare(messages) == format_prompt(messages)
    assert Qwen_QVQ_72B.prepare([{"role": "user", "content": "only"}]) == "only"
