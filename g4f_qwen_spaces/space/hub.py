"""Hugging Face's Hub: which Spaces are on ``hf.space``, and what stage one is in.

The state of a Space is published by the Hub, not by the Space's proxy
pages: gradio's JS client (``check_space_status``), gradio_client and
huggingface_hub (``get_space_runtime``) all read ``runtime.stage`` from
``GET {HF_ENDPOINT}/api/spaces/...``. We ask
``/api/spaces/by-subdomain/{subdomain}`` (a base URL holds the subdomain,
not the Space's id), and only when the Space's own answer says it is not
serving (a 502/503/504, an HTML page): a call that works never asks.

The Hub is one more untrusted, optional source: its answer is bounded in
bytes (:data:`HUB_BODY_LIMIT`) and time (:data:`HUB_TIMEOUT`, within the
call's deadline), validated, and any failure or nonsense means "the Hub
could not say" (``None``): the proxy's pages decide then, as they do for
hosts that are not on ``hf.space``.

The token goes to the Hub as ``Authorization: Bearer`` (it may see a private
Space's runtime); to a Space on ``hf.space`` as ``X-HF-Authorization`` (read
and stripped by Hugging Face's proxy, never seen by the app); to any other
host not at all (see :func:`token_headers`).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .body import read_body
from .errors import SpaceDownError, SpaceError, SpaceInputError

__all__ = [
    "HF_ENDPOINT_ENV",
    "DEFAULT_ENDPOINT",
    "HUB_TIMEOUT",
    "HUB_BODY_LIMIT",
    "HF_TOKEN_HEADER",
    "WAKING_STAGES",
    "RUNNING_STAGES",
    "DOWN_STAGES",
    "is_hf_space",
    "subdomain",
    "hub_endpoint",
    "stage_url",
    "token_headers",
    "parse_stage",
    "fetch_stage",
    "down_error",
    "down_advice",
]

log = logging.getLogger("g4f_qwen_spaces")

#: huggingface_hub's own variable: a mirror or a test stand-in replaces the Hub.
HF_ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_ENDPOINT = "https://huggingface.co"
#: The longest a Hub question may take (and never more than what is left of the call).
HUB_TIMEOUT = 5.0
#: A Space's info is a few KB; its file list can make it longer. Past this: "could not say".
HUB_BODY_LIMIT = 256 * 1024
#: The header Hugging Face's Spaces proxy reads the caller's token from, and strips.
HF_TOKEN_HEADER = "X-HF-Authorization"

_SUFFIX = ".hf.space"
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_STAGE = re.compile(r"[A-Z][A-Z_]{0,39}")

#: Stages that end by themselves (a request wakes a sleeping Space) -> the state we name.
WAKING_STAGES = {
    "SLEEPING": "sleeping",
    "STOPPED": "stopped",
    "BUILDING": "building",
    "APP_STARTING": "starting",
    "RUNNING_APP_STARTING": "starting",
}
#: Stages in which the app serves (RUNNING_BUILDING: the old build runs while a new one builds).
RUNNING_STAGES = frozenset({"RUNNING", "RUNNING_BUILDING"})
#: Stages only the owner can end -> (the state we name, how a message says it).
DOWN_STAGES = {
    "PAUSED": ("paused", "is paused"),
    "RUNTIME_ERROR": ("runtime error", "has a runtime error"),
    "BUILD_ERROR": ("build error", "failed to build"),
    "CONFIG_ERROR": ("config error", "has a configuration error"),
    "NO_APP_FILE": ("no app file", "has no app file"),
    "DELETING": ("deleting", "is being deleted"),
}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_hf_space(url: str) -> bool:
    """Whether ``url`` is on Hugging Face's Spaces domain (by host name; any scheme or port)."""
    host = _host(url)
    return host.endswith(_SUFFIX) and len(host) > len(_SUFFIX)


def subdomain(url: str) -> str | None:
    """The Space's subdomain (``qwen-qvq-72b-preview``), if ``url`` is a Space on ``hf.space``."""
    host = _host(url)
    if not is_hf_space(url):
        return None
    label = host[: -len(_SUFFIX)]
    return label if _LABEL.fullmatch(label) else None


def hub_endpoint() -> str:
    """The Hub's base URL: ``HF_ENDPOINT``, else ``https://huggingface.co`` (checked like a base URL)."""
    from .http import check_base_url  # http imports this module

    raw = os.environ.get(HF_ENDPOINT_ENV, "").strip()
    return check_base_url(raw, HF_ENDPOINT_ENV) if raw else DEFAULT_ENDPOINT


def stage_url(space_url: str) -> str | None:
    """Where the Hub tells this Space's stage, or ``None`` (not on ``hf.space``)."""
    label = subdomain(space_url)
    return f"{hub_endpoint()}/api/spaces/by-subdomain/{label}" if label else None


def token_headers(url: str, token: str | None) -> dict[str, str]:
    """The token's header for a request to the Space at ``url``: none off ``hf.space``."""
    if token and is_hf_space(url):
        return {HF_TOKEN_HEADER: f"Bearer {token}"}
    return {}


def parse_stage(data: Any) -> str | None:
    """``runtime.stage`` (or a bare runtime's ``stage``) from the Hub's JSON, if it is a plain word."""
    if not isinstance(data, dict):
        return None
    runtime = data.get("runtime", data)
    stage = runtime.get("stage") if isinstance(runtime, dict) else None
    if isinstance(stage, str) and _STAGE.fullmatch(stage):
        return stage
    return None


async def fetch_stage(
    session: aiohttp.ClientSession,
    space_url: str,
    *,
    token: str | None,
    proxy: str | None,
    seconds: float,
) -> str | None:
    """The Space's stage from the Hub; ``None`` when the Hub could not say (never raises a SpaceError)."""
    try:
        url = stage_url(space_url)
    except SpaceInputError as error:
        log.warning("Not asking the Hub about %s: %s", space_url, error)
        return None
    if url is None or seconds <= 0:
        return None
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with session.get(
            url, headers=headers, proxy=proxy, timeout=aiohttp.ClientTimeout(total=seconds),
            allow_redirects=False,
        ) as response:
            if response.status != 200:
                log.debug("The Hub answered %s for %s", response.status, space_url)
                return None
            body = await read_body(
                response.content.iter_any(), response.headers.get("Content-Encoding"),
                HUB_BODY_LIMIT, "the Hub's answer",
            )
        stage = parse_stage(json.loads(body))
    except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError, SpaceError,
            ValueError, RecursionError) as error:
        log.debug("The Hub could not say the stage of %s: %r", space_url, error)
        return None
    log.debug("The Hub says %s is %s", space_url, stage)
    return stage


def down_advice(url_hint: str = "") -> str:
    """What a user can do about a Space only its owner can bring back."""
    where = f" and list the copy in {url_hint}" if url_hint else " and use the copy's URL"
    return f"it will not serve until its owner acts: duplicate it on Hugging Face{where}"


def down_error(url: str, stage: str, status: int | None, url_hint: str = "") -> SpaceDownError:
    """The typed error for a Space the Hub reports in one of :data:`DOWN_STAGES`."""
    state, words = DOWN_STAGES[stage]
    return SpaceDownError(
        f"The Space at {url} {words} (Hugging Face reports {stage}); {down_advice(url_hint)}",
        status,
        url=url,
        state=state,
        stage=stage,
    )
