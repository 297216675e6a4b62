"""g4f's OpenAI-style messages, validated and reshaped for a Space.

Checks run before any network I/O, so a bad request costs nothing and sends
nothing. Text is extracted with g4f's own ``to_string`` (content parts,
buckets), so our providers read messages exactly as g4f's do.
"""
from __future__ import annotations

from typing import Any

from g4f.providers.helper import to_string

from ..space.errors import SpaceInputError

__all__ = ["check_messages", "content_text", "split_chat", "SYSTEM_ROLES"]

SYSTEM_ROLES = ("system", "developer")


def check_messages(messages: Any) -> list[dict[str, Any]]:
    """Raise :class:`SpaceInputError` unless ``messages`` is a usable conversation."""
    if not isinstance(messages, (list, tuple)) or not messages:
        raise SpaceInputError("No messages: send at least one user message")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise SpaceInputError(f"Message {index} is not a {{'role': ..., 'content': ...}} dict")
        if "content" not in message:
            raise SpaceInputError(f"Message {index} has no 'content'")
        content = message["content"]
        if content is not None and not isinstance(content, (str, list)):
            raise SpaceInputError(
                f"Message {index} has content of type {type(content).__name__}; "
                "expected text or a list of content parts"
            )
        if isinstance(content, list) and not all(isinstance(part, dict) for part in content):
            raise SpaceInputError(f"Message {index} has content parts that are not dicts")
    if not any(m["role"] == "user" for m in messages):
        raise SpaceInputError("No user message: the Space needs something to answer")
    return list(messages)


def content_text(message: dict[str, Any]) -> str:
    """The text of a message (image parts and file references skipped)."""
    return str(to_string(message.get("content")))


def split_chat(messages: list[dict[str, Any]]) -> tuple[str, list[tuple[str, str]], str | None]:
    """Split a conversation into (query, earlier turns as pairs, system prompt).

    The Space hands every ``(user, assistant)`` pair to its model unchanged,
    and the model refuses a turn without text, so every pair has text on both
    sides. The rule, applied in this order:

    1. system/developer messages, wherever they are, are the system prompt
       (their texts joined with a newline); ``None`` when none has text, so
       the Space's own default applies;
    2. messages without text (empty, whitespace only, image parts only) are
       left out;
    3. consecutive messages of one role are joined with a newline into one
       turn (so two user messages in a row are one question); every role
       but ``user`` (and the system roles) counts as the assistant's;
    4. assistant turns before the first user turn (a greeting) are left out:
       the history has no place for an answer to nothing;
    5. the last turn is the query and must be the user's; the turns before
       it are the pairs.

    No user text is lost: the pairs' user sides and the query, joined with
    newlines, are every user message with text, in order.
    """
    system = [text for m in messages if m["role"] in SYSTEM_ROLES if (text := content_text(m)).strip()]
    turns = _turns(messages)
    while turns and turns[0][0] != "user":
        turns.pop(0)
    if not turns:
        last = next((m["role"] for m in reversed(messages) if m["role"] not in SYSTEM_ROLES), "user")
        if last != "user":
            raise SpaceInputError(f"The last message must be the user's question (it is {last!r})")
        raise SpaceInputError("No user message has text: the Space needs something to answer")
    role, query = turns[-1]
    if role != "user":
        raise SpaceInputError(f"The last message must be the user's question (it is {role!r})")
    pairs = [(turns[i][1], turns[i + 1][1]) for i in range(0, len(turns) - 1, 2)]
    return query, pairs, ("\n".join(system) if system else None)


def _turns(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, text) of the conversation's messages with text, one role's run joined."""
    turns: list[tuple[str, str]] = []
    for message in messages:
        if message["role"] in SYSTEM_ROLES:
            continue
        role = "user" if message["role"] == "user" else "assistant"
        text = content_text(message)
        if not text.strip():
            continue
        if turns and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n" + text)
        else:
            turns.append((role, text))
    return turns
