"""More tests written against mutants of ``g4f_qwen_spaces/providers`` that the other tests let live.

Each pins a behaviour at its boundary (exact values and messages); see
tests/mutants/score.py and the README's Development section.
"""
from __future__ import annotations

import pytest

from g4f_qwen_spaces.providers.messages import split_chat
from g4f_qwen_spaces.providers.qwen2 import Qwen_Qwen_2_72B
from g4f_qwen_spaces.space.config import Component, Endpoint
from g4f_qwen_spaces.space.errors import SpaceInputError


def message(role: str, text: str) -> dict[str, str]:
    return {"role": role, "content": text}


def endpoint(
    inputs: tuple[str, ...] = ("textbox", "chatbot", "textbox"),
    outputs: tuple[str, ...] = ("textbox", "chatbot", "textbox"),
) -> Endpoint:
    return Endpoint(
        api_name="model_chat", fn_index=0, trigger_id=None,
        inputs=tuple(Component(i, k) for i, k in enumerate(inputs)),
        outputs=tuple(Component(10 + i, k) for i, k in enumerate(outputs)),
    )


# -- messages.py: split_chat without a usable user turn ------------------------------------


@pytest.mark.parametrize(
    "messages",
    [
        # split_chat is public and does not require check_messages first: a conversation with
        # nothing but system prompts (or nothing at all) has no user text, and says so (not
        # "the last message must be the user's question").
        [message("system", "be brief")],
        [message("developer", "be brief"), message("system", "and kind")],
        [],
    ],
)
def test_a_conversation_of_system_prompts_only_has_no_user_text(messages):
    with pytest.raises(SpaceInputError) as caught:
        split_chat(messages)
    assert str(caught.value) == "No user message has text: the Space needs something to answer"


# -- qwen2.py: the answer is the second output -----------------------------------------------


def test_two_output_values_are_enough_to_read_the_chatbot():
    # The Chatbot is output 2 (index 1): two values hold it; one does not.
    values = ["", [["q", "the answer"]]]
    assert Qwen_Qwen_2_72B.answer_node(values, endpoint()) == "the answer"
    assert Qwen_Qwen_2_72B.answer_node(values[:1], endpoint()) == ""


# -- base.py: the Space's URLs, the model, the token -----------------------------------------


def test_the_url_variable_replaces_the_url_and_names_itself_in_errors(monkeypatch):
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, " http://127.0.0.1:1 , http://127.0.0.1:2 ")
    assert Qwen_Qwen_2_72B.space_urls() == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert Qwen_Qwen_2_72B.space_url() == "http://127.0.0.1:1"
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, "http://127.0.0.1:1,,http://127.0.0.1:2")
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_urls()
    assert str(caught.value) == (
        "G4F_QWEN_QWEN_2_72B_URL has an empty entry (item 2 of 3); separate URLs with single commas"
    )
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, "http://127.0.0.1:1\n")
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_urls()
    assert str(caught.value) == "G4F_QWEN_QWEN_2_72B_URL contains control characters (such as a line break); refused"


@pytest.mark.parametrize("value", [None, "", "  \t "])
def test_an_unset_or_blank_url_variable_leaves_the_url(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(Qwen_Qwen_2_72B.url_env, raising=False)
    else:
        monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, value)
    assert Qwen_Qwen_2_72B.space_urls() == ("https://qwen-qwen2-72b-instruct.hf.space",)


def test_a_provider_without_a_url_variable_reads_no_variable(monkeypatch):
    class NoVariable(Qwen_Qwen_2_72B):
        url = "http://127.0.0.1:3"
        url_env = ""

    # an empty name is no variable: even one set in the environment under "" is not read
    monkeypatch.setattr("os.environ", {"": "http://127.0.0.1:4"})
    assert NoVariable.space_urls() == ("http://127.0.0.1:3",)


@pytest.mark.parametrize(
    "model, resolved",
    [(None, "qwen-qwen2-72b-instruct"), ("", "qwen-qwen2-72b-instruct"), ("auto", "qwen-qwen2-72b-instruct"),
     ("qwen-2-72b", "qwen-qwen2-72b-instruct"), ("qwen-qwen2-72b-instruct", "qwen-qwen2-72b-instruct")],
)
def test_a_model_name_alias_or_default_resolves(model, resolved):
    assert Qwen_Qwen_2_72B.resolve_model(model) == resolved


def test_an_alias_resolves_to_its_own_target_not_the_default():
    class TwoModels(Qwen_Qwen_2_72B):
        default_model = "first"
        models = ["first", "second", "2nd"]
        model_aliases = {"2nd": "second"}

    assert [TwoModels.resolve_model(m) for m in ("2nd", "second", "auto")] == ["second", "second", "first"]


def test_an_unknown_or_non_string_model_is_refused_with_the_models_listed():
    from g4f.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError) as caught:
        Qwen_Qwen_2_72B.resolve_model("AUTO")
    assert str(caught.value) == (
        "Model 'AUTO' is not served by Qwen_Qwen_2_72B; available: qwen-qwen2-72b-instruct, qwen-2-72b"
    )
    with pytest.raises(ModelNotFoundError) as caught:
        Qwen_Qwen_2_72B.resolve_model(7)
    assert str(caught.value) == (
        "The model name must be a string, got int; Qwen_Qwen_2_72B serves: qwen-qwen2-72b-instruct, qwen-2-72b"
    )


@pytest.mark.parametrize("key", [None, ""])
def test_no_api_key_sends_no_token(key):
    assert Qwen_Qwen_2_72B.space_token(key) is None


def test_an_hf_token_is_sent_as_is():
    assert Qwen_Qwen_2_72B.space_token("hf_abc") == "hf_abc"


@pytest.mark.parametrize("key", ["g4f_abc", "gfs_abc"])
def test_a_g4f_key_is_not_forwarded_and_the_debug_log_says_so(key, caplog):
    import logging

    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert Qwen_Qwen_2_72B.space_token(key) is None
    assert [r.getMessage() for r in caplog.records] == ["Qwen_Qwen_2_72B: not forwarding a g4f key to the Space"]


def test_a_non_string_or_broken_api_key_is_refused_by_name():
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_token(123)
    assert str(caught.value) == "api_key must be a string (an HF token, hf_...)"
    with pytest.raises(SpaceInputError) as caught:
        Qwen_Qwen_2_72B.space_token("hf_abc\r\nX-Evil: 1")
    assert str(caught.value) == "api_key contains control characters (such as a line break); refused"


# -- base.py: statuses and the waker's hook --------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, wanted",
    [({}, False), ({"stream": True}, True), ({"ignore_stream": True}, True),
     ({"stream": False, "ignore_stream": True}, True), ({"stream": True, "ignore_stream": False}, True),
     ({"stream": False, "ignore_stream": False}, False), ({"STREAM": True, "IGNORE_STREAM": True}, False)],
)
def test_statuses_go_to_callers_that_stream_or_ignore_stream(kwargs, wanted):
    from g4f_qwen_spaces.providers.base import _wants_status

    assert _wants_status(kwargs) is wanted


def test_a_status_label_is_the_host_after_the_last_at_sign():
    from g4f_qwen_spaces.providers.base import space_label

    assert space_label("https://a@b:pw@qwen.hf.space/x") == "Space qwen.hf.space"
    assert space_label("https://qwen.hf.space") == "Space qwen.hf.space"


def test_a_g4f_without_reasoning_gets_an_empty_status(monkeypatch):
    import g4f.providers.response as response

    from g4f_qwen_spaces.providers.base import _status

    monkeypatch.delattr(response, "Reasoning")
    assert _status("Waited 2.0 s in the Space's queue", "Space h") == ""


async def test_a_building_space_drops_its_cached_config_and_no_other_error_does():
    from g4f_qwen_spaces.providers.base import _on_wake
    from g4f_qwen_spaces.space.errors import SpaceError

    class Client:
        forgotten = 0

        async def forget(self):
            self.forgotten += 1

    def error(state=None):
        made = SpaceError("asleep")
        if state is not None:
            made.state = state
        return made

    client = Client()
    hook = _on_wake(client)
    for other in (error(), error("sleeping"), error("BUILDING"), error("running")):
        await hook(other)
    assert client.forgotten == 0
    await hook(error("building"))
    assert client.forgotten == 1


@pytest.mark.parametrize("kind", ["space", "other"])
async def test_an_error_that_names_the_token_leaves_a_call_with_it_masked(monkeypatch, kind):
    """Belt and braces: messages are redacted where they are made, and whatever error
    still names the token (a Space error, or any other) is masked on its way out of
    the call, in its own message and in its cause's."""
    from g4f.errors import ResponseError

    import g4f_qwen_spaces.providers.base as base
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B
    from g4f_qwen_spaces.space.errors import SpaceAppError
    from g4f_qwen_spaces.space.redact import MASK

    token = "hf_" + "Tk7" * 12
    cause = OSError(f"disk says {token}")

    def broken() -> None:
        made = SpaceAppError(f"the store saw {token}") if kind == "space" else RuntimeError(f"oops {token}")
        raise made from cause

    monkeypatch.setattr(base, "config_store", broken)
    with pytest.raises((ResponseError, RuntimeError)) as raised:
        async for _ in Qwen_QVQ_72B.create_async_generator("qvq-72b", [message("user", "Hi")], api_key=token):
            pass
    error = raised.value
    if kind == "space":
        assert isinstance(error, ResponseError) and isinstance(error, SpaceAppError), repr(error)
    else:
        assert type(error) is RuntimeError, repr(error)
    expected = f"the store saw {MASK}" if kind == "space" else f"oops {MASK}"
    assert str(error) == expected
    assert error.__cause__ is cause and str(cause) == f"disk says {MASK}"


# -- cache.py: g4f's cache directory, by g4f's rule --------------------------------------------


def test_g4f_cache_dir_variable_comes_first_and_a_blank_one_is_unset(monkeypatch, tmp_path):
    from g4f import config as g4f_config

    from g4f_qwen_spaces.providers import cache

    monkeypatch.setattr(g4f_config, "CACHE_DIR", tmp_path / "g4f-cache", raising=False)
    monkeypatch.setenv("G4F_CACHE_DIR", f" {tmp_path / 'override'} ")
    assert cache.cache_dir() == tmp_path / "override"
    assert cache.config_store().root == tmp_path / "override" / "g4f_qwen_spaces"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("G4F_CACHE_DIR", "~/c")
    assert cache.cache_dir() == tmp_path / "home" / "c"
    for unset in ("  ", None):
        if unset is None:
            monkeypatch.delenv("G4F_CACHE_DIR")
        else:
            monkeypatch.setenv("G4F_CACHE_DIR", unset)
        assert cache.cache_dir() == tmp_path / "g4f-cache"
        assert cache.config_store().root == tmp_path / "g4f-cache" / "g4f_qwen_spaces"


def test_g4f_s_cache_dir_wins_over_its_config_dir(monkeypatch, tmp_path):
    from g4f import config as g4f_config

    from g4f_qwen_spaces.providers import cache

    monkeypatch.delenv("G4F_CACHE_DIR", raising=False)
    monkeypatch.setattr(g4f_config, "CACHE_DIR", str(tmp_path / "cache-dir"), raising=False)
    monkeypatch.setattr(g4f_config, "CONFIG_DIR", str(tmp_path / "config-dir"), raising=False)
    assert cache.cache_dir() == tmp_path / "cache-dir"
    monkeypatch.setattr(g4f_config, "CACHE_DIR", None)
    assert cache.cache_dir() == tmp_path / "config-dir" / "cache"
    monkeypatch.delattr(g4f_config, "CACHE_DIR")  # a g4f before 8.8 has none
    assert cache.cache_dir() == tmp_path / "config-dir" / "cache"
    monkeypatch.setattr(g4f_config, "CONFIG_DIR", None)
    assert cache.cache_dir() is None and cache.config_store() is None


# -- errors.py: translation and redaction ----------------------------------------------------


def test_a_space_error_is_translated_with_its_attributes_cause_and_traceback():
    from g4f.errors import RateLimitError

    from g4f_qwen_spaces.providers import errors
    from g4f_qwen_spaces.space import errors as space

    cause = OSError("reset")
    try:
        try:
            raise KeyError("context")
        except KeyError:
            raise space.SpaceQuotaError("Queue full", 30.0, status=429, url="http://127.0.0.1:9") from cause
    except space.SpaceQuotaError as caught:
        original = caught
    typed = errors.translate(original)
    assert type(typed) is errors.SpaceQuotaError
    assert isinstance(typed, RateLimitError) and isinstance(typed, space.SpaceQuotaError)
    assert typed.args == ("Queue full",) and str(typed) == "Queue full"
    assert (typed.retry_after, typed.status, typed.url) == (30.0, 429, "http://127.0.0.1:9")
    assert typed.__cause__ is cause and typed.__suppress_context__ is True
    assert typed.__traceback__ is original.__traceback__ is not None
    assert errors.translate(typed) is typed  # already g4f-typed


def test_the_token_is_masked_in_every_message_of_a_chain_and_nothing_else_changes():
    from g4f_qwen_spaces.providers.errors import redact_chain
    from g4f_qwen_spaces.space.redact import MASK

    token = "hf_secret123"
    top = RuntimeError(7, f"top {token}")
    middle = ValueError("middle, clean")
    bottom = KeyError(f"bottom {token} and {token}")
    top.__cause__, middle.__context__ = middle, bottom
    bottom.__context__ = top  # a cycle ends the walk
    redact_chain(top, token)
    assert top.args == (7, f"top {MASK}")
    assert middle.args == ("middle, clean",)
    assert bottom.args == (f"bottom {MASK} and {MASK}",)
    untouched = RuntimeError(f"kept {token}")
    for no_token in (None, ""):
        redact_chain(untouched, no_token)
    assert untouched.args == (f"kept {token}",)


def test_a_chain_with_both_cause_and_context_follows_the_cause():
    from g4f_qwen_spaces.providers.errors import redact_chain

    top, cause, context = RuntimeError("t"), RuntimeError("c tok"), RuntimeError("x tok")
    top.__cause__, top.__context__ = cause, context
    redact_chain(top, "tok")
    assert (cause.args, context.args) == (("c ***",), ("x tok",))


# -- messages.py: check_messages ---------------------------------------------------------------


@pytest.mark.parametrize(
    "messages, error",
    [
        (None, "No messages: send at least one user message"),
        ([], "No messages: send at least one user message"),
        ((), "No messages: send at least one user message"),
        ("hello", "No messages: send at least one user message"),
        ([message("user", "a"), "b"], "Message 1 is not a {'role': ..., 'content': ...} dict"),
        ([{"role": 1, "content": "a"}], "Message 0 is not a {'role': ..., 'content': ...} dict"),
        ([message("user", "a"), {"role": "user"}], "Message 1 has no 'content'"),
        ([{"role": "user", "content": 5}],
         "Message 0 has content of type int; expected text or a list of content parts"),
        ([message("system", "s"), {"role": "user", "content": ["text"]}],
         "Message 1 has content parts that are not dicts"),
        ([message("system", "s"), message("assistant", "a")],
         "No user message: the Space needs something to answer"),
        ([{"role": "USER", "content": "a"}], "No user message: the Space needs something to answer"),
    ],
)
def test_unusable_messages_are_refused_with_what_is_wrong(messages, error):
    from g4f_qwen_spaces.providers.messages import check_messages

    with pytest.raises(SpaceInputError) as caught:
        check_messages(messages)
    assert str(caught.value) == error


def test_usable_messages_are_returned_as_a_new_list():
    from g4f_qwen_spaces.providers.messages import check_messages

    messages = (message("system", "s"), {"role": "user", "content": None},
                {"role": "user", "content": [{"type": "text", "text": "q"}]}, message("assistant", "a"))
    checked = check_messages(messages)
    assert type(checked) is list and checked == list(messages)
    listed = [message("user", "q")]
    assert check_messages(listed) == listed and check_messages(listed) is not listed


# -- qvq.py: the conversation folded into one text; the answer is the first output -----------


def test_generate_s_text_is_g4f_s_prompt_of_the_checked_messages():
    from g4f.providers.helper import format_prompt

    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    messages = [message("user", "a"), message("assistant", "b"), message("user", "c")]
    assert Qwen_QVQ_72B.prepare(messages) == format_prompt(messages)
    assert Qwen_QVQ_72B.prepare([message("user", "only")]) == "only"
    with pytest.raises(SpaceInputError) as caught:
        Qwen_QVQ_72B.prepare([])
    assert str(caught.value) == "No messages: send at least one user message"


def test_generate_answer_is_the_first_value_and_empty_before_any():
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    point = endpoint(("image", "textbox"), ("markdown",))
    assert Qwen_QVQ_72B.answer_node(["first", "second"], point) == "first"
    assert Qwen_QVQ_72B.answer_node([], point) == ""


# -- media.py: collect_media -------------------------------------------------------------------


def image_message(*urls: str) -> dict:
    return {"role": "user", "content": [{"type": "text", "text": "q"}]
            + [{"type": "image_url", "image_url": {"url": url}} for url in urls]}


def test_a_bucket_file_named_in_the_message_is_found_by_g4f_s_merge_media(monkeypatch, tmp_path):
    import g4f.tools.media as g4f_media

    from g4f_qwen_spaces.providers.media import collect_media

    (tmp_path / "x.png").write_bytes(b"png")
    monkeypatch.setattr(g4f_media, "get_bucket_dir", lambda *parts: str(tmp_path.joinpath(parts[-1])))
    messages = [image_message("/files/b1/media/x.png")]
    found = collect_media([b"media"], messages)
    try:
        list(g4f_media.merge_media([], messages))
    except (AttributeError, TypeError):  # g4f <= 7.5 cannot read {"url": ...}: our fallback keeps it, unnamed
        assert found == [("/files/b1/media/x.png", None), (b"media", None)]
    else:  # g4f's own merge_media, not the fallback: the bucket file, named
        assert found == [(tmp_path / "x.png", "x.png"), (b"media", None)]


def test_without_g4f_s_merge_media_the_fallback_reads_the_messages_and_the_media(monkeypatch):
    import g4f.tools.media as g4f_media

    from g4f_qwen_spaces.providers.media import collect_media

    def old_merge_media(media, messages):
        raise TypeError("string indices must be integers")  # g4f <= 7.5 on {"url": ...}

    monkeypatch.setattr(g4f_media, "merge_media", old_merge_media)
    messages = [image_message("http://127.0.0.1:9/a.png")]
    assert collect_media([b"media", ("p.png", "n.png")], messages) == [
        ("http://127.0.0.1:9/a.png", None), (b"media", None), ("p.png", "n.png")]
    assert collect_media(None, messages) == [("http://127.0.0.1:9/a.png", None)]


def test_media_items_in_every_shape_and_empty_ones_left_out():
    from g4f_qwen_spaces.providers.media import collect_media

    media = [None, "", b"", ("a.png",), ["b.png", "named.png"], "c.png", b"d", (None, "x.png"), ("", "y.png")]
    assert collect_media(media, [message("user", "q")]) == [
        ("a.png", None), ("b.png", "named.png"), ("c.png", None), (b"d", None)]
    assert collect_media(None, [message("user", "q")]) == []
    assert collect_media([], [message("user", "q")]) == []


# -- base.py: _chunks, what one job update gives the caller ------------------------------------


class ByEndpoint(Qwen_Qwen_2_72B):
    """The answer at the output the endpoint names (fn_index): answer_node gets the endpoint."""

    @classmethod
    def answer_node(cls, values, endpoint):
        return values[endpoint.fn_index]


def pick(fn_index: int) -> Endpoint:
    return Endpoint(api_name="model_chat", fn_index=fn_index, trigger_id=None, inputs=(), outputs=())


def reasoning(chunk) -> tuple[str, str, str]:
    return (type(chunk).__name__, chunk.status, chunk.label)


def test_generating_and_completed_updates_give_only_the_new_text():
    from g4f_qwen_spaces.space import TextTracker
    from g4f_qwen_spaces.space.queue import Completed, Generating

    tracker = TextTracker()
    chunks = [ByEndpoint._chunks(tracker, update, pick(1), None, "Space h") for update in (
        Generating(["x", "ab"]), Generating(["x", "abc"]), Generating(["x", "abc"]), Completed(["x", "abcd"]))]
    assert chunks == [["ab"], ["c"], [], ["d"]]


def test_a_rewrite_in_the_final_answer_is_warned_about_but_not_while_streaming(caplog):
    import logging

    from g4f_qwen_spaces.space import TextTracker
    from g4f_qwen_spaces.space.queue import Completed, Generating

    tracker = TextTracker()
    assert ByEndpoint._chunks(tracker, Generating(["abc"]), pick(0), None, "Space h") == ["abc"]
    with caplog.at_level(logging.DEBUG, logger="g4f_qwen_spaces"):
        assert ByEndpoint._chunks(tracker, Generating(["xyz"]), pick(0), None, "Space h") == []
        assert [r.levelname for r in caplog.records] == ["DEBUG"]
        assert ByEndpoint._chunks(tracker, Completed(["xyzw"]), pick(0), None, "Space h") == []
    assert [r.levelname for r in caplog.records] == ["DEBUG", "WARNING"]


def test_the_first_text_after_a_shown_wait_comes_after_the_final_waiting_line():
    from g4f_qwen_spaces.space import TextTracker
    from g4f_qwen_spaces.space.queue import Generating
    from g4f_qwen_spaces.space.waiting import WaitingStatus

    now = [100.0]
    waits = WaitingStatus(clock=lambda: now[0])
    waits.waking("Starting")
    now[0] = 102.0
    tracker = TextTracker()
    first = ByEndpoint._chunks(tracker, Generating(["x", "ab"]), pick(1), waits, "Space h")
    assert [reasoning(first[0]), first[1]] == [("Reasoning", "Waited 2.0 s for the Space to start", "Space h"), "ab"]
    assert ByEndpoint._chunks(tracker, Generating(["x", "abc"]), pick(1), waits, "Space h") == ["c"]


def test_text_after_no_shown_wait_comes_alone():
    from g4f_qwen_spaces.space import TextTracker
    from g4f_qwen_spaces.space.queue import Generating
    from g4f_qwen_spaces.space.waiting import WaitingStatus

    waits = WaitingStatus(clock=lambda: 5.0)
    waits.joined()
    assert ByEndpoint._chunks(TextTracker(), Generating(["ab"]), pick(0), waits, "Space h") == ["ab"]


def test_a_queue_update_is_a_status_only_for_a_waiting_caller_before_any_text():
    from g4f_qwen_spaces.space import TextTracker
    from g4f_qwen_spaces.space.queue import Generating, QueueStatus
    from g4f_qwen_spaces.space.waiting import WaitingStatus

    ahead = QueueStatus(rank=1, queue_size=3)
    waits = WaitingStatus(clock=lambda: 5.0)
    waits.joined()
    shown = ByEndpoint._chunks(TextTracker(), ahead, pick(0), waits, "Space h")
    assert [reasoning(chunk) for chunk in shown] == [
        ("Reasoning", "Waiting in the Space's queue: position 2 of 3", "Space h")]
    assert ByEndpoint._chunks(TextTracker(), ahead, pick(0), None, "Space h") == []
    # nobody ahead, within the grace: held back
    quiet = WaitingStatus(clock=lambda: 5.0)
    quiet.joined()
    assert ByEndpoint._chunks(TextTracker(), QueueStatus(rank=0, queue_size=1), pick(0), quiet, "Space h") == []
    # once text came, a late queue update shows nothing
    late = WaitingStatus(clock=lambda: 5.0)
    late.joined()
    tracker = TextTracker()
    assert ByEndpoint._chunks(tracker, Generating(["ab"]), pick(0), None, "Space h") == ["ab"]
    assert ByEndpoint._chunks(tracker, ahead, pick(0), late, "Space h") == []


# -- base.py: _submit, from the request to a job ----------------------------------------------


class Recording(Qwen_Qwen_2_72B):
    built: list = []

    @classmethod
    def build_data(cls, request, config, endpoint, image):
        cls.built.append((request, config, endpoint, image))
        return ["data"]


class FakeClient:
    """The SpaceClient calls _submit makes, recorded."""

    def __init__(self, max_file_size=None):
        from types import SimpleNamespace

        self.config = SimpleNamespace(max_file_size=max_file_size)
        self.point = pick(3)
        self.calls: list = []

    async def endpoint(self, wanted):
        self.calls.append(("endpoint", wanted))
        return self.config, self.point

    async def upload(self, config, image):
        self.calls.append(("upload", config, image))
        return {"path": "uploaded"}

    async def submit(self, config, endpoint, data):
        self.calls.append(("submit", config, endpoint, data))
        return "the job"


def fake_loader(monkeypatch, data: bytes = b"12345"):
    from g4f_qwen_spaces.providers import base
    from g4f_qwen_spaces.space.files import ImageFile

    loaded: list = []

    async def load_image(item, name, http):
        loaded.append((item, name, http))
        return ImageFile(data, "photo.png", "image/png")

    monkeypatch.setattr(base, "load_image", load_image)
    return loaded


async def test_submit_without_an_image_uploads_nothing(monkeypatch):
    loaded = fake_loader(monkeypatch)
    client = FakeClient(max_file_size=1)
    Recording.built = []
    assert await Recording._submit(client, "the request", []) == (client.point, "the job")
    assert loaded == []
    assert Recording.built == [("the request", client.config, client.point, None)]
    assert client.calls == [("endpoint", Recording.shape), ("submit", client.config, client.point, ["data"])]


async def test_submit_loads_the_first_image_with_the_client_and_uploads_it(monkeypatch):
    loaded = fake_loader(monkeypatch)
    client = FakeClient(max_file_size=5)  # exactly the image's size: accepted
    Recording.built = []
    assert await Recording._submit(client, "the request", [("the item", "the name")]) == (client.point, "the job")
    assert loaded == [("the item", "the name", client)]
    image = client.calls[1][2]
    assert [call[:2] for call in client.calls] == [("endpoint", Recording.shape), ("upload", client.config),
                                                   ("submit", client.config)]
    assert (image.data, image.name) == (b"12345", "photo.png")
    assert Recording.built == [("the request", client.config, client.point, {"path": "uploaded"})]
    assert client.calls[2] == ("submit", client.config, client.point, ["data"])


async def test_submit_refuses_an_image_over_the_space_s_file_size_before_uploading(monkeypatch):
    fake_loader(monkeypatch, data=b"123456")
    client = FakeClient(max_file_size=5)
    with pytest.raises(SpaceInputError) as caught:
        await Recording._submit(client, "the request", [("the item", None)])
    assert str(caught.value) == "The image is 6 bytes; the Space accepts at most 5"
    assert client.calls == [("endpoint", Recording.shape)]
    big = FakeClient(max_file_size=1000)
    fake_loader(monkeypatch, data=b"x" * 1234)
    with pytest.raises(SpaceInputError) as caught:
        await Recording._submit(FakeClient(max_file_size=1000), "r", [("the item", None)])
    assert str(caught.value) == "The image is 1,234 bytes; the Space accepts at most 1,000"
    assert big.calls == []
    unlimited = FakeClient(max_file_size=None)
    assert await Recording._submit(unlimited, "r", [("the item", None)]) == (unlimited.point, "the job")


# -- base.py: create_async_generator, the checks before any connection -------------------------


class StopAtConnect(Exception):
    pass


def spy_client(monkeypatch) -> list:
    """Replace the SpaceClient by one that records how it was made and stops at connecting."""
    from g4f_qwen_spaces.providers import base

    made: list = []

    class Client:
        def __init__(self, url, **kwargs):
            made.append((url, kwargs))

        async def __aenter__(self):
            raise StopAtConnect

        async def __aexit__(self, *exc):
            return False

    monkeypatch.setattr(base, "SpaceClient", Client)
    return made


async def run(provider, messages, **kwargs) -> list:
    return [chunk async for chunk in provider.create_async_generator(provider.default_model, messages, **kwargs)]


async def test_the_call_s_settings_reach_the_space_client(monkeypatch, tmp_path):
    import time

    made = spy_client(monkeypatch)
    monkeypatch.setenv("G4F_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(Qwen_Qwen_2_72B.url_env, raising=False)
    before = time.monotonic()
    with pytest.raises(StopAtConnect):
        await run(Qwen_Qwen_2_72B, [message("user", "q")], api_key="hf_abc", proxy="http://127.0.0.1:8",
                  timeout=30, stall_timeout=5, cooldown=0)
    after = time.monotonic()
    (url, kwargs), = made
    deadline = kwargs.pop("deadline")
    store = kwargs.pop("store")
    assert url == "https://qwen-qwen2-72b-instruct.hf.space"
    assert kwargs == {"token": "hf_abc", "proxy": "http://127.0.0.1:8", "timeout": 30.0, "stall_timeout": 5.0,
                      "url_hint": "G4F_QWEN_QWEN_2_72B_URL"}
    assert before + 30 <= deadline <= after + 30
    assert store.root == tmp_path / "g4f_qwen_spaces"


async def test_without_a_timeout_the_default_deadline_applies(monkeypatch):
    made = spy_client(monkeypatch)
    monkeypatch.setenv("G4F_QWEN_SPACES_TIMEOUT", "42")
    with pytest.raises(StopAtConnect):
        await run(Qwen_Qwen_2_72B, [message("user", "q")], api_key="g4f_key", cooldown=0)
    (_, kwargs), = made
    assert (kwargs["timeout"], kwargs["stall_timeout"], kwargs["token"]) == (42.0, None, None)


@pytest.mark.parametrize(
    "provider, media, error",
    [
        (Qwen_Qwen_2_72B, [b"a"], "Qwen_Qwen_2_72B takes text only; remove the images"),
        ("qvq", [b"a", b"b"], "Qwen_QVQ_72B takes one image per request; got 2"),
        ("qvq", [b"a", b"b", b"c"], "Qwen_QVQ_72B takes one image per request; got 3"),
    ],
)
async def test_images_a_provider_cannot_take_are_refused_before_connecting(monkeypatch, provider, media, error):
    from g4f_qwen_spaces.providers.errors import SpaceInputError as G4FSpaceInputError
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    provider = Qwen_QVQ_72B if provider == "qvq" else provider
    made = spy_client(monkeypatch)
    with pytest.raises(G4FSpaceInputError) as caught:
        await run(provider, [message("user", "q")], media=media)
    assert str(caught.value) == error
    assert made == []


async def test_one_image_for_qvq_and_none_for_qwen2_go_on_to_connect(monkeypatch):
    from g4f_qwen_spaces.providers.qvq import Qwen_QVQ_72B

    made = spy_client(monkeypatch)
    with pytest.raises(StopAtConnect):
        await run(Qwen_QVQ_72B, [message("user", "q")], media=[b"a"], cooldown=0)
    with pytest.raises(StopAtConnect):
        await run(Qwen_Qwen_2_72B, [message("user", "q")], cooldown=0)
    assert len(made) == 2


@pytest.mark.parametrize(
    "kwargs, error",
    [({"timeout": -1}, "timeout must be a finite positive number, got -1"),
     ({"stall_timeout": 0}, "stall_timeout must be a finite positive number, got 0")],
)
async def test_bad_seconds_are_refused_by_their_parameter_s_name(monkeypatch, kwargs, error):
    from g4f_qwen_spaces.providers.errors import SpaceInputError as G4FSpaceInputError

    made = spy_client(monkeypatch)
    with pytest.raises(G4FSpaceInputError) as caught:
        await run(Qwen_Qwen_2_72B, [message("user", "q")], **kwargs)
    assert str(caught.value) == error
    assert made == []


async def test_a_copy_that_cannot_be_reached_is_logged_cooled_down_and_the_next_tried(monkeypatch, caplog):
    import logging

    from g4f_qwen_spaces.providers import base
    from g4f_qwen_spaces.space.copies import COOLDOWN, reason
    from g4f_qwen_spaces.space.errors import SpaceConnectionError

    first, second = "http://127.0.0.1:1", "http://127.0.0.1:2"
    refused = SpaceConnectionError(f"Cannot reach the Space at {first}: refused", url=first)
    made: list = []

    class Client:
        def __init__(self, url, **kwargs):
            made.append(url)
            self.url = url

        async def __aenter__(self):
            raise refused if self.url == first else StopAtConnect

        async def __aexit__(self, *exc):
            return False

    monkeypatch.setattr(base, "SpaceClient", Client)
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, f"{first},{second}")
    COOLDOWN.clear()
    try:
        with caplog.at_level(logging.INFO, logger="g4f_qwen_spaces"), pytest.raises(StopAtConnect):
            await run(Qwen_Qwen_2_72B, [message("user", "q")], cooldown=60)
        assert made == [first, second]
        assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
            f"Qwen_Qwen_2_72B: {first} failed ({reason(refused)})"]
        plan = COOLDOWN.plan([first, second])
        assert plan.urls == (second,)
        assert [(s.url, s.reason) for s in plan.skipped] == [(first, reason(refused))]
    finally:
        COOLDOWN.clear()


async def test_an_unknown_model_or_bad_messages_are_refused_before_connecting(monkeypatch):
    from g4f.errors import ModelNotFoundError

    from g4f_qwen_spaces.providers.errors import SpaceInputError as G4FSpaceInputError

    made = spy_client(monkeypatch)
    with pytest.raises(ModelNotFoundError):
        await anext(Qwen_Qwen_2_72B.create_async_generator("no-such-model", [message("user", "q")]))
    with pytest.raises(G4FSpaceInputError) as caught:
        await run(Qwen_Qwen_2_72B, [message("user", "q"), message("assistant", "a")])
    assert str(caught.value) == "The last message must be the user's question (it is 'assistant')"
    assert made == []


async def test_a_copy_cooling_down_is_skipped_only_by_calls_with_a_cooldown(monkeypatch):
    from g4f_qwen_spaces.space.copies import COOLDOWN

    first, second = "http://127.0.0.1:1", "http://127.0.0.1:2"
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, f"{first},{second}")
    COOLDOWN.clear()
    try:
        COOLDOWN.mark(first, 60, "refused")
        made = spy_client(monkeypatch)
        with pytest.raises(StopAtConnect):
            await run(Qwen_Qwen_2_72B, [message("user", "q")], cooldown=60)
        with pytest.raises(StopAtConnect):
            await run(Qwen_Qwen_2_72B, [message("user", "q")], cooldown=0)
        assert [url for url, _ in made] == [second, first]
    finally:
        COOLDOWN.clear()


async def test_without_a_cooldown_the_only_copy_s_failure_is_raised_as_g4f_s_type(monkeypatch):
    from g4f_qwen_spaces.providers import base
    from g4f_qwen_spaces.providers import errors as g4f_errors
    from g4f_qwen_spaces.space.errors import SpaceConnectionError

    url = "http://127.0.0.1:1"
    refused = SpaceConnectionError(f"Cannot reach the Space at {url}: refused", url=url)

    class Client:
        def __init__(self, url, **kwargs):
            pass

        async def __aenter__(self):
            raise refused

        async def __aexit__(self, *exc):
            return False

    monkeypatch.setattr(base, "SpaceClient", Client)
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, url)
    with pytest.raises(g4f_errors.SpaceConnectionError) as caught:
        await run(Qwen_Qwen_2_72B, [message("user", "q")], cooldown=0)
    assert str(caught.value) == str(refused)
    assert caught.value.url == url
