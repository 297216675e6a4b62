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


def split_chat(messages: list[dict[str, Any]]) -> tuple[str, list[tuple[str | None, str | None]], str | None]:
    """Split a conversation into (query, earlier turns as pairs, system prompt).

    The query is the last user message; turns before it become
    ``(user, assistant)`` pairs (consecutive messages of one role are joined
    with a newline); system/developer messages joined are the system prompt,
    ``None`` when there are none.
    """
    if messages[-1]["role"] != "user":
        raise SpaceInputError(
            f"The last message must be the user's question (it is {messages[-1]['role']!r})"
        )
    system = [content_text(m) for m in messages if m["role"] in SYSTEM_ROLES]
    turns = [m for m in messages[:-1] if m["role"] not in SYSTEM_ROLES]
    pairs: list[tuple[str | None, str | None]] = []
    user: list[str] = []
    assistant: list[str] = []
    for message in turns:
        text = content_text(message)
        if message["role"] == "user":
            if assistant:
                pairs.append(("\n".join(user) if user else None, "\n".join(assistant)))
                user, assistant = [], []
            user.append(text)
        else:
            assistant.append(text)
    if user or assistant:
        pairs.append(("\n".join(user) if user else None, "\n".join(assistant) if assistant else None))
    return content_text(messages[-1]), pairs, ("\n".join(system) if system else None)
