"""Gradio's streaming diffs, applied so that appends stay O(1).

After the first ``process_generating`` of an event, the server sends each
output as a list of operations on its previous value: ``append`` (string
growth), ``replace``, ``add`` and ``delete``, each at a ``path`` of list
indices and dict keys. ``[]`` means "unchanged".

Appending to a Python ``str`` copies it, so a 100,000-character answer built
token by token would cost O(n²). Strings that receive an ``append`` become a
:class:`Rope` (a list of pieces, joined only when someone reads the whole),
and :class:`~g4f_qwen_spaces.space.text.TextTracker` reads new pieces
straight from it.
"""
from __future__ import annotations

from typing import Any, Sequence

from .errors import SpaceProtocolError

__all__ = ["Rope", "apply_ops", "materialize", "text_of"]


class Rope:
    """A string under construction: ``parts`` joined is its value."""

    __slots__ = ("parts", "_joined", "_joined_parts")

    def __init__(self, base: str = "") -> None:
        self.parts: list[str] = [base] if base else []
        self._joined = ""
        self._joined_parts = 0

    def append(self, piece: str) -> None:
        self.parts.append(piece)

    def __str__(self) -> str:
        # Join only the pieces added since the last read, so repeated reads
        # during a stream stay linear overall.
        count = len(self.parts)
        if count != self._joined_parts:
            self._joined += "".join(self.parts[self._joined_parts :])
            self._joined_parts = count
        return self._joined

    def __len__(self) -> int:
        return len(str(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Rope, str)):
            return str(self) == str(other)
        return NotImplemented

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        return f"Rope({str(self)!r})"


def text_of(node: Any) -> str:
    """The string value of a text node (``str``, :class:`Rope` or ``None``)."""
    if node is None:
        return ""
    if isinstance(node, (str, Rope)):
        return str(node)
    raise SpaceProtocolError(f"Expected text from the Space, got {type(node).__name__}")


def materialize(value: Any) -> Any:
    """A plain-JSON copy of a value tree (ropes become strings)."""
    if isinstance(value, Rope):
        return str(value)
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


def apply_ops(value: Any, ops: Sequence[Sequence[Any]]) -> Any:
    """Apply one output's diff operations; return the new value.

    Deletes at one container arrive in a run at the tail of the list. Gradio 4
    numbers them by their original indices, Gradio 5/6 pre-shift them (the
    same index repeated); applying each run from the highest index down is
    correct for both, so no version switch is needed.
    """
    if len(ops) == 1 and type(value) is Rope:
        op = ops[0]
        if type(op) is list and len(op) == 3 and op[0] == "append" and not op[1] and type(op[2]) is str:
            value.parts.append(op[2])  # the common case: the text grew
            return value
    index = 0
    count = len(ops)
    while index < count:
        op = ops[index]
        if not isinstance(op, (list, tuple)) or len(op) != 3:
            raise SpaceProtocolError(f"Malformed diff operation from the Space: {op!r:.80}")
        action, path, operand = op
        if action == "delete":
            run_end = index + 1
            while run_end < count and _is_delete_at(ops[run_end], path):
                run_end += 1
            run = sorted(
                (o[1] for o in ops[index:run_end]),
                key=lambda p: p[-1] if p and isinstance(p[-1], int) else -1,
                reverse=True,
            )
            for delete_path in run:
                value = _apply(value, "delete", delete_path, None)
            index = run_end
            continue
        value = _apply(value, action, path, operand)
        index += 1
    return value


def _is_delete_at(op: Any, first_path: Sequence[Any]) -> bool:
    return (
        isinstance(op, (list, tuple))
        and len(op) == 3
        and op[0] == "delete"
        and isinstance(op[1], list)
        and list(op[1][:-1]) == list(first_path[:-1])
    )


def _apply(value: Any, action: str, path: Sequence[Any], operand: Any) -> Any:
    if not isinstance(path, (list, tuple)):
        raise SpaceProtocolError(f"Malformed diff path from the Space: {path!r:.80}")
    if not path:
        if action == "replace":
            return operand
        if action == "append":
            return _appended(value, operand)
        raise SpaceProtocolError(f"Diff operation {action!r} needs a path")
    try:
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if action == "replace":
            parent[key] = operand
        elif action == "append":
            parent[key] = _appended(parent[key], operand)
        elif action == "add":
            if isinstance(parent, list):
                parent.insert(key, operand)
            else:
                parent[key] = operand
        elif action == "delete":
            del parent[key]
        else:
            raise SpaceProtocolError(f"Unknown diff operation from the Space: {action!r:.40}")
    except (IndexError, KeyError, TypeError) as error:
        raise SpaceProtocolError(
            f"Diff operation {action!r} at {list(path)!r:.60} does not fit the value: {error}"
        ) from None
    return value


def _appended(target: Any, piece: Any) -> Any:
    if isinstance(target, Rope):
        target.append(piece)
        return target
    if isinstance(target, str) and isinstance(piece, str):
        rope = Rope(target)
        rope.append(piece)
        return rope
    if isinstance(target, list) and isinstance(piece, list):
        target.extend(piece)
        return target
    if target is None and isinstance(piece, str):
        return Rope(piece)
    raise SpaceProtocolError(
        f"Cannot append {type(piece).__name__} to {type(target).__name__} from the Space"
    )
