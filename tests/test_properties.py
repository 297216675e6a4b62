"""Property-based tests of every parser of Space input (hypothesis).

For arbitrary input each parser returns a result or raises the client's error
root (:class:`SpaceError`), nothing else; for valid input it agrees with a
simple model: events survive any chunking, and diffs made the way Gradio
makes them rebuild the full values. The number of examples per test is
``EXAMPLES`` (the ``G4FQS_HYPOTHESIS_EXAMPLES`` environment variable).
"""
from __future__ import annotations

import copy
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from g4f_qwen_spaces.space.config import SpaceConfig
from g4f_qwen_spaces.space.diff import apply_ops, materialize
from g4f_qwen_spaces.space.errors import SpaceError, SpaceLimitError
from g4f_qwen_spaces.space.http import origin_of
from g4f_qwen_spaces.space.queue import Completed, EventState, Generating, QueueStatus
from g4f_qwen_spaces.space.sse import SSEParser

EXAMPLES = int(os.environ.get("G4FQS_HYPOTHESIS_EXAMPLES", "300"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written next to the checkout or in $HOME
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BASE = "http://127.0.0.1:7860"

scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    """``data`` split at the given offsets (an arbitrary chunking)."""
    offsets = sorted({p % (len(data) + 1) for p in points})
    pieces, start = [], 0
    for offset in offsets + [len(data)]:
        pieces.append(data[start:offset])
        start = offset
    return pieces


def parse(chunks: list[bytes], max_event: int = 1 << 20) -> list[bytes]:
    parser = SSEParser(max_event)
    payloads = []
    for chunk in chunks:
        payloads.extend(bytes(p) for p in parser.feed(chunk))
    last = parser.close()
    if last is not None:
        payloads.append(last)
    return payloads


# -- SSE ---------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6), st.integers(1, 64))
def test_sse_parser_returns_payloads_or_our_error(data, points, max_event):
    try:
        payloads = parse(cut(data, points), max_event)
    except SpaceError as error:
        assert isinstance(error, SpaceLimitError) and error.limit in ("one event", "events without data")
        return
    assert payloads == sse_model(data)


def sse_model(data: bytes) -> list[bytes]:
    """The SSE spec's events as Gradio uses them, from the whole body at once: CRLF as LF,
    events between blank lines, ``data:`` lines (one optional space dropped) joined with LF,
    events without data skipped."""
    payloads = []
    for block in data.replace(b"\r\n", b"\n").split(b"\n\n"):
        lines = [line[5:] for line in block.split(b"\n") if line.startswith(b"data:")]
        if lines:
            payloads.append(b"\n".join(line[1:] if line.startswith(b" ") else line for line in lines))
    return payloads


@SETTINGS
@given(st.lists(st.lists(st.binary(max_size=12).filter(lambda b: b"\n" not in b and b"\r" not in b),
                         min_size=1, max_size=3), max_size=5),
       st.lists(st.integers(0, 400), max_size=6))
def test_sse_payloads_are_the_data_lines_of_each_event(events, points):
    """Built from known events (so data lines are common, unlike random bytes): exactly those payloads."""
    data = b"".join(b"".join(b"data: " + line + b"\n" for line in lines) + b"\n" for lines in events)
    assert parse(cut(data, points)) == [b"\n".join(lines) for lines in events]


@SETTINGS
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=6))
def test_sse_parsing_does_not_depend_on_chunking(data, points):
    try:
        whole = parse([data])
    except SpaceError:
        return
    assert parse(cut(data, points)) == whole


lines = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=20)


@SETTINGS
@given(st.lists(st.lists(lines, min_size=1, max_size=3), max_size=8), st.lists(st.integers(0, 2000), max_size=8),
       st.sampled_from([b"\n", b"\r\n"]))
def test_sse_events_round_trip_through_any_chunking(events, points, newline):
    wire = b"".join(
        b"".join(b"data: " + line.encode() + newline for line in event) + newline for event in events
    )
    expected = [b"\n".join(line.encode() for line in event) for event in events]
    assert parse(cut(wire, points)) == expected


# -- diffs -------------------------------------------------------------------------


def gradio_diff(old: Any, new: Any, path: list[Any] | None = None, *, shifted: bool = False) -> list[list[Any]]:
    """Operations turning ``old`` into ``new`` as Gradio emits them (4: deletes by
    original index; 5/6 with ``shifted``: the same index repeated)."""
    path = path or []
    if old == new and type(old) is type(new):
        return []
    if type(old) is not type(new):
        return [["replace", path, new]]
    if isinstance(old, str):
        if new.startswith(old):
            return [["append", path, new[len(old):]]]
        return [["replace", path, new]]
    if isinstance(old, list):
        common = min(len(old), len(new))
        ops: list[list[Any]] = []
        for index in range(common):
            ops.extend(gradio_diff(old[index], new[index], path + [index], shifted=shifted))
        for index in range(common, len(old)):
            ops.append(["delete", path + [common if shifted else index], None])
        for index in range(common, len(new)):
            ops.append(["add", path + [index], new[index]])
        return ops
    if isinstance(old, dict):
        ops = []
        for key in old:
            if key in new:
                ops.extend(gradio_diff(old[key], new[key], path + [key], shifted=shifted))
            else:
                ops.append(["delete", path + [key], None])
        for key in new:
            if key not in old:
                ops.append(["add", path + [key], new[key]])
        return ops
    return [["replace", path, new]]


@SETTINGS
@given(st.lists(json_values, min_size=1, max_size=6), st.booleans())
def test_valid_diff_sequences_equal_the_full_values(values, shifted):
    current = copy.deepcopy(values[0])
    for previous, new in zip(values, values[1:]):
        ops = copy.deepcopy(gradio_diff(previous, new, shifted=shifted))
        current = apply_ops(current, json.loads(json.dumps(ops)))
        assert materialize(current) == new


op_actions = st.sampled_from(["replace", "append", "add", "delete", "bogus", 3, None])
paths = st.lists(st.integers(-3, 5) | st.text(max_size=3) | st.integers(10**6, 10**30) | st.booleans(), max_size=3)
raw_ops = st.lists(st.lists(op_actions | paths | json_values, max_size=4) | json_values, max_size=5)


@SETTINGS
@given(json_values, raw_ops | json_values)
def test_arbitrary_diffs_give_a_value_or_our_error(value, ops):
    try:
        result = apply_ops(copy.deepcopy(value), ops)
    except SpaceError:
        return
    json.dumps(materialize(result))  # still plain JSON


# -- queue messages ----------------------------------------------------------------

kinds = st.sampled_from(
    ["estimation", "process_starts", "process_generating", "process_completed", "heartbeat", "log",
     "close_stream", "unexpected_error", "progress", "send_hash", "unknown"]
)
messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"msg": kinds},
        optional={
            "event_id": st.sampled_from(["E", "other", None, 5]),
            "rank": json_values, "queue_size": json_values, "rank_eta": json_values, "eta": json_values,
            "success": st.booleans() | json_values,
            "output": json_values | st.fixed_dictionaries({}, optional={"data": json_values, "error": json_values}),
            "log": json_values, "level": json_values, "message": json_values,
        },
    ),
)


@SETTINGS
@given(st.lists(st.lists(messages | st.binary(max_size=30), max_size=5), max_size=6), st.sampled_from([4, 5, 6]))
def test_queue_state_gives_updates_or_our_error(batches, major):
    state = EventState("E", major=major, base_url=BASE)
    for batch in batches:
        try:
            updates = state.feed(batch)
        except SpaceError:
            return
        for update in updates:
            assert isinstance(update, (QueueStatus, Generating, Completed))
            if isinstance(update, QueueStatus):
                update.describe()
        if state.failure is not None:
            assert isinstance(state.failure, SpaceError)
            return


# -- config ------------------------------------------------------------------------

component = st.fixed_dictionaries(
    {"id": st.integers(0, 5) | json_values}, optional={"type": st.sampled_from(["textbox", "chatbot"]) | json_values,
                                                       "props": json_values}
)
dependency = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers(0, 5) | json_values, "api_name": st.sampled_from(["generate", "model_chat"]) | json_values,
        "inputs": st.lists(st.integers(0, 5), max_size=3) | json_values,
        "outputs": st.lists(st.integers(0, 5), max_size=3) | json_values,
        "targets": json_values, "trigger": json_values, "types": json_values, "queue": json_values,
    },
)
configs = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"components": st.lists(component, max_size=4) | json_values,
         "dependencies": st.lists(dependency, max_size=3) | json_values},
        optional={"version": json_values, "api_prefix": st.sampled_from(["/gradio_api", "", "@evil:1", "//x", "/a/../b"])
                  | st.text(max_size=12) | json_values, "protocol": json_values, "max_file_size": json_values},
    ),
)


@SETTINGS
@given(configs, st.sampled_from(["generate", "model_chat", "/generate", "x"]))
def test_config_parser_gives_a_config_or_our_error(raw, name):
    try:
        config = SpaceConfig.parse(BASE, raw)
        assert origin_of(config.url("/queue/join")) == origin_of(BASE)
        endpoint = config.endpoint(name)
    except SpaceError:
        return
    assert endpoint.api_name == name.lstrip("/")
    assert all(isinstance(c.type, str) for c in endpoint.inputs + endpoint.outputs)
