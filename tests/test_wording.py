"""Errors as Spaces word them: Gradio 5's ``title`` and every ZeroGPU wording.

Evidence (/work/shared/NOTES.md, "ZeroGPU wording"): the ``spaces`` package's
messages, and Gradio 5's ``{"error": …, "title": "ZeroGPU quota exceeded"}``
(``utils.error_payload``; ``gr.Error(message, title=...)``). Gradio 4 sends
``repr(message)`` and no title. The real-server half (gr.Error with a title on
Gradio 5.9.1) is tests/published/test_published.py.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from g4f_qwen_spaces.space.errors import SpaceAppError, SpaceError, SpaceQuotaError
from g4f_qwen_spaces.space.queue import app_error

EXAMPLES = int(os.environ.get("G4FQS_HYPOTHESIS_EXAMPLES", "300"))
URL = "http://space"

#: (message, retry_after) for each ZeroGPU wording in the evidence
ZEROGPU = [
    ("You have exceeded your free GPU quota (60s requested vs. 30s left). Try again in 0:05:00", 300.0),
    ("You have exceeded your Pro GPU quota (120s requested vs. 0s left). Try again in 1:02:03", 3723.0),
    ("You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:01:05", 65.0),
    ("Unlogged user is runnning out of daily ZeroGPU quotas. Signup for free on https://huggingface.co/join "
     "or login on https://huggingface.co/login to get more ZeroGPU quota now.", None),
    ("User is runnning out of daily ZeroGPU quotas. Subscribe to Pro to get 5x more daily usage", None),
    ("Space app has reached its GPU limit. Try again later", None),
    ("You have exceeded your runs limit.", None),
    ("No GPU was available after 60s. Retry later", None),
]


@pytest.mark.parametrize("message, retry_after", ZEROGPU, ids=[m[:24] for m, _ in ZEROGPU])
@pytest.mark.parametrize("major", [4, 5])
def test_every_zerogpu_wording_is_a_quota(message, retry_after, major):
    sent = repr(message) if major == 4 else message  # Gradio 4 quotes it
    error = app_error({"error": sent}, major, URL)
    assert type(error) is SpaceQuotaError
    assert str(error) == message
    assert error.retry_after == retry_after
    assert error.url == URL


@pytest.mark.parametrize("message, retry_after", ZEROGPU, ids=[m[:24] for m, _ in ZEROGPU])
def test_the_gradio5_title_is_put_in_front(message, retry_after):
    error = app_error({"error": message, "title": "ZeroGPU quota exceeded", "duration": 10, "visible": True},
                      5, URL)
    assert type(error) is SpaceQuotaError
    assert str(error) == f"ZeroGPU quota exceeded: {message}"
    assert error.retry_after == retry_after


@pytest.mark.parametrize("output, kind, text", [
    # the default title says nothing
    ({"error": "The image is too dark", "title": "Error"}, SpaceAppError, "The image is too dark"),
    ({"error": "The image is too dark", "title": "error"}, SpaceAppError, "The image is too dark"),
    ({"error": "The image is too dark", "title": ""}, SpaceAppError, "The image is too dark"),
    ({"error": "The image is too dark", "title": None}, SpaceAppError, "The image is too dark"),
    ({"error": "The image is too dark", "title": 42}, SpaceAppError, "The image is too dark"),
    # a title of its own is kept
    ({"error": "Upload a PNG", "title": "Bad input"}, SpaceAppError, "Bad input: Upload a PNG"),
    # not twice
    ({"error": "Bad input: Upload a PNG", "title": "Bad input"}, SpaceAppError, "Bad input: Upload a PNG"),
    # the title alone tells a quota
    ({"error": "Please wait a moment", "title": "ZeroGPU quota exceeded"}, SpaceQuotaError,
     "ZeroGPU quota exceeded: Please wait a moment"),
    # a title without a message is the message
    ({"error": None, "title": "ZeroGPU quota exceeded"}, SpaceQuotaError, "ZeroGPU quota exceeded"),
    ({"error": "", "title": "Something broke"}, SpaceAppError, "Something broke"),
    # nothing at all
    ({"error": None, "title": "Error"}, SpaceAppError,
     "The Space at http://space failed without a message (the app hides its errors)"),
    ({"error": None}, SpaceAppError,
     "The Space at http://space failed without a message (the app hides its errors)"),
    # a title is one line and short, tags and all
    ({"error": "x", "title": "<b>Long</b>\n" + "t" * 200}, SpaceAppError, "Long " + "t" * 74 + "…: x"),
])
def test_titles(output, kind, text):
    error = app_error(output, 5, URL)
    assert type(error) is kind
    assert str(error) == text


def test_an_ordinary_error_is_not_a_quota():
    for text in ("GPU out of memory", "quota", "Too many tokens", "limit reached"):
        assert type(app_error({"error": text}, 5, URL)) is SpaceAppError


OUTPUTS = st.fixed_dictionaries(
    {},
    optional={
        "error": st.one_of(st.none(), st.text(max_size=400), st.sampled_from([m for m, _ in ZEROGPU]),
                           st.integers(), st.lists(st.text(max_size=5), max_size=2)),
        "title": st.one_of(st.none(), st.text(max_size=200), st.sampled_from(["Error", "ZeroGPU quota exceeded"]),
                           st.integers(), st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)),
        "duration": st.one_of(st.none(), st.floats(allow_nan=True)),
    },
)


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(OUTPUTS, st.sampled_from([0, 4, 5, 6]))
def test_any_failure_output_is_one_short_line_of_the_family(output, major):
    error = app_error(output, major, URL)
    assert type(error) in (SpaceAppError, SpaceQuotaError)
    assert isinstance(error, SpaceError)
    text = str(error)
    assert text and "\n" not in text and "\r" not in text
    assert len(text) <= 300
    if type(error) is SpaceQuotaError:
        assert error.retry_after is None or 0 <= error.retry_after < 360000
