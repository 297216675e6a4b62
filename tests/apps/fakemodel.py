"""Deterministic fake "model" behind the test Gradio Spaces.

Pure Python (no gradio import): the apps in this folder import it as ``fakemodel``
(run as scripts, their folder is on ``sys.path``) and tests import it as
``tests.apps.fakemodel`` to compute the exact text a server will send.

Answers
-------
``qvq_answer(image_name, image_size, text)``::

    "[image=<basename> size=<bytes>] " + body      (an image was received)
    "[no image] " + body                           (no image)

``qwen2_answer(query, pairs, system)``::

    "[system=<system>] [history=<u1> => <a1> | <u2> => <a2>] " + body

where ``body`` is ``long_text(n)`` when the text/query contains ``LONG:<n>``
and ``"You said: " + text`` (the text verbatim, commands included) otherwise.

The apps stream the answer with :func:`pieces`: they yield the cumulative string
after each piece, so the final value is exactly the answer.  NB: a Gradio
``Chatbot`` passes every *string* message (user and assistant, every partial
yield too) through ``inspect.cleandoc`` before sending it -- on Gradio 4.x
(tuples and messages), 5.x with ``type="messages"`` and 6.x, but NOT on 5.x
tuples.  So the text a client sees in a chat history is
``chatbot_view(answer, major, chatbot_type)`` (identical to ``answer`` for
single-line text without leading whitespace or tabs).  Because each partial
is cleaned separately, a multi-line answer can stream with ``replace`` ops
instead of ``append``.

Commands (anywhere in the text; for QVQ the prompt may be a multi-line
"User: ...\\nAssistant:" transcript; for Qwen2 only the current query counts)
-----------------------------------------------------------------------------
``ERROR:<message>``
    The app raises ``gr.Error(<message>)`` before yielding anything.  The
    message runs to the end of that line (stripped).
``CRASH_AFTER:<k>``
    The app yields ``k`` pieces, then raises a plain ``Exception("boom")``
    (the client sees ``error: null`` unless the server runs with ``--show-error``).
``SLEEP:<seconds>``
    The app sleeps that long before starting (blocking; a cancel only takes
    effect at the next yield).
``DELAY:<seconds>``
    Per-piece delay for this request, overriding the server's ``--delay``.
``LONG:<n>``
    The body of the answer is ``long_text(n)`` (exactly n characters).

Use :func:`parse_commands` to see how a text is interpreted.
"""

from __future__ import annotations

import inspect
import re

__all__ = [
    "pieces",
    "long_text",
    "parse_commands",
    "answer_body",
    "qvq_answer",
    "qwen2_answer",
    "chatbot_view",
]

_PIECE_RE = re.compile(r"\s*\S+|\s+\Z")


def pieces(text: str) -> list[str]:
    """Split ``text`` into word-sized pieces: each is optional whitespace
    followed by a run of non-whitespace; trailing whitespace is a last piece.

    ``"".join(pieces(text)) == text`` for every string (leading/trailing
    whitespace, blank lines, tabs, emoji and CJK are all kept; a run of CJK
    without spaces is one piece).  ``pieces("") == []``.
    """
    return _PIECE_RE.findall(text)


_WORDS = (
    "alpha", "bravo", "delta", "eagle", "fable", "giant", "happy", "ivory",
    "jolly", "kiosk", "lemon", "mango", "noble", "ocean", "piano", "quart",
    "radio", "solar", "tiger", "ultra", "vivid", "waltz", "xenon", "yacht",
    "zebra", "amber", "bloom", "cedar", "dune", "ember", "frost", "grove",
)


def long_text(n: int) -> str:
    """Deterministic text of exactly ``n`` characters: 4-5 letter words from a
    fixed list separated by single spaces (the last word may be cut).  It never
    starts or ends with whitespace (so ``chatbot_view`` leaves it unchanged)."""
    if n <= 0:
        return ""
    out: list[str] = []
    size = 0
    i = 0
    while size < n:
        word = _WORDS[(i * 7 + i // len(_WORDS)) % len(_WORDS)]
        chunk = word if i == 0 else " " + word
        out.append(chunk)
        size += len(chunk)
        i += 1
    text = "".join(out)[:n]
    if text.endswith(" "):
        text = text[:-1] + "z"
    return text


_CMD_RE = {
    "error": re.compile(r"ERROR:([^\n]*)"),
    "crash_after": re.compile(r"CRASH_AFTER:(\d+)"),
    "sleep": re.compile(r"SLEEP:(\d+(?:\.\d*)?|\.\d+)"),
    "delay": re.compile(r"DELAY:(\d+(?:\.\d*)?|\.\d+)"),
    "long": re.compile(r"LONG:(\d+)"),
}


def parse_commands(text: str | None) -> dict:
    """Return the commands found in ``text`` (first occurrence of each).

    Keys (always all present, ``None`` when absent):
    ``error`` (str), ``crash_after`` (int), ``sleep`` (float),
    ``delay`` (float), ``long`` (int).
    """
    text = text or ""
    found: dict = {key: None for key in _CMD_RE}
    for key, regex in _CMD_RE.items():
        m = regex.search(text)
        if not m:
            continue
        raw = m.group(1)
        if key == "error":
            found[key] = raw.strip()
        elif key in ("crash_after", "long"):
            found[key] = int(raw)
        else:
            found[key] = float(raw)
    return found


def answer_body(text: str | None) -> str:
    """``long_text(n)`` if ``text`` contains ``LONG:<n>``, else ``"You said: " + text``."""
    text = text or ""
    n = parse_commands(text)["long"]
    if n is not None:
        return long_text(n)
    return "You said: " + text


def qvq_answer(image_name: str | None, image_size: int | None, text: str) -> str:
    """Answer of the QVQ test app (see module docstring)."""
    if image_name is not None:
        head = f"[image={image_name} size={image_size}] "
    else:
        head = "[no image] "
    return head + answer_body(text)


def qwen2_answer(query: str, pairs: list[tuple[str, str]], system: str) -> str:
    """Answer of the Qwen2 test app: ``pairs`` is the history the server
    received, as (user, assistant) strings (see module docstring)."""
    history = " | ".join(f"{u} => {a}" for u, a in pairs)
    return f"[system={system}] [history={history}] " + answer_body(query)


def chatbot_view(text: str, major: int | str = 6, chatbot_type: str = "messages") -> str:
    """What a Gradio ``Chatbot`` of that major version and type sends for a
    string message: ``inspect.cleandoc(text)`` (tabs expanded, common
    indentation of lines 2+ removed, first line left-stripped, leading/trailing
    empty lines dropped), except on Gradio 5 with ``tuples``, which sends the
    text unchanged."""
    if str(major) == "5" and chatbot_type == "tuples":
        return text
    return inspect.cleandoc(text)
