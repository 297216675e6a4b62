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

from g4f.errors import ModelNotFoundError
from g4f.providers.base_provider import AsyncGeneratorProvider, ProviderModelMixin

from ..space import SpaceClient, SpaceConfig, TextTracker
from ..space.config import Endpoint
from ..space.errors import SpaceError, SpaceInputError
from ..space.files import ImageFile
from ..space.http import check_base_url
from ..space.limits import optional_seconds
from ..space.queue import Completed, Generating
from ..space.redact import check_header_value
from .errors import redact_chain, translate
from .media import collect_media, load_image

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
        raw = os.environ.get(cls.url_env, "") if cls.url_env else ""
        if not raw.strip():
            return cls.url
        # Refused as a whole, not stripped: a line break in an override means
        # something is wrong with how it was set.
        check_header_value(raw, cls.url_env)
        return check_base_url(raw.strip(), cls.url_env)

    @classmethod
    def resolve_model(cls, model: Optional[str]) -> str:
        """The Space's model for a requested name or alias; unknown names raise."""
        if model is not None and not isinstance(model, str):
            raise ModelNotFoundError(
                f"The model name must be a string, got {type(model).__name__}; "
                f"{cls.__name__} serves: {', '.join(cls.models)}"
            )
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
        if not isinstance(api_key, str):
            raise SpaceInputError("api_key must be a string (an HF token, hf_...)")
        check_header_value(api_key, "api_key")
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
        """Stream the answer as text chunks (each chunk is only new text).

        Everything checkable is checked before a connection is made; every
        failure after that leaves here as one of :mod:`.errors`' g4f types.
        """
        token: Optional[str] = None
        try:
            cls.resolve_model(model)
            request = cls.prepare(messages)
            sources = collect_media(media, messages)
            if sources and not cls.accepts_images:
                raise SpaceInputError(f"{cls.__name__} takes text only; remove the images")
            if len(sources) > 1:
                raise SpaceInputError(f"{cls.__name__} takes one image per request; got {len(sources)}")
            token = cls.space_token(api_key)
            client = SpaceClient(
                cls.space_url(),
                token=token,
                proxy=proxy,
                timeout=optional_seconds(timeout, "timeout"),
                stall_timeout=optional_seconds(stall_timeout, "stall_timeout"),
                url_hint=cls.url_env,
            )
            async with client:
                endpoint, job = await cls._submit(client, request, sources)
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
                            if _wants_status(kwargs) and not update.started and not tracker.text:
                                yield _status(update.describe())
                            continue
                        if delta:
                            yield delta
                finally:
                    await job.aclose()
        except SpaceError as error:
            redact_chain(error, token)  # belt and braces: messages are redacted when made
            raise translate(error) from error.__cause__
        except Exception as error:
            redact_chain(error, token)
            raise

    @classmethod
    async def _submit(cls, client: SpaceClient, request: Any, sources: list):
        """Load the image, read the config, upload, join the queue: (endpoint, job)."""
        image: Optional[ImageFile] = None
        if sources:
            image = await load_image(*sources[0], client)
        config, endpoint = await client.endpoint(cls.api_name)
        if image is not None and config.max_file_size and len(image.data) > config.max_file_size:
            raise SpaceInputError(
                f"The image is {len(image.data):,} bytes; the Space accepts at most "
                f"{config.max_file_size:,}"
            )
        uploaded = await client.upload(config, image) if image is not None else None
        data = cls.build_data(request, config, endpoint, uploaded)
        return endpoint, await client.submit(config, endpoint, data)


def _wants_status(kwargs: dict[str, Any]) -> bool:
    """Does the caller take chunks one by one (so a status is not joined into the text)?

    ``stream=True``: streaming callers and the API server's streams.
    ``ignore_stream=True``: g4f's GUI (and ChatCompletion.create with it), which
    hands every chunk on as it is. Without either, ChatCompletion.create joins
    the chunks with ``str()``, and a status would become part of the answer.
    """
    return bool(kwargs.get("stream") or kwargs.get("ignore_stream"))


def _status(text: str) -> Any:
    """A g4f status response (shown by the GUI while a request waits)."""
    try:
        from g4f.providers.response import Reasoning
    except ImportError:  # pragma: no cover - every supported g4f has it
        return ""
    return Reasoning(status=text)
