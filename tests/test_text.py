"""TextTracker: every character once, in order, even when a Space rewrites."""
from g4f_qwen_spaces.space.diff import apply_ops
from g4f_qwen_spaces.space.text import TextTracker


def test_rope_fast_path_yields_exactly_the_appended_pieces():
    tracker = TextTracker()
    value = "The"
    out = [tracker.update(value)]
    for piece in [" quick", " brown", "", " fox"]:
        value = apply_ops(value, [["append", [], piece]])
        out.append(tracker.update(value))
    assert out == ["The", " quick", " brown", "", " fox"]
    assert tracker.finish("The quick brown fox") == ""


def test_several_appends_between_reads_come_out_together():
    tracker = TextTracker()
    value = apply_ops("a", [["append", [], "b"]])
    assert tracker.update(value) == "ab"
    value = apply_ops(value, [["append", [], "c"], ["append", [], "d"]])
    assert tracker.update(value) == "cd"


def test_final_value_adds_only_the_missing_tail():
    tracker = TextTracker()
    assert tracker.update("Hello") == "Hello"
    assert tracker.finish("Hello world") == " world"


def test_non_extension_rewrite_is_not_duplicated_or_garbled():
    tracker = TextTracker()
    out = [tracker.update(v) for v in ["abc", "abcdef", "xyz", ""]]
    out.append(tracker.finish(""))
    assert "".join(out) == "abcdef"
    assert tracker.diverged is True


def test_rewrite_that_comes_back_resumes_after_what_was_yielded():
    tracker = TextTracker()
    out = [tracker.update(v) for v in ["Hello wor", "Hello", "Hello world!"]]
    assert out == ["Hello wor", "", "ld!"]


def test_cleandoc_style_reindent_resyncs_on_non_space_text():
    # Gradio 4's Chatbot dedents lines after the first while they are all
    # indented, then re-indents when an unindented line arrives.
    tracker = TextTracker()
    out = [tracker.update("Code:\nx = 1"), tracker.update("Code:\n    x = 1\ny = 2")]
    out.append(tracker.finish("Code:\n    x = 1\ny = 2\nz"))
    assert out == ["Code:\nx = 1", "\ny = 2", "\nz"]


def test_trailing_white_space_is_not_yielded_twice_after_resync():
    tracker = TextTracker()
    assert tracker.update("a\nb\n") == "a\nb\n"
    assert tracker.update("a\n  b\nc") == "c"


def test_node_swap_from_str_to_rope_continues():
    tracker = TextTracker()
    assert tracker.update("") == ""
    value = apply_ops("", [["append", [], "Hi"]])
    assert tracker.update(value) == "Hi"
    value = apply_ops(value, [["append", [], " you"]])
    assert tracker.update(value) == " you"
