"""The shared base of our Space providers: g4f on one side, a Gradio Space on the other.

A provider subclass only declares what differs: the Space's URL and its
override variable, the endpoint's ``api_name``, the models, how g4f's
messages become the endpoint's inputs, and where the answer is in its outputs.
Everything that can be checked locally is checked before any byte is sent.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Optional
from urllib.parse import urlsplit

from g4f.errors import ModelNotFoundError
from g4f.providers.base_provider import AsyncGeneratorProvider, ProviderModelMixin

from ..space import SpaceClient, SpaceConfig, TextTracker
from ..space.config import Endpoint
from ..space.errors import SpaceInputError
from ..space.files import ImageFile, collect_media, load_image
from ..space.queue import Completed, Generating

__all__ = ["GradioSpaceProvider", "G4F_KEY_PREFIXES"]

log = logging.getLogger("g4f_qwen_spaces")

#: g4f's own keys: meant for g4f's servers, never for a third party.
G4F_KEY_PREFIXES = ("g4f_", "gfs_")


class GradioSpaceProvider(AsyncGeneratorProvider, ProviderModelMixin):
    """Streams an answer from one endpoint of a Gradio Space through its queue."""

    # g4f's flags. ``parent`` makes g4f's HuggingSpace key and toggle apply;
    # ``hf_space`` stays False on purpose: g4f's GUI hides providers with it.
    parent = "HuggingSpace"
    working = True
    supports_stream = True
    supports_system_message = True
    supports_message_history = False
    needs_auth = False
    model_aliases: dict = {}

    # Declared by each Space provider.
    url: str = ""
    url_env: str = ""  #: environment variable that replaces ``url``
    api_name: str = ""  #: the Gradio endpoint, found in the Space's config
    accepts_images = False

    # -- what subclasses implement ------------------------------------------

    @classmethod
    def prepare(cls, messages: list) -> Any:
        """Validate g4f's messages and turn them into this Space's request (no I/O)."""
        raise NotImplementedError

    @classmethod
    def build_data(
        cls, request: Any, config: SpaceConfig, endpoint: Endpoint, image: Optional[dict]
    ) -> list:
        """The endpoint's input values, in the order of its inputs."""
        raise NotImplementedError

    @classmethod
    def answer_node(cls, values: list, endpoint: Endpoint) -> Any:
        """The answer's text node in the endpoint's current output values."""
        raise NotImplementedError

    # -- shared behaviour ------------------------------------------------------

    @classmethod
    def space_url(cls) -> str:
        """The Space's base URL: ``url``, or the override in ``url_env``."""
        value = os.environ.get(cls.url_env, "").strip() if cls.url_env else ""
        if not value:
            return cls.url
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpaceInputError(
                f"{cls.url_env}={value!r:.100} is not an http(s) URL with a host"
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise SpaceInputError(
                f"{cls.url_env} must be a plain base URL (no credentials, query or fragment)"
            )
        return value.rstrip("/")

    @classmethod
    def resolve_model(cls, model: Optional[str]) -> str:
        """The Space's model for a requested name or alias; unknown names raise."""
        if not model or model == "auto":
            return cls.default_model
        if model in cls.model_aliases:
            return cls.model_aliases[model]
        if model in cls.models:
            return model
        raise ModelNotFoundError(
            f"Model {model!r} is not served by {cls.__name__}; "
            f"available: {', '.join(cls.models)}"
        )

    @classmethod
    def space_token(cls, api_key: Optional[str]) -> Optional[str]:
        """The HF token to send, if any: g4f's own keys are never forwarded."""
        if not api_key:
            return None
        if api_key.startswith(G4F_KEY_PREFIXES):
            log.debug("%s: not forwarding a g4f key to the Space", cls.__name__)
            return None
        return api_key

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: list,
        media: Optional[list] = None,
        api_key: Optional[str] = None,
        proxy: Optional[str] = None,
        timeout: Optional[float] = None,
        stall_timeout: Optional[float] = None,
        **kwargs: Any,
    ):
        """Stream the answer as text chunks (each chunk is only new text)."""
        cls.resolve_model(model)
        request = cls.prepare(messages)
        sources = collect_media(media, messages)
        if sources and not cls.accepts_images:
            raise SpaceInputError(f"{cls.__name__} takes text only; remove the images")
        if len(sources) > 1:
            raise SpaceInputError(
                f"{cls.__name__} takes one image per request; got {len(sources)}"
            )
        token = cls.space_token(api_key)
        try:
            async with SpaceClient(
                cls.space_url(),
                token=token,
                proxy=proxy,
                timeout=_seconds(timeout),
                stall_timeout=_seconds(stall_timeout),
                url_hint=cls.url_env,
            ) as client:
                endpoint, job = await cls._submit(client, request, sources, proxy)
                # One async generator only, and the job closed in our own
                # finally: when the caller stops early, the Space is asked to
                # cancel before the session closes, whatever order an event
                # loop finalises abandoned generators in.
                try:
                    tracker = TextTracker()
                    async for update in job:
                        if isinstance(update, Generating):
                            delta = tracker.update(cls.answer_node(update.values, endpoint))
                        elif isinstance(update, Completed):
                            delta = tracker.finish(cls.answer_node(update.values, endpoint))
                        else:
                            # Queue position/ETA, for streaming callers only:
                            # g4f joins non-streamed chunks with str().
                            if kwargs.get("stream") and not update.started and not tracker.text:
                                yield _status(update.describe())
                            continue
                        if delta:
                            yield delta
                finally:
                    await job.aclose()
        except Exception as error:
            _redact(error, token)  # a Space may echo the token back in an error
            raise

    @classmethod
    async def _submit(cls, client: SpaceClient, request: Any, sources: list, proxy: Optional[str]):
        """Load the image, read the config, upload, join the queue: (endpoint, job)."""
        image: Optional[ImageFile] = None
        if sources:
            image = await load_image(*sources[0], client.session, proxy=proxy)
        config, endpoint = await client.endpoint(cls.api_name)
        if image is not None and config.max_file_size and len(image.data) > config.max_file_size:
            raise SpaceInputError(
                f"The image is {len(image.data):,} bytes; the Space accepts at most "
                f"{config.max_file_size:,}"
            )
        uploaded = await client.upload(config, image) if image is not None else None
        data = cls.build_data(request, config, endpoint, uploaded)
        return endpoint, await client.submit(config, endpoint, data)


def _redact(error: BaseException, token: Optional[str]) -> None:
    """Remove the token from an exception's message, in place."""
    if not token:
        return
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if any(isinstance(a, str) and token in a for a in error.args):
            error.args = tuple(a.replace(token, "***") if isinstance(a, str) else a for a in error.args)
        error = error.__cause__ or error.__context__


def _status(text: str) -> Any:
    """A g4f status response (shown by the GUI while a request waits)."""
    try:
        from g4f.providers.response import Reasoning
    except ImportError:  # pragma: no cover - every supported g4f has it
        return ""
    return Reasoning(status=text)


def _seconds(value: Any) -> Optional[float]:
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise SpaceInputError(f"A timeout must be a number of seconds, got {value!r:.40}") from None
    if seconds <= 0:
        raise SpaceInputError(f"A timeout must be positive, got {seconds:g}")
    return seconds
