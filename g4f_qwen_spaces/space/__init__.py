"""An async Gradio Space client, kept apart from g4f's provider machinery.

``config`` discovers the app, ``files`` prepares uploads, ``queue`` and ``diff``
follow a queued job, ``sse`` reads the stream, ``http`` bounds and types every
request, ``text`` turns growing values into chunks, ``errors`` names failures.
"""
from .client import SpaceClient
from .config import CONFIG_CACHE, Component, Endpoint, SpaceConfig
from .errors import (
    SpaceAppError,
    SpaceAuthError,
    SpaceConnectionError,
    SpaceError,
    SpaceInputError,
    SpaceProtocolError,
    SpaceQuotaError,
    SpaceStatusError,
    SpaceTimeoutError,
)
from .queue import Completed, Generating, QueueStatus
from .text import TextTracker

__all__ = [
    "SpaceClient",
    "CONFIG_CACHE",
    "Component",
    "Endpoint",
    "SpaceConfig",
    "SpaceAppError",
    "SpaceAuthError",
    "SpaceConnectionError",
    "SpaceError",
    "SpaceInputError",
    "SpaceProtocolError",
    "SpaceQuotaError",
    "SpaceStatusError",
    "SpaceTimeoutError",
    "Completed",
    "Generating",
    "QueueStatus",
    "TextTracker",
]
