"""An async Gradio Space client, free of g4f, that treats every Space as untrusted.

``config`` discovers the app, ``files`` prepares uploads, ``queue`` and ``diff``
follow a queued job, ``sse`` reads the stream, ``body`` reads bounded bodies,
``http`` bounds, confines and types every request (``cookies``: one call's
jar, ``hub``: a Space's stage from Hugging Face's Hub, asked while waking,
``wake``: the waiting), ``limits`` names the bounds, ``text`` turns growing values into chunks, ``errors`` is the one
family of failures and ``redact`` keeps secrets out of messages and logs.
Nothing here imports g4f (the providers add g4f's error types).
"""
from .client import SpaceClient
from .config import CONFIG_CACHE, Component, Endpoint, SpaceConfig
from .errors import (
    SpaceAppError,
    SpaceAuthError,
    SpaceChangedError,
    SpaceConnectionError,
    SpaceDownError,
    SpaceError,
    SpaceInputError,
    SpaceLimitError,
    SpaceProtocolError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
)
from .limits import DEFAULT_LIMITS, Limits
from .queue import Completed, Generating, QueueStatus
from .text import TextTracker

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "SpaceClient",
    "CONFIG_CACHE",
    "Component",
    "Endpoint",
    "SpaceConfig",
    "SpaceAppError",
    "SpaceAuthError",
    "SpaceConnectionError",
    "SpaceDownError",
    "SpaceError",
    "SpaceInputError",
    "SpaceLimitError",
    "SpaceChangedError",
    "SpaceProtocolError",
    "SpaceQuotaError",
    "SpaceStatusError",
    "SpaceTimeoutError",
    "Completed",
    "Generating",
    "QueueStatus",
    "TextTracker",
]
