"""Gradio diff operations, on sequences captured from real servers (GRADIO_PROTOCOL.md §3)."""
import copy

import pytest

from g4f_qwen_spaces.space.diff import Rope, apply_ops, materialize
from g4f_qwen_spaces.space.errors import SpaceProtocolError


def run(first, *ops_lists):
    value = copy.deepcopy(first)
    seen = []
    for ops in ops_lists:
        value = apply_ops(value, ops)
        seen.append(materialize(value))
    return seen


def test_app_a_append_replace_sequence_same_on_all_versions():
    assert run("abc", [["append", [], "def"]], [["replace", [], "xyz"]], [["replace", [], ""]]) == [
        "abcdef",
        "xyz",
        "",
    ]


def test_append_builds_a_rope_not_a_copy():
    value = apply_ops("The", [["append", [], " quick"]])
    assert isinstance(value, Rope)
    same = apply_ops(value, [["append", [], " brown"]])
    assert same is value
    assert value.parts == ["The", " quick", " brown"]
    assert str(value) == "The quick brown"


def test_chatbot_tuples_append_at_pair_path():
    history = [["Hi", "Hello"]]
    history = apply_ops(history, [["append", [0, 1], " there"]])
    assert materialize(history) == [["Hi", "Hello there"]]


def test_gradio4_multi_delete_uses_original_indices():
    start = [["Q0", "A0"], ["q", None]]
    seen = run(
        start,
        [["replace", [1, 1], "Hello"]],
        [["add", [2], ["x", "y"]], ["add", [3], ["z", "w"]]],
        [["append", [1, 1], " world"], ["delete", [2], None], ["delete", [3], None]],
        [["replace", [1, 1], "Goodbye"]],
    )
    assert seen == [
        [["Q0", "A0"], ["q", "Hello"]],
        [["Q0", "A0"], ["q", "Hello"], ["x", "y"], ["z", "w"]],
        [["Q0", "A0"], ["q", "Hello world"]],
        [["Q0", "A0"], ["q", "Goodbye"]],
    ]


def test_gradio5_multi_delete_is_pre_shifted():
    start = [["Q0", "A0"], ["q", "Hello"], ["x", "y"], ["z", "w"]]
    seen = run(start, [["append", [1, 1], " world"], ["delete", [2], None], ["delete", [2], None]])
    assert seen == [[["Q0", "A0"], ["q", "Hello world"]]]


def test_gradio6_messages_with_content_parts():
    def msg(role, text):
        return {"role": role, "metadata": None, "content": [{"text": text, "type": "text"}], "options": None}

    start = [msg("user", "Q0"), msg("assistant", "A0"), msg("user", "q")]
    seen = run(
        start,
        [["add", [3], msg("assistant", "Hello")]],
        [["append", [3, "content", 0, "text"], " world"]],
        [["add", [4], msg("user", "x")], ["add", [5], msg("assistant", "y")]],
        [["delete", [4], None], ["delete", [4], None]],
        [["replace", [3, "content", 0, "text"], "Goodbye"]],
    )
    assert seen[1][3]["content"][0]["text"] == "Hello world"
    assert len(seen[2]) == 6 and len(seen[3]) == 4
    assert seen[4][3]["content"][0]["text"] == "Goodbye"


def test_dict_add_and_delete():
    value = apply_ops({"a": 1}, [["add", ["b"], 2], ["delete", ["a"], None]])
    assert value == {"b": 2}


def test_unicode_pieces_survive():
    pieces = ["你好", "，", "世界", " 👋🏽", "\n\n", "Ünïcödé"]
    value = "".join(pieces[:1])
    for piece in pieces[1:]:
        value = apply_ops(value, [["append", [], piece]])
    assert str(value) == "".join(pieces)


@pytest.mark.parametrize(
    "ops, message",
    [
        ([["append", [5, 1], "x"]], "operation 'append' at [5, 1] does not fit the value (IndexError)"),
        ([["explode", [0], 1]], "unknown operation 'explode'"),
        ([["append", []]], "operation ['append', []]"),
        ([["add", [], 1]], "operation 'add' needs a path"),
        ([["append", [0, 0], 3]], "cannot append int to text"),
        ([["add", [7, 1]]], "operation ['add', [7, 1]]"),
        ([["add", [True], 1]], "path [True]"),
        ([["add", [1_000_001], 1]], "index 1000001 out of range"),
    ],
)
def test_malformed_operations_raise_protocol_errors(ops, message):
    """Every one starts like the README's row: ``Malformed diff …``."""
    with pytest.raises(SpaceProtocolError) as caught:
        apply_ops([["a", "b"]], ops)
    assert str(caught.value) == f"Malformed diff from the Space: {message}"
