"""The Spaces as published, in the fast layer: the fault server speaks the Qwen2
Space's Gradio 4.32.1 config (tests/faultserver.py ``QWEN2_CONFIG``; evidence:
/work/shared/NOTES.md, "The two Spaces"), and a Space whose app changed.

What the client sends is read from the fault server's record of the queue
join; the real-server half is tests/published/.
"""
from __future__ import annotations

import copy
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from g4f.errors import ResponseError

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.providers.errors import G4F_CLASSES, translate
from g4f_qwen_spaces.space import SpaceChangedError, SpaceConfig, SpaceProtocolError
from g4f_qwen_spaces.space.copies import moves_on, reason
from tests.faultserver import (
    CONFIG,
    QWEN2_CONFIG,
    QWEN2_DEFAULT_SYSTEM,
    completed,
    estimation,
    generating,
    run,
)


def answer_script(server, text: str) -> list:
    history = [["q", text]]
    return [estimation(), generating("", [["q", ""]], "s"), completed("", history, "s")]


def joined(server) -> dict:
    (join,) = server.requests_to("/queue/join")
    return join.json()


async def test_qwen2_joins_the_published_layout_by_its_auto_name(qwen2_at):
    """``model_chat`` is fn 0 (textbox.submit), triggered by the Input textbox (id 11)."""
    qwen2_at.script = answer_script(qwen2_at, "Hey")
    outcome = await run(Qwen_Qwen_2_72B, [{"role": "user", "content": "Hello"}])
    assert outcome.error is None and outcome.text == "Hey"
    body = joined(qwen2_at)
    assert (body["fn_index"], body["trigger_id"]) == (0, 11)
    assert qwen2_at.paths() == ["/config", "/queue/join", "/queue/data"]  # Gradio 4: no prefix


async def test_qwen2_sends_the_space_default_system_prompt_read_from_the_space(qwen2_at):
    qwen2_at.script = answer_script(qwen2_at, "Hey")
    await run(Qwen_Qwen_2_72B, [{"role": "user", "content": "Hello"}])
    assert joined(qwen2_at)["data"] == ["Hello", [], QWEN2_DEFAULT_SYSTEM]


async def test_qwen2_sends_a_changed_default_when_the_space_changes_it(qwen2_at):
    """The default is the hidden Textbox's (id 8) value, not a literal of ours."""
    qwen2_at.config["components"][2]["props"]["value"] = "Speak only in haiku."
    qwen2_at.script = answer_script(qwen2_at, "Hey")
    await run(Qwen_Qwen_2_72B, [{"role": "user", "content": "Hello"}])
    assert joined(qwen2_at)["data"][2] == "Speak only in haiku."


async def test_qwen2_sends_an_odd_history_as_full_pairs(qwen2_at):
    qwen2_at.script = answer_script(qwen2_at, "Hey")
    messages = [
        {"role": "assistant", "content": "Welcome aboard!"},
        {"role": "user", "content": "Q1"},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q1b"},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": None},
        {"role": "user", "content": "Q2"},
    ]
    outcome = await run(Qwen_Qwen_2_72B, messages)
    assert outcome.error is None
    assert joined(qwen2_at)["data"] == ["Q2", [["Q1\nQ1b", "A1"]], "Be brief."]


async def test_a_state_system_input_is_still_served_and_sent_as_null(qwen2_at):
    """An app with a ``gr.State`` system slot (our shape allows it): the slot is the server's."""
    qwen2_at.config["components"][2]["type"] = "state"
    qwen2_at.script = answer_script(qwen2_at, "Hey")
    outcome = await run(Qwen_Qwen_2_72B, [{"role": "user", "content": "Hello"}])
    assert outcome.error is None
    assert joined(qwen2_at)["data"] == ["Hello", [], None]


# -- a Space whose app changed ----------------------------------------------------


async def test_a_renamed_endpoint_fails_in_one_line_saying_what_differs(qvq_at):
    qvq_at.config["dependencies"][1]["api_name"] = "predict"
    outcome = await run()
    error = outcome.error
    assert type(error) is G4F_CLASSES[SpaceChangedError]
    assert isinstance(error, ResponseError) and isinstance(error, SpaceProtocolError)
    assert str(error) == (
        f"The Space at {qvq_at.url} changed its app: no endpoint named 'generate' "
        "(api_names found: clear, predict). Needed: generate(image, textbox) → markdown or textbox. "
        "Set G4F_QWEN_QVQ_72B_URL to a copy that still serves it (a duplicate made before the "
        "change), or report it to g4f-qwen-spaces"
    )
    assert error.differences == ["no endpoint named 'generate' (api_names found: clear, predict)"]
    assert "\n" not in str(error)
    assert qvq_at.paths() == ["/config"]  # nothing was sent to the changed endpoint


async def test_other_input_kinds_fail_before_joining(qvq_at):
    qvq_at.config["components"][0]["type"] = "textbox"  # the image slot became a textbox
    outcome = await run()
    assert type(outcome.error) is G4F_CLASSES[SpaceChangedError]
    assert outcome.error.differences == ["input 1 is a textbox, expected image"]
    assert str(outcome.error).startswith(
        f"The Space at {qvq_at.url} changed its app: input 1 is a textbox, expected image. Needed: "
    )
    assert qvq_at.paths() == ["/config"]


@pytest.mark.parametrize("change, differences", [
    (lambda c: c["dependencies"][1].update(inputs=[2]), ["inputs are (textbox), expected (image, textbox)"]),
    (lambda c: c["dependencies"][1].update(outputs=[]), ["outputs are (none), expected (markdown or textbox)"]),
    (lambda c: c["components"][2].update(type="json"), ["output 1 is a json, expected markdown or textbox"]),
    (lambda c: (c["components"][0].update(type="audio"), c["components"][1].update(type="number")),
     ["input 1 is an audio, expected image", "input 2 is a number, expected textbox"]),
    (lambda c: c["components"][2].update(type="markdown"), []),
])
def test_differences_are_listed_exactly(change, differences):
    raw = copy.deepcopy(CONFIG)
    change(raw)
    config = SpaceConfig.parse("http://s", raw)
    assert Qwen_QVQ_72B.shape.differences(config) == differences


def test_the_published_qwen2_layout_has_no_differences():
    config = SpaceConfig.parse("http://s", copy.deepcopy(QWEN2_CONFIG))
    assert Qwen_Qwen_2_72B.shape.differences(config) == []
    endpoint = Qwen_Qwen_2_72B.shape.resolve(config)
    assert (endpoint.fn_index, endpoint.trigger_id) == (0, 11)
    assert Qwen_Qwen_2_72B.shape.describe() == (
        "model_chat(textbox, chatbot, textbox or state) → (textbox, chatbot, textbox or state)"
    )


def test_a_changed_app_moves_on_to_the_next_copy_and_says_why():
    error = SpaceChangedError("The Space at http://a changed its app: x", ["input 1 is a textbox, expected image"],
                              url="http://a")
    assert moves_on(error) is True
    assert reason(error) == "its app changed: input 1 is a textbox, expected image"
    typed = translate(error)
    assert isinstance(typed, ResponseError) and typed.differences == error.differences


async def test_a_changed_first_copy_gives_way_to_a_working_one(fault_factory, monkeypatch):
    changed, working = fault_factory(), fault_factory()
    changed.config["dependencies"][1]["api_name"] = "predict"
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, f"{changed.url},{working.url}")
    outcome = await run(cooldown=0)
    assert outcome.error is None and outcome.text == "Hello world"
    assert changed.paths() == ["/config"]


def test_the_doctor_compares_a_provider_without_a_shape_by_its_api_name():
    """A subclass of ours that declares only ``api_name``: found or not, as before shapes."""
    from g4f_qwen_spaces.__main__ import _compare

    class Bare:
        api_name, url_env = "generate", "X_URL"

    config = SpaceConfig.parse("http://s", copy.deepcopy(CONFIG))
    assert _compare(Bare, "http://s", config) == {
        "url": "http://s", "ok": True, "gradio": "5.49.1", "endpoint": "generate (fn_index 1)"}
    Bare.api_name = "predict"
    assert _compare(Bare, "http://s", config) == {
        "url": "http://s", "ok": False, "gradio": "5.49.1",
        "error": "SpaceProtocolError: The Space at http://s has no endpoint named 'predict' "
                 "(api_names found: clear, generate)"}


KINDS = st.sampled_from(["image", "textbox", "markdown", "chatbot", "state", "json", "number", "unknown"])


@st.composite
def configs(draw):
    """A QVQ-like config whose one endpoint has any name and any input and output kinds."""
    inputs = draw(st.lists(KINDS, max_size=4))
    outputs = draw(st.lists(KINDS, max_size=3))
    components = [{"id": i + 1, "type": kind, "props": {}} for i, kind in enumerate(inputs + outputs)]
    ids = [c["id"] for c in components]
    name = draw(st.sampled_from(["generate", "/generate", "predict", None, ""]))
    dependency = {"id": 0, "targets": [[99, "click"]], "inputs": ids[:len(inputs)],
                  "outputs": ids[len(inputs):], "api_name": name}
    return SpaceConfig.parse("http://s", {"version": "5.9.1", "components": components,
                                          "dependencies": [dependency]}), inputs, outputs, name


@settings(max_examples=int(os.environ.get("G4FQS_HYPOTHESIS_EXAMPLES", "300")), deadline=None, database=None)
@given(configs())
def test_differences_agree_with_a_plain_comparison(drawn):
    config, inputs, outputs, name = drawn
    shape = Qwen_QVQ_72B.shape
    differences = shape.differences(config)
    served = name in ("generate", "/generate")
    fits = served and len(inputs) == 2 and inputs[0] == "image" and inputs[1] == "textbox" \
        and outputs in (["markdown"], ["textbox"])
    assert (differences == []) == fits
    assert all(d and "\n" not in d and len(d) < 300 for d in differences)
    if not served:
        assert len(differences) == 1 and differences[0].startswith("no endpoint named 'generate'")
    if fits:
        assert shape.resolve(config).inputs[0].type == "image"
    else:
        with pytest.raises(SpaceChangedError) as caught:
            shape.resolve(config, "X_URL")
        assert caught.value.differences == differences
        assert str(caught.value) == (f"The Space at http://s changed its app: {'; '.join(differences)}. "
                                     f"Needed: {shape.describe()}. Set X_URL to a copy that still serves it "
                                     "(a duplicate made before the change), or report it to g4f-qwen-spaces")
