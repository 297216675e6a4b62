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
