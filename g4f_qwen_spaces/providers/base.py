"""The shared base of our Space providers: g4f on one side, a Gradio Space on the other.

A provider subclass only declares what differs: the Space's URL and its
override variable, the endpoint's ``api_name``, the models, how g4f's
messages become the endpoint's inputs, and where the answer is in its outputs.
Everything that can be checked locally is checked before any byte is sent.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from g4f.errors import ModelNotFoundError
from g4f.providers.base_provider import AsyncGeneratorProvider, ProviderModelMixin

from ..space import SpaceClient, SpaceConfig, TextTracker
from ..space.client import Job
from ..space.config import Endpoint
from ..space.copies import COOLDOWN, Plan, combine, cooldown_seconds, moves_on, parse_urls, reason
from ..space.errors import SpaceError, SpaceInputError
from ..space.files import ImageFile
from ..space.limits import default_deadline, optional_seconds
from ..space.queue import Completed, Generating
from ..space.redact import check_header_value
from ..space.shape import EndpointShape
from ..space.waiting import WaitingStatus
from ..space.wake import Waker
from ..space.wake import wake_limit as wake_limit_seconds  # the name is also a parameter
from .cache import config_store
from .errors import redact_chain, translate
from .media import collect_media, load_image

__all__ = ["GradioSpaceProvider", "G4F_KEY_PREFIXES"]

log = logging.getLogger("g4f_qwen_spaces")

#: g4f's chat messages: ``{"role": ..., "content": ...}``.
Messages = list[dict[str, Any]]
#: An image source with its file name, as :func:`.media.collect_media` finds them.
Sources = list[tuple[Any, str | None]]

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
    model_aliases: dict[str, str] = {}

    # Declared by each Space provider.
    url: str = ""
    url_env: str = ""  #: environment variable that replaces ``url``
    api_name: str = ""  #: the Gradio endpoint, found in the Space's config (``shape.api_name``)
    #: the endpoint as this provider needs it: its name and the kinds of its
    #: inputs and outputs, compared with the live config by the call and the doctor
    shape: EndpointShape = EndpointShape("", (), ())
    accepts_images = False

    # -- what subclasses implement ------------------------------------------

    @classmethod
    def prepare(cls, messages: Messages) -> Any:
        """Validate g4f's messages and turn them into this Space's request (no I/O)."""
        raise NotImplementedError

    @classmethod
    def build_data(
        cls, request: Any, config: SpaceConfig, endpoint: Endpoint, image: dict[str, Any] | None
    ) -> list[Any]:
        """The endpoint's input values, in the order of its inputs."""
        raise NotImplementedError

    @classmethod
    def answer_node(cls, values: list[Any], endpoint: Endpoint) -> Any:
        """The answer's text node in the endpoint's current output values."""
        raise NotImplementedError

    # -- shared behaviour ------------------------------------------------------

    @classmethod
    def space_urls(cls) -> tuple[str, ...]:
        """The Space's copies, in the order tried: ``url``, or the list in ``url_env``."""
        raw = os.environ.get(cls.url_env, "") if cls.url_env else ""
        if not raw.strip():
            return (cls.url,)
        return parse_urls(raw, cls.url_env)

    @classmethod
    def space_url(cls) -> str:
        """The first copy's base URL (the one tried first)."""
        return cls.space_urls()[0]

    @classmethod
    def resolve_model(cls, model: str | None) -> str:
        """The Space's model for a requested name or alias; unknown names raise."""
        if model is not None and not isinstance(model, str):
            raise ModelNotFoundError(
                f"The model name must be a string, got {type(model).__name__}; "
                f"{cls.__name__} serves: {', '.join(cls.models)}"
            )
        if not model or model == "auto":
            return str(cls.default_model)
        if model in cls.model_aliases:
            return str(cls.model_aliases[model])
        if model in cls.models:
            return model
        raise ModelNotFoundError(
            f"Model {model!r} is not served by {cls.__name__}; "
            f"available: {', '.join(cls.models)}"
        )

    @classmethod
    def space_token(cls, api_key: str | None) -> str | None:
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
        messages: Messages,
        media: list[Any] | None = None,
        api_key: str | None = None,
        proxy: str | None = None,
        timeout: float | None = None,
        stall_timeout: float | None = None,
        wake_limit: float | None = None,
        cooldown: float | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Stream the answer as text chunks (each chunk is only new text).

        Everything checkable is checked before a connection is made. The
        Space's copies are tried in order, under one deadline; a copy gives
        way to the next only when it failed before any text
        (:func:`~..space.copies.moves_on`), so no text is ever sent twice, and
        it then cools down for ``cooldown`` seconds. Every failure leaves here
        as one of :mod:`.errors`' g4f types.
        """
        token: str | None = None
        label = ""  # the copy being tried, for statuses
        waits: WaitingStatus | None = None
        try:
            cls.resolve_model(model)
            request = cls.prepare(messages)
            sources = collect_media(media, messages)
            if sources and not cls.accepts_images:
                raise SpaceInputError(f"{cls.__name__} takes text only; remove the images")
            if len(sources) > 1:
                raise SpaceInputError(f"{cls.__name__} takes one image per request; got {len(sources)}")
            token = cls.space_token(api_key)
            total = optional_seconds(timeout, "timeout") or default_deadline()
            stall = optional_seconds(stall_timeout, "stall_timeout")
            limit, rest = wake_limit_seconds(wake_limit), cooldown_seconds(cooldown)
            waits = WaitingStatus() if _wants_status(kwargs) else None
            plan = COOLDOWN.plan(cls.space_urls()) if rest else Plan(cls.space_urls(), ())
            deadline = time.monotonic() + total
            store = config_store()
            failures: list[tuple[str, SpaceError]] = []
            for url in plan.urls:
                started, label = False, space_label(url)
                client = SpaceClient(
                    url, token=token, proxy=proxy, timeout=total, deadline=deadline,
                    stall_timeout=stall, url_hint=cls.url_env, store=store,
                )
                try:
                    async with client:
                        attempt = partial(cls._submit, client, request, sources)  # what a waker repeats
                        waker = Waker(client, attempt, limit, on_wake=_on_wake(client))
                        async for waking in waker:
                            if waits is not None:
                                yield _status(waits.waking(waking.describe()), label)
                        endpoint, job = waker.result
                        # One async generator only, and the job closed in our
                        # own finally: when the caller stops early, the Space is
                        # asked to cancel before the session closes, whatever
                        # order an event loop finalises abandoned generators in.
                        try:
                            tracker = TextTracker()
                            if waits is not None:
                                waits.joined()
                            while True:
                                # A job that has not started after the grace
                                # gets its status shown although nothing came.
                                due = waits.due_at if waits is not None else None
                                if due is not None and not await job.ready_by(due):
                                    shown = waits.due() if waits is not None else None
                                    if shown is not None:
                                        yield _status(shown, label)
                                    continue
                                try:
                                    update = await job.__anext__()
                                except StopAsyncIteration:
                                    break
                                for chunk in cls._chunks(tracker, update, endpoint, waits, label):
                                    started = started or isinstance(chunk, str)
                                    yield chunk
                        finally:
                            await job.aclose()
                except SpaceError as error:
                    if started or not moves_on(error):
                        raise combine(failures, plan.skipped, error) from error.__cause__
                    failures.append((url, error))
                    COOLDOWN.mark(url, rest, reason(error))
                    log.info("%s: %s failed (%s)", cls.__name__, url, reason(error))
                    continue
                COOLDOWN.clear(url)
                return
            raise combine(failures, plan.skipped)
        except SpaceError as error:
            redact_chain(error, token)  # belt and braces: messages are redacted when made
            ending = waits.failed() if waits is not None else None
            if ending is not None:  # no stale "waiting" line above the error
                yield _status(ending, label)
            raise translate(error) from error.__cause__
        except Exception as error:
            redact_chain(error, token)
            raise

    @classmethod
    def _chunks(
        cls, tracker: TextTracker, update: Any, endpoint: Endpoint, waits: WaitingStatus | None, label: str
    ) -> list[Any]:
        """What one job update gives the caller: new text (after the final
        waiting line, the first time), a status, or nothing."""
        if isinstance(update, Generating | Completed):
            values = cls.answer_node(update.values, endpoint)
            text = tracker.finish(values) if isinstance(update, Completed) else tracker.update(values)
            if not text:
                return []
            ending = waits.answering() if waits is not None else None
            return [text] if ending is None else [_status(ending, label), text]
        # Queue position/ETA, only for callers that take chunks one by one
        # (see _wants_status), and only when they really wait (see WaitingStatus).
        shown = waits.queue(update) if waits is not None and not tracker.text else None
        return [] if shown is None else [_status(shown, label)]

    @classmethod
    async def _submit(cls, client: SpaceClient, request: Any, sources: Sources) -> tuple[Endpoint, Job]:
        """Load the image, read the config, upload, join the queue: (endpoint, job)."""
        image: ImageFile | None = None
        if sources:
            item, name = sources[0]
            image = await load_image(item, name, client)
        config, endpoint = await client.endpoint(cls.shape)
        if image is not None and config.max_file_size and len(image.data) > config.max_file_size:
            raise SpaceInputError(
                f"The image is {len(image.data):,} bytes; the Space accepts at most "
                f"{config.max_file_size:,}"
            )
        uploaded = await client.upload(config, image) if image is not None else None
        data = cls.build_data(request, config, endpoint, uploaded)
        return endpoint, await client.submit(config, endpoint, data)


def _on_wake(client: SpaceClient) -> Callable[[SpaceError], Awaitable[None]]:
    """When a Space turns out to be building, its config may change: drop the cached one."""

    async def dropped(error: SpaceError) -> None:
        if getattr(error, "state", None) == "building":
            await client.forget()

    return dropped


def _wants_status(kwargs: dict[str, Any]) -> bool:
    """Does the caller take chunks one by one (so a status is not joined into the text)?

    ``stream=True``: streaming callers and the API server's streams.
    ``ignore_stream=True``: g4f's GUI (and ChatCompletion.create with it), which
    hands every chunk on as it is. Without either, ChatCompletion.create joins
    the chunks with ``str()``, and a status would become part of the answer.
    """
    return bool(kwargs.get("stream") or kwargs.get("ignore_stream"))


def space_label(url: str) -> str:
    """What a status is labelled with: the copy of the Space it comes from, by host."""
    host = urlsplit(url).netloc.rpartition("@")[2]
    return f"Space {host}"


def _status(text: str, label: str) -> Any:
    """A g4f status response: the GUI shows ``<label>: <text>`` in the answer's
    bubble (instead of "Reasoning 🧠"), API streams send it as ``delta.reasoning``."""
    try:
        from g4f.providers.response import Reasoning
    except ImportError:  # pragma: no cover - every supported g4f has it
        return ""
    try:
        return Reasoning(status=text, label=label)
    except TypeError:  # a g4f whose Reasoning has no label
        return Reasoning(status=text)
