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

from typing import Any

from .errors import SpaceProtocolError, excerpt

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

    __hash__ = None  # type: ignore[assignment]  # mutable

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


#: Largest list index a diff may use (Gradio never goes past a list's end).
MAX_INDEX = 1_000_000
_ACTIONS = ("replace", "append", "add", "delete")


def apply_ops(value: Any, ops: Any) -> Any:
    """Apply one output's diff operations; return the new value.

    Deletes at one container arrive in a run at the tail of the list. Gradio 4
    numbers them by their original indices, Gradio 5/6 pre-shift them (the
    same index repeated); applying each run from the highest index down is
    correct for both, so no version switch is needed. Anything that is not a
    well-formed operation raises :class:`SpaceProtocolError` before it is used.
    """
    if type(ops) is list and len(ops) == 1 and type(value) is Rope:
        op = ops[0]
        if type(op) is list and len(op) == 3 and op[0] == "append" and op[1] == [] and type(op[2]) is str:
            value.parts.append(op[2])  # the common case: the text grew
            return value
    if not isinstance(ops, list):
        raise _malformed(f"{type(ops).__name__} instead of a list")
    checked = [_checked(op) for op in ops]
    index = 0
    count = len(checked)
    while index < count:
        action, path, operand = checked[index]
        if action == "delete" and path:
            run_end = index + 1
            while run_end < count and _is_delete_at(checked[run_end], path):
                run_end += 1
            run = sorted(
                (o[1] for o in checked[index:run_end]),
                key=lambda p: p[-1] if isinstance(p[-1], int) else -1,
                reverse=True,
            )
            for delete_path in run:
                value = _apply(value, "delete", delete_path, None)
            index = run_end
            continue
        value = _apply(value, action, path, operand)
        index += 1
    return value


def _checked(op: Any) -> tuple[str, list[Any], Any]:
    """One operation as (action, path, operand), or a protocol error."""
    if not isinstance(op, list) or len(op) != 3:
        raise _malformed(f"operation {excerpt(repr(op), 80)}")
    action, path, operand = op
    if action not in _ACTIONS:
        raise _malformed(f"unknown operation {excerpt(repr(action), 40)}")
    if not isinstance(path, list):
        raise _malformed(f"path {excerpt(repr(path), 80)}")
    for key in path:
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise _malformed(f"path {excerpt(repr(path), 80)}")
        if isinstance(key, int) and not 0 <= key <= MAX_INDEX:
            raise _malformed(f"index {excerpt(str(key), 40)} out of range")
    return action, path, operand


def _is_delete_at(op: tuple[str, list[Any], Any], first_path: list[Any]) -> bool:
    return op[0] == "delete" and len(op[1]) == len(first_path) and op[1][:-1] == first_path[:-1]


def _apply(value: Any, action: str, path: list[Any], operand: Any) -> Any:
    if not path:
        if action == "replace":
            return operand
        if action == "append":
            return _appended(value, operand)
        raise _malformed(f"operation {action!r} needs a path")
    try:
        parent = value
        for key in path[:-1]:
            parent = _child(parent, key)
        key = path[-1]
        if action == "replace":
            _check_slot(parent, key, insert=False)
            parent[key] = operand
        elif action == "append":
            _check_slot(parent, key, insert=False)
            parent[key] = _appended(parent[key], operand)
        elif action == "add":
            _check_slot(parent, key, insert=True)
            if isinstance(parent, list):
                parent.insert(key, operand)
            else:
                parent[key] = operand
        else:
            _check_slot(parent, key, insert=False)
            del parent[key]
    except (IndexError, KeyError, TypeError) as error:
        raise _malformed(
            f"operation {action!r} at {excerpt(repr(path), 60)} does not fit the value ({type(error).__name__})"
        ) from None
    return value


def _child(parent: Any, key: Any) -> Any:
    _check_slot(parent, key, insert=False)
    return parent[key]


def _check_slot(parent: Any, key: Any, *, insert: bool) -> None:
    """The key addresses an existing element (or, for ``add``, a list position up to its end)."""
    if isinstance(parent, list):
        if not isinstance(key, int) or key > len(parent) or (key == len(parent) and not insert):
            raise IndexError(key)
    elif isinstance(parent, dict):
        if not isinstance(key, str) or (not insert and key not in parent):
            raise KeyError(key)
    else:
        raise TypeError(type(parent).__name__)


def _appended(target: Any, piece: Any) -> Any:
    if isinstance(target, Rope) and isinstance(piece, str):
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
    raise _malformed(f"cannot append {_kind(piece)} to {_kind(target)}")


def _kind(value: Any) -> str:
    """A value's kind as the Space's data would call it (a rope is text)."""
    return "text" if isinstance(value, (str, Rope)) else type(value).__name__


def _malformed(detail: str) -> SpaceProtocolError:
    """Every diff error starts alike (the README's troubleshooting row ``Malformed diff …``)."""
    return SpaceProtocolError(f"Malformed diff from the Space: {detail}")
