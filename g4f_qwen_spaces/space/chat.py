"""Gradio Chatbot values on the wire: history out, the latest answer back.

Three formats exist: tuples ``[[user, bot], ...]`` (Gradio 4, and 5's
default), messages ``[{"role", "content": str}]`` (5 with
``type="messages"``), and messages whose content is a list of parts
``[{"type": "text", "text": ...}]`` (6, the only format there). A client must
send the one the Space's config declares.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .config import Component
from .diff import Rope

__all__ = ["chatbot_format", "history_value", "answer_node"]

TUPLES, MESSAGES, PARTS = "tuples", "messages", "parts"

Pair = tuple[str | None, str | None]


def chatbot_format(component: Component, major: int) -> str:
    """Which wire format a Chatbot component expects."""
    if major >= 6:
        return PARTS
    return MESSAGES if component.props.get("type") == "messages" else TUPLES


def history_value(pairs: Sequence[Pair], style: str) -> list[Any]:
    """Earlier turns in the given wire format."""
    if style == TUPLES:
        return [[user, bot] for user, bot in pairs]
    history: list[Any] = []
    for user, bot in pairs:
        for role, text in (("user", user), ("assistant", bot)):
            if text is None:
                continue
            content: Any = [{"type": "text", "text": text}] if style == PARTS else text
            history.append({"role": role, "content": content})
    return history


def answer_node(chatbot: Any) -> Any:
    """The text node of the newest bot message ("" before it starts).

    The node is returned as is (a ``str`` or a growing :class:`Rope`), so the
    caller can read only what was appended to it.
    """
    if not isinstance(chatbot, list) or not chatbot:
        return ""
    last = chatbot[-1]
    if isinstance(last, (list, tuple)):  # tuples
        return _text_node(last[1]) if len(last) > 1 else ""
    if isinstance(last, dict):  # messages
        if last.get("role") != "assistant":
            return ""
        return _text_node(last.get("content"))
    return ""


def _text_node(content: Any) -> Any:
    if content is None:
        return ""
    if isinstance(content, (str, Rope)):
        return content
    if isinstance(content, list):  # content parts (Gradio 6)
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type", "text") == "text"]
        if len(texts) == 1:
            return texts[0] if texts[0] is not None else ""
        return "".join(str(t) for t in texts if t is not None)
    if isinstance(content, dict) and "text" in content:
        return content["text"]
    return ""  # a file or component message: no text
