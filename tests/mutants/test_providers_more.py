"""More tests written against mutants of ``g4f_qwen_spaces/providers`` that the other tests let live.

Each pins a behaviour at its boundary (exact values and messages); see
tests/mutants/score.py and the README's Development section.
"""
from __future__ import annotations

import pytest

from g4f_qwen_spaces.providers.messages import split_chat
from g4f_qwen_spaces.providers.qwen2 import Qwen_Qwen_2_72B
from g4f_qwen_spaces.space.config import Component, Endpoint
from g4f_qwen_spaces.space.errors import SpaceInputError


def message(role: str, text: str) -> dict[str, str]:
    return {"role": role, "content": text}


def endpoint(
    inputs: tuple[str, ...] = ("textbox", "chatbot", "textbox"),
    outputs: tuple[str, ...] = ("textbox", "chatbot", "textbox"),
) -> Endpoint:
    return Endpoint(
        api_name="model_chat", fn_index=0, trigger_id=None,
        inputs=tuple(Component(i, k) for i, k in enumerate(inputs)),
        outputs=tuple(Component(10 + i, k) for i, k in enumerate(outputs)),
    )


# -- messages.py: split_chat without a usable user turn ------------------------------------


@pytest.mark.parametrize(
    "messages",
    [
        # split_chat is public and does not require check_messages first: a conversation with
        # nothing but system prompts (or nothing at all) has no user text, and says so (not
        # "the last message must be the user's question").
        [message("system", "be brief")],
        [message("developer", "be brief"), message("system", "and kind")],
        [],
    ],
)
def test_a_conversation_of_system_prompts_only_has_no_user_text(messages):
    with pytest.raises(SpaceInputError) as caught:
        split_chat(messages)
    assert str(caught.value) == "No user message has text: the Space needs something to answer"


# -- qwen2.py: the answer is the second output -----------------------------------------------


def test_two_output_values_are_enough_to_read_the_chatbot():
    # The Chatbot is output 2 (index 1): two values hold it; one does not.
    values = ["", [["q", "the answer"]]]
    assert Qwen_Qwen_2_72B.answer_node(values, endpoint()) == "the answer"
    assert Qwen_Qwen_2_72B.answer_node(values[:1], endpoint()) == ""


# -- base.py: the Space's URLs, the model, the token -----------------------------------------


def test_the_url_variable_replaces_the_url_and_names_itself_in_errors(monkeypatch):
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, " http://127.0.0.1:1 , http://127.0.0.1:2 ")
    assert Qwen_Qwen_2_72B.space_urls() == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert Qwen_Qwen_2_72B.space_url() == "http://127.0.0.1:1"
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, "http://127.0.0.1:1,,http://127.0.0.1:2")
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_urls()
    assert str(caught.value) == (
        "G4F_QWEN_QWEN_2_72B_URL has an empty entry (item 2 of 3); separate URLs with single commas"
    )
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, "http://127.0.0.1:1\n")
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_urls()
    assert str(caught.value) == "G4F_QWEN_QWEN_2_72B_URL contains control characters (such as a line break); refused"


@pytest.mark.parametrize("value", [None, "", "  \t "])
def test_an_unset_or_blank_url_variable_leaves_the_url(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(Qwen_Qwen_2_72B.url_env, raising=False)
    else:
        monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, value)
    assert Qwen_Qwen_2_72B.space_urls() == ("https://qwen-qwen2-72b-instruct.hf.space",)


def test_a_provider_without_a_url_variable_reads_no_variable(monkeypatch):
    class NoVariable(Qwen_Qwen_2_72B):
        url = "http://127.0.0.1:3"
        url_env = ""

    # an empty name is no variable: even one set in the environment under "" is not read
    monkeypatch.setattr("os.environ", {"": "http://127.0.0.1:4"})
    assert NoVariable.space_urls() == ("http://127.0.0.1:3",)


@pytest.mark.parametrize(
    "model, resolved",
    [(None, "qwen-qwen2-72b-instruct"), ("", "qwen-qwen2-72b-instruct"), ("auto", "qwen-qwen2-72b-instruct"),
     ("qwen-2-72b", "qwen-qwen2-72b-instruct"), ("qwen-qwen2-72b-instruct", "qwen-qwen2-72b-instruct")],
)
def test_a_model_name_alias_or_default_resolves(model, resolved):
    assert Qwen_Qwen_2_72B.resolve_model(model) == resolved


def test_an_alias_resolves_to_its_own_target_not_the_default():
    class TwoModels(Qwen_Qwen_2_72B):
        default_model = "first"
        models = ["first", "second", "2nd"]
        model_aliases = {"2nd": "second"}

    assert [TwoModels.resolve_model(m) for m in ("2nd", "second", "auto")] == ["second", "second", "first"]


def test_an_unknown_or_non_string_model_is_refused_with_the_models_listed():
    from g4f.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError) as caught:
        Qwen_Qwen_2_72B.resolve_model("AUTO")
    assert str(caught.value) == (
        "Model 'AUTO' is not served by Qwen_Qwen_2_72B; available: qwen-qwen2-72b-instruct, qwen-2-72b"
    )
    with pytest.raises(ModelNotFoundError) as caught:
        Qwen_Qwen_2_72B.resolve_model(7)
    assert str(caught.value) == (
        "The model name must be a string, got int; Qwen_Qwen_2_72B serves: qwen-qwen2-72b-instruct, qwen-2-72b"
    )


@pytest.mark.parametrize("key", [None, ""])
def test_no_api_key_sends_no_token(key):
    assert Qwen_Qwen_2_72B.space_token(key) is None


def test_an_hf_token_is_sent_as_is():
    assert Qwen_Qwen_2_72B.space_token("hf_abc") == "hf_abc"


@pytest.mark.parametrize("key", ["g4f_abc", "gfs_abc"])
def test_a_g4f_key_is_not_forwarded_and_the_debug_log_says_so(key, caplog):
    import logging

    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert Qwen_Qwen_2_72B.space_token(key) is None
    assert [r.getMessage() for r in caplog.records] == ["Qwen_Qwen_2_72B: not forwarding a g4f key to the Space"]


def test_a_non_string_or_broken_api_key_is_refused_by_name():
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_token(123)
    assert str(caught.value) == "api_key must be a string (an HF token, hf_...)"
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_token("hf_abc\r\nX-Evil: 1")
    assert str(caught.value) == "api_key contains control characters (such as a line break); refused"


# -- base.py: statuses and the waker's hook --------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, wanted",
    [({}, False), ({"stream": True}, True), ({"ignore_stream": True}, True),
     ({"stream": False, "ignore_stream": True}, True), ({"stream": True, "ignore_stream": False}, True),
     ({"stream": False, "ignore_stream": False}, False), ({"STREAM": True, "IGNORE_STREAM": True}, False)],
)
def test_statuses_go_to_callers_that_stream_or_ignore_stream(kwargs, wanted):
    from g4f_qwen_spaces.providers.base import _wants_status

    assert _wants_status(kwargs) is wanted


def test_a_status_label_is_the_host_after_the_last_at_sign():
    from g4f_qwen_spaces.providers.base import space_label

    assert space_label("https://a@b:pw@qwen.hf.space/x") == "Space qwen.hf.space"
    assert space_label("https://qwen.hf.space") == "Space qwen.hf.space"


def test_a_g4f_without_reasoning_gets_an_empty_status(monkeypatch):
    import g4f.providers.response as response

    from g4f_qwen_spaces.providers.base import _status

    monkeypatch.delattr(response, "Reasoning")
    assert _status("Waited 2.0 s in the Space's queue", "Space h") == ""


async def test_a_building_space_drops_its_cached_config_and_no_other_error_does():
    from g4f_qwen_spaces.providers.base import _on_wake
    from g4f_qwen_spaces.space.errors import SpaceError

    class Client:
        forgotten = 0

        async def forget(self):
            self.forgotten += 1

    def error(state=None):
        made = SpaceError("asleep")
        if state is not None:
            made.state = state
        return made

    client = Client()
    hook = _on_wake(client)
    for other in (error(), error("sleeping"), error("BUILDING"), error("running")):
        await hook(other)
    assert client.forgotten == 0
    await hook(error("building"))
    assert client.forgotten == 1
