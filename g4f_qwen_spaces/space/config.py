"""What a Gradio app is, from its ``/config``: prefix, version, endpoints, components.

Spaces re-wire their events over time, so an endpoint is found by its
``api_name`` and its ``fn_index``/``trigger_id`` read from the config, never
hard-coded. Parsed configs are cached per base URL for the process.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import SpaceProtocolError, excerpt

__all__ = ["Component", "Endpoint", "SpaceConfig", "ConfigCache", "CONFIG_CACHE"]


@dataclass(frozen=True)
class Component:
    """One Gradio component of the app, as far as a client needs it."""

    id: int
    type: str
    props: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def default(self) -> Any:
        """The component's initial value (what a person opening the Space sees)."""
        return self.props.get("value")

    @property
    def is_state(self) -> bool:
        """``gr.State`` inputs are per-session: clients send ``null``."""
        return self.type == "state"


@dataclass(frozen=True)
class Endpoint:
    """A queued event handler, resolved from its ``api_name``."""

    api_name: str
    fn_index: int
    trigger_id: int | None
    inputs: tuple[Component, ...]
    outputs: tuple[Component, ...]
    queued: bool = True
    generator: bool = False


@dataclass(frozen=True)
class SpaceConfig:
    """The parts of ``/config`` the client uses."""

    base_url: str
    version: str
    api_prefix: str
    protocol: str
    components: dict[int, Component]
    dependencies: tuple[dict[str, Any], ...]
    max_file_size: int | None = None

    @classmethod
    def parse(cls, base_url: str, raw: Any) -> SpaceConfig:
        """Check the shape of every field the client uses; a protocol error otherwise."""
        if not isinstance(raw, dict) or "components" not in raw or "dependencies" not in raw:
            raise SpaceProtocolError(f"{base_url}/config is not a Gradio app config", url=base_url)
        components_raw = _field(raw, "components", list, base_url)
        dependencies = _field(raw, "dependencies", list, base_url)
        components = {}
        for item in components_raw:
            if not isinstance(item, dict) or not _is_int(item.get("id")):
                raise _bad(base_url, "components", item)
            kind = item.get("type", "")
            props = item.get("props") or {}
            if not isinstance(kind, str) or not isinstance(props, dict):
                raise _bad(base_url, "components", item)
            components[item["id"]] = Component(item["id"], kind, props)
        if not all(isinstance(d, dict) for d in dependencies):
            raise _bad(base_url, "dependencies", next(d for d in dependencies if not isinstance(d, dict)))
        max_file_size = raw.get("max_file_size")
        return cls(
            base_url=base_url,
            version=_text(raw, "version", base_url),
            api_prefix=_plain_path(_text(raw, "api_prefix", base_url), base_url),
            protocol=_text(raw, "protocol", base_url),
            components=components,
            dependencies=tuple(dependencies),
            max_file_size=max_file_size if isinstance(max_file_size, int) and max_file_size > 0 else None,
        )

    @property
    def major(self) -> int:
        """Gradio's major version (0 when the config does not say)."""
        try:
            return int(self.version.split(".", 1)[0])
        except ValueError:
            return 0

    def to_raw(self) -> dict[str, Any]:
        """The fields :meth:`parse` reads, as JSON-ready data (what the disk cache keeps)."""
        return {
            "version": self.version,
            "api_prefix": self.api_prefix,
            "protocol": self.protocol,
            "max_file_size": self.max_file_size,
            "components": [{"id": c.id, "type": c.type, "props": c.props} for c in self.components.values()],
            "dependencies": list(self.dependencies),
        }

    def url(self, path: str) -> str:
        """An API route under the app's prefix (``/gradio_api`` on Gradio 5+)."""
        return f"{self.base_url}{self.api_prefix}{path}"

    def api_names(self) -> list[str]:
        names = []
        for dependency in self.dependencies:
            name = dependency.get("api_name")
            if isinstance(name, str) and name:
                names.append(name.lstrip("/"))
        return names

    def find(self, api_name: str) -> Endpoint | None:
        """The endpoint named ``api_name`` (with or without a leading ``/``), if any."""
        wanted = api_name.lstrip("/")
        for position, dependency in enumerate(self.dependencies):
            name = dependency.get("api_name")
            if not isinstance(name, str) or name.lstrip("/") != wanted:
                continue
            return self._endpoint(wanted, position, dependency)
        return None

    def endpoint(self, api_name: str) -> Endpoint:
        """Resolve an endpoint by ``api_name`` (with or without a leading ``/``)."""
        endpoint = self.find(api_name)
        if endpoint is not None:
            return endpoint
        wanted = api_name.lstrip("/")
        found = ", ".join(self.api_names()) or "none"
        raise SpaceProtocolError(
            f"The Space at {self.base_url} has no endpoint named {wanted!r} "
            f"(api_names found: {excerpt(found, 200)})",
            url=self.base_url,
        )

    def _endpoint(self, name: str, position: int, dependency: dict[str, Any]) -> Endpoint:
        fn_index = dependency.get("id", position)
        targets = dependency.get("targets") or []
        trigger_id = None
        if isinstance(targets, list) and targets and isinstance(targets[0], list) and targets[0]:
            trigger_id = targets[0][0]
        elif _is_int(dependency.get("trigger")):
            trigger_id = dependency["trigger"]
        types = dependency.get("types") or {}
        inputs, outputs = dependency.get("inputs") or [], dependency.get("outputs") or []
        for field_name, value in (("inputs", inputs), ("outputs", outputs)):
            if not isinstance(value, list) or not all(_is_int(i) for i in value):
                raise _bad(self.base_url, f"the {name} endpoint's {field_name}", value)
        if not isinstance(types, dict):
            raise _bad(self.base_url, f"the {name} endpoint's types", types)
        return Endpoint(
            api_name=name,
            fn_index=fn_index if _is_int(fn_index) else position,
            trigger_id=trigger_id if _is_int(trigger_id) else None,
            inputs=tuple(self._component(i) for i in inputs),
            outputs=tuple(self._component(i) for i in outputs),
            queued=dependency.get("queue") is not False,
            generator=types.get("generator") is True,
        )

    def _component(self, component_id: int) -> Component:
        component = self.components.get(component_id)
        return component if component is not None else Component(component_id, "unknown")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(base_url: str, where: str, value: Any) -> SpaceProtocolError:
    return SpaceProtocolError(
        f"The Space at {base_url} sent a config whose {where} is malformed: {excerpt(repr(value), 80)}",
        url=base_url,
    )


def _field(raw: dict[str, Any], name: str, kind: type, base_url: str) -> Any:
    value = raw.get(name)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise _bad(base_url, name, value)
    return value


def _text(raw: dict[str, Any], name: str, base_url: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 2048:
        raise _bad(base_url, name, value)
    return value


_SEGMENT = re.compile(r"[A-Za-z0-9_~%+-][A-Za-z0-9_.~%+-]*")


def _plain_path(prefix: str, base_url: str) -> str:
    """``api_prefix`` as a plain path under the base URL: it can never move us to another host."""
    prefix = prefix.rstrip("/")
    if prefix and not (
        prefix.startswith("/") and all(_SEGMENT.fullmatch(part) for part in prefix[1:].split("/"))
    ):
        raise _bad(base_url, "api_prefix (not a plain path)", prefix)
    return prefix


class ConfigCache:
    """Parsed configs per base URL, for ``ttl`` seconds (thread-safe).

    g4f's synchronous API runs each call in its own event loop, often in a
    worker thread, so the cache holds plain data, not futures. Clients that
    keep configs on disk too (:class:`~.store.ConfigStore`) register their
    store here, so :meth:`invalidate` drops an entry everywhere at once.
    """

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, SpaceConfig]] = {}
        self._stores: dict[str, Any] = {}
        self._lock = threading.Lock()

    def attach(self, store: Any) -> None:
        """Remember a disk store (anything with ``drop(url)``/``clear()``) for :meth:`invalidate`."""
        with self._lock:
            self._stores.setdefault(str(store.root), store)

    def get(self, base_url: str) -> SpaceConfig | None:
        with self._lock:
            item = self._items.get(base_url)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[base_url]
                return None
            return item[1]

    def put(self, config: SpaceConfig) -> None:
        with self._lock:
            self._items[config.base_url] = (time.monotonic() + self.ttl, config)

    def invalidate(self, base_url: str | None = None) -> None:
        """Forget one URL's config (or all), in memory and in every attached store.

        Touches the disk when stores are attached: from a coroutine, call it
        through ``asyncio.to_thread``.
        """
        with self._lock:
            if base_url is None:
                self._items.clear()
            else:
                self._items.pop(base_url, None)
            stores = list(self._stores.values())
        for store in stores:
            if base_url is None:
                store.clear()
            else:
                store.drop(base_url)


CONFIG_CACHE = ConfigCache()
