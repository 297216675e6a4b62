"""The error family, the bounds and the redaction, as units (no network)."""
from __future__ import annotations

import ast
import gzip
import logging
import zlib
from pathlib import Path

import pytest
from g4f import errors as g4f_errors

from g4f_qwen_spaces.providers.errors import G4F_CLASSES, redact_chain, translate
from g4f_qwen_spaces.space import errors as space
from g4f_qwen_spaces.space.body import PIECE, Body, Inflater, read_body
from g4f_qwen_spaces.space.limits import (
    DEADLINE_ENV,
    DEFAULT_DEADLINE,
    STREAM_ENV,
    Limits,
    default_deadline,
    positive,
)
from g4f_qwen_spaces.space.redact import RedactingFilter, redact, register_secret, release_secret

TOKEN = "hf_UnitTestTokenAbcdefghijklmnopqrstuv"

PARENTS = {
    space.SpaceError: g4f_errors.ResponseError,
    space.SpaceConnectionError: g4f_errors.ResponseError,
    space.SpaceStatusError: g4f_errors.ResponseStatusError,
    space.SpaceAuthError: g4f_errors.MissingAuthError,
    space.SpaceQuotaError: g4f_errors.RateLimitError,
    space.SpaceAppError: g4f_errors.ResponseError,
    space.SpaceProtocolError: g4f_errors.ResponseError,
    space.SpaceLimitError: g4f_errors.ResponseError,
    space.SpaceTimeoutError: g4f_errors.TimeoutError,
    space.SpaceInputError: g4f_errors.G4FError,
}


def make(kind: type) -> space.SpaceError:
    if kind is space.SpaceQuotaError:
        return kind("busy", 65.0, status=429, url="http://s")
    if kind is space.SpaceLimitError:
        return kind("too big", "/config", url="http://s")
    return kind("failed", 503, url="http://s")


def test_the_space_client_knows_nothing_of_g4f():
    for kind in PARENTS:
        assert not issubclass(kind, g4f_errors.G4FError), kind
        assert issubclass(kind, space.SpaceError)
    package = Path(space.__file__).parent
    imported = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update((source.name, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add((source.name, node.module))
    assert len({name for name, _ in imported}) >= 10
    assert [(name, module) for name, module in imported if module.split(".")[0] == "g4f"] == []


@pytest.mark.parametrize("kind", list(PARENTS), ids=lambda k: k.__name__)
def test_translate_keeps_kind_parent_attributes_and_cause(kind):
    original = make(kind)
    cause = OSError("low level")
    original.__cause__ = cause
    typed = translate(original)
    assert type(typed) is G4F_CLASSES[kind]
    assert isinstance(typed, kind) and isinstance(typed, PARENTS[kind])
    assert str(typed) == str(original)
    assert (typed.url, typed.status) == ("http://s", original.status)
    assert typed.__cause__ is cause
    if kind is space.SpaceQuotaError:
        assert typed.retry_after == 65.0
    if kind is space.SpaceLimitError:
        assert typed.limit == "/config"
    assert translate(typed) is typed


def test_timeout_errors_are_also_builtin_timeouts():
    assert isinstance(translate(space.SpaceTimeoutError("slow")), TimeoutError)
    assert isinstance(translate(space.SpaceInputError("bad")), ValueError)


def test_redact_chain_covers_causes_and_contexts():
    inner = ValueError(f"inner {TOKEN}")
    outer = RuntimeError(f"outer {TOKEN}")
    outer.__context__ = inner
    redact_chain(outer, TOKEN)
    assert (str(outer), str(inner)) == ("outer ***", "inner ***")


@pytest.mark.parametrize("offset", range(150, 205, 3))
def test_excerpt_redacts_before_it_cuts(secret, offset):
    text = space.excerpt("a" * offset + secret + "b" * 50, 200)
    assert len(text) <= 200
    assert secret[:6] not in text and secret[-6:] not in text


def test_errors_redact_their_message_when_made(secret):
    assert str(space.SpaceAppError(f"echo {secret}")) == "echo ***"


def test_redaction_stops_when_the_secret_is_released():
    register_secret(TOKEN)
    register_secret(TOKEN)  # two clients with the same token
    release_secret(TOKEN)
    assert redact(TOKEN) == "***"
    release_secret(TOKEN)
    assert redact(TOKEN) == TOKEN


def test_short_strings_are_never_treated_as_secrets():
    register_secret("abc")
    try:
        assert redact("abc abc") == "abc abc"
    finally:
        release_secret("abc")


def test_the_log_filter_redacts_formatted_records(secret):
    record = logging.LogRecord("g4f_qwen_spaces", logging.INFO, __file__, 1, "token %s here", (secret,), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "token *** here"


def test_excerpt_is_one_plain_line():
    assert space.excerpt("<html><b>Oops</b>\n\n  went   wrong &amp; <i>more</i></html>") == "Oops went wrong & more"
    assert space.excerpt(b"") == "(empty)"
    assert space.excerpt("x" * 300, 10) == "x" * 9 + "…"
    assert space.excerpt("a < b") == "a ‹ b"
    assert space.excerpt("1 > 0") == "1 › 0"


# -- limits --------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(1, 1.0), ("2.5", 2.5), (1e9, 1e9)])
def test_positive_accepts_finite_positive_numbers(value, expected):
    assert positive(value, "timeout") == expected


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "-inf", "x", None, True, [1], 10**400])
def test_positive_refuses_everything_else(value):
    with pytest.raises(space.SpaceInputError, match=r"^timeout must be a"):
        positive(value, "timeout")


def test_the_default_deadline_and_its_variable(monkeypatch):
    monkeypatch.delenv(DEADLINE_ENV, raising=False)
    assert default_deadline() == DEFAULT_DEADLINE == 600.0
    monkeypatch.setenv(DEADLINE_ENV, "42")
    assert default_deadline() == 42.0
    monkeypatch.setenv(DEADLINE_ENV, "nan")
    with pytest.raises(space.SpaceInputError, match=f"^{DEADLINE_ENV} must be a finite positive number"):
        default_deadline()


def test_the_stream_bound_and_its_variable(monkeypatch):
    monkeypatch.delenv(STREAM_ENV, raising=False)
    assert Limits.from_env() == Limits() and Limits().stream == 64 << 20
    monkeypatch.setenv(STREAM_ENV, "2")
    assert Limits.from_env().stream == 2 << 20


# -- bodies --------------------------------------------------------------------------


async def chunks(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    "encoding, encode",
    [(None, bytes), ("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", lambda d: zlib.compress(d)[2:-4])],
    ids=["identity", "gzip", "deflate", "raw-deflate"],
)
async def test_bodies_are_decoded(encoding, encode):
    data = bytes(range(256)) * 400
    assert await read_body(chunks(encode(data)), encoding, len(data), "t") == data
    with pytest.raises(space.SpaceLimitError) as caught:
        await read_body(chunks(encode(data)), encoding, len(data) - 1, "the thing")
    assert str(caught.value) == f"The Space sent more than the {len(data) - 1:,} bytes allowed for the thing"
    assert caught.value.limit == "the thing"


async def test_an_error_body_is_cut_to_its_head():
    data = gzip.compress(b"e" * 100_000)
    assert await read_body(chunks(data), "gzip", 8192, "e", truncate=True) == b"e" * 8192


def test_the_inflater_never_makes_more_than_a_piece_per_step():
    inflater = Inflater("gzip")
    pieces = list(inflater.feed(gzip.compress(b"\0" * (8 * PIECE))))
    assert [len(p) for p in pieces] == [PIECE] * 8


async def test_a_body_counts_decoded_bytes_not_content_length():
    body = Body(chunks(gzip.compress(b"x" * 5000)), "gzip", 4096, "it", url="http://s")
    with pytest.raises(space.SpaceLimitError, match="^The Space at http://s sent more than the 4 KiB allowed for it$"):
        async for _ in body:
            pass


def test_unknown_encodings_are_refused():
    with pytest.raises(space.SpaceProtocolError, match="encoding this client did not ask for: br"):
        Inflater("br")
