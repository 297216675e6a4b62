"""Turning successive values of a growing answer into the pieces to yield.

A streaming caller must receive each character exactly once, in order. The
common case is an answer that only grows (Gradio ``append`` diffs), where the
new pieces are read straight off the :class:`Rope`. A Space may also rewrite
text it already sent (a ``replace`` that is not an extension): Gradio 4's
Chatbot, for instance, re-dedents a message with ``inspect.cleandoc`` as lines
arrive. What was yielded cannot be taken back, so the tracker

* re-synchronises when the new text equals what was yielded up to white
  space (cleandoc's re-indentation), and continues after that point;
* otherwise holds back until the text again extends what was yielded, and
  drops a rewrite that never does (logged), rather than yield a duplicate or a
  garbled mixture.
"""
from __future__ import annotations

import logging
from typing import Any

from .diff import Rope, text_of

__all__ = ["TextTracker"]

log = logging.getLogger("g4f_qwen_spaces")


class TextTracker:
    """Feed the answer node after each update; get back the new text."""

    __slots__ = ("_node", "_parts", "_reference", "_pieces", "diverged")

    def __init__(self) -> None:
        self._node: Any = None  # the Rope we are reading incrementally
        self._parts = 0  # how many of its parts are already yielded
        # The text yielded so far, in the coordinates of the Space's current
        # value (equal to the yielded text except after a white-space resync).
        self._reference = ""
        self._pieces: list[str] = []  # yielded pieces not yet in _reference
        self.diverged = False

    @property
    def text(self) -> str:
        """The reference text: what the caller has, as the Space now spells it."""
        if self._pieces:
            self._reference += "".join(self._pieces)
            self._pieces.clear()
        return self._reference

    def update(self, node: Any) -> str:
        """Return the text added since the last call (may be empty)."""
        if node is self._node and isinstance(node, Rope):
            parts = node.parts
            if len(parts) >= self._parts:
                delta = "".join(parts[self._parts :]) if len(parts) > self._parts else ""
                self._parts = len(parts)
                if delta:
                    self._pieces.append(delta)
                return delta
        return self._compare(node)

    def _compare(self, node: Any) -> str:
        value = text_of(node)
        known = self.text
        if value.startswith(known):
            delta = value[len(known) :]
        else:
            position = _resync(known, value)
            if position is None:
                if not self.diverged:
                    log.debug("Space rewrote streamed text; holding back until it extends it")
                self.diverged = True
                self._node = None
                return ""
            self._reference = value[:position]
            delta = value[position:]
        self.diverged = False
        self._follow(node)
        if delta:
            self._pieces.append(delta)
        return delta

    def _follow(self, node: Any) -> None:
        if isinstance(node, Rope):
            self._node = node
            self._parts = len(node.parts)
        else:
            self._node = None
            self._parts = 0

    def finish(self, node: Any) -> str:
        """The final value: return what is still missing, never a duplicate."""
        delta = self._compare(node)
        if self.diverged:
            log.warning(
                "The Space's final answer (%d characters) does not extend the %d "
                "characters already streamed; the rewrite was dropped",
                len(text_of(node)),
                len(self.text),
            )
        return delta


def _resync(known: str, value: str) -> int | None:
    """Index in ``value`` just after the text matching ``known`` up to white space.

    ``None`` when ``value`` does not start with ``known``'s non-space
    characters. White space that ``known`` ended with is skipped in ``value``
    too, so it is not yielded twice.
    """
    target = "".join(known.split())
    matched = 0
    position = 0
    if target:
        for position, char in enumerate(value, 1):  # noqa: B007 - read after the loop
            if char.isspace():
                continue
            if char != target[matched]:
                return None
            matched += 1
            if matched == len(target):
                break
        if matched < len(target):
            return None
    trailing = len(known) - len(known.rstrip())
    while trailing and position < len(value) and value[position].isspace():
        position += 1
        trailing -= 1
    return position
