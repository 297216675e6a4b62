"""The history rule: every pair the Qwen2 Space gets has text on both sides.

Evidence (/work/shared/NOTES.md, "The two Spaces"): the published Qwen2 app
hands every ``[user, assistant]`` pair to DashScope unchanged, DashScope
refuses a message whose content is not a non-empty string, and the app has no
``show_error``, so such a history comes back as an error with no message. The
rule is :func:`g4f_qwen_spaces.providers.messages.split_chat`'s docstring (and
the README's *Use* section); the end-to-end half against the published app on
Gradio 4.32.1 is tests/test_published.py.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from g4f_qwen_spaces.providers.messages import split_chat
from g4f_qwen_spaces.space.errors import SpaceInputError

EXAMPLES = int(os.environ.get("G4FQS_HYPOTHESIS_EXAMPLES", "300"))


def user(content):
    return {"role": "user", "content": content}


def bot(content):
    return {"role": "assistant", "content": content}


def system(content):
    return {"role": "system", "content": content}


IMAGE_ONLY = [{"type": "image_url", "image_url": {"url": "data:,"}}]


@pytest.mark.parametrize("messages, expected", [
    # a leading assistant greeting is left out
    ([bot("Hello! How can I help?"), user("Hi")], ("Hi", [], None)),
    ([bot("Hello"), bot("I am a bot"), user("Q1"), bot("A1"), user("Q2")], ("Q2", [("Q1", "A1")], None)),
    # consecutive turns of one role are one turn
    ([user("Q1a"), user("Q1b"), bot("A1"), user("Q2")], ("Q2", [("Q1a\nQ1b", "A1")], None)),
    ([user("Q1"), bot("A1a"), bot("A1b"), user("Q2")], ("Q2", [("Q1", "A1a\nA1b")], None)),
    # a user turn left without an answer joins the next: the question keeps it
    ([user("Q1"), bot("A1"), user("Q2"), user("Q3")], ("Q2\nQ3", [("Q1", "A1")], None)),
    # messages without text are left out (None, "", whitespace, image parts only)
    ([user("Q1"), bot(""), user("Q2")], ("Q1\nQ2", [], None)),
    ([user("Q1"), bot(None), bot("  \n"), bot("A1"), user(IMAGE_ONLY), user("Q2")], ("Q2", [("Q1", "A1")], None)),
    ([user(""), bot("A0"), user("Q1")], ("Q1", [], None)),
    ([user("Q1"), bot("A1"), user("Q2"), bot("")], ("Q2", [("Q1", "A1")], None)),
    # system messages anywhere are the system prompt; empty ones are not one
    ([user("Q1"), system("Be brief."), bot("A1"), {"role": "developer", "content": "No jokes."}, user("Q2")],
     ("Q2", [("Q1", "A1")], "Be brief.\nNo jokes.")),
    ([system(""), system(" "), user("Q1")], ("Q1", [], None)),
    ([user("Q1"), system("Late.")], ("Q1", [], "Late.")),
    # any role but user and the system roles counts as the assistant's
    ([user("Q1"), {"role": "tool", "content": "42"}, user("Q2")], ("Q2", [("Q1", "42")], None)),
])
def test_the_rule(messages, expected):
    assert split_chat(messages) == expected


@pytest.mark.parametrize("messages, text", [
    ([user("q"), bot("a")], "The last message must be the user's question (it is 'assistant')"),
    ([user(""), bot("a")], "The last message must be the user's question (it is 'assistant')"),
    ([user(""), system("s")], "No user message has text: the Space needs something to answer"),
    ([user("  "), bot(None)], "The last message must be the user's question (it is 'assistant')"),
    ([user(IMAGE_ONLY)], "No user message has text: the Space needs something to answer"),
])
def test_refused_before_sending(messages, text):
    with pytest.raises(SpaceInputError) as caught:
        split_chat(messages)
    assert str(caught.value) == text
    assert type(caught.value) is SpaceInputError


TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\n", "\t \n"]),
    st.text(min_size=1, max_size=12),
    st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=8)}), max_size=2),
    st.just(IMAGE_ONLY),
)
ROLES = st.sampled_from(["user", "assistant", "system", "developer", "tool"])
MESSAGES = st.lists(st.fixed_dictionaries({"role": ROLES, "content": TEXTS}), min_size=1, max_size=12)


def _text(message) -> str:
    content = message["content"]
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "text")


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(MESSAGES)
def test_every_pair_has_text_on_both_sides(messages):
    """For any message list: a request whose pairs all have text, or a refusal before sending.

    And no user text is lost: the pairs' user sides and the query, joined
    with newlines, are exactly the user messages with text, in order.
    """
    try:
        query, pairs, prompt = split_chat(messages)
    except SpaceInputError as error:
        turns = [m for m in messages if m["role"] not in ("system", "developer") and _text(m).strip()]
        while turns and turns[0]["role"] != "user":
            turns.pop(0)
        assert not turns or turns[-1]["role"] != "user", str(error)
        return
    assert query.strip()
    for asked, answered in pairs:
        assert isinstance(asked, str) and asked.strip()
        assert isinstance(answered, str) and answered.strip()
    assert prompt is None or prompt.strip()
    users = [_text(m) for m in messages if m["role"] == "user" and _text(m).strip()]
    assert "\n".join([asked for asked, _ in pairs] + [query]) == "\n".join(users)
    systems = [_text(m) for m in messages if m["role"] in ("system", "developer") and _text(m).strip()]
    assert prompt == ("\n".join(systems) if systems else None)
