"""More tests written against mutants of ``space/http.py``, ``body.py``, ``sse.py`` and ``limits.py``.

Same style as tests/mutants/test_space_http.py: through a provider and the
scripted fault server, or at the function's own boundary when that is where
the value is decided.
"""
from __future__ import annotations

import pytest
from g4f.errors import ResponseStatusError

from g4f_qwen_spaces.space import SpaceStatusError
from tests.faultserver import check_error, respond

URL_ENV = "G4F_QWEN_QVQ_72B_URL"
NOT_FOUND = "Not found (404) at {}/config: the Space may {}; duplicate it on Hugging Face, or set {} to a working copy"
PRIVATE = 'be private (pass api_key="hf_...") or gone'
GONE = "be gone or renamed"


@pytest.mark.parametrize(
    "body, content_type, why",
    [
        ("<!DOCTYPE html><title>404</title>", "text/plain", PRIVATE),  # known by its first bytes
        ("   \n<HTML><body>404</body></HTML>", "text/plain", PRIVATE),
        ("<p>404</p>", "text/html", PRIVATE),  # known by its type
        ('{"detail": "Not Found"}', "application/json", GONE),
    ],
)
async def test_a_404_on_hf_space_without_a_token_is_private_when_its_page_is_html(
    qvq_at, hf_names, monkeypatch, body, content_type, why
):
    from tests.faultserver import run

    url = hf_names(qvq_at.url, "owner-qvq")
    monkeypatch.setenv(URL_ENV, url)
    qvq_at.route("GET", "/config", respond(404, body, content_type=content_type))
    outcome = await run()
    error = check_error(outcome, ResponseStatusError, SpaceStatusError, within=5)
    assert str(error) == NOT_FOUND.format(url, why, URL_ENV)
    assert (error.status, error.url) == (404, url)
