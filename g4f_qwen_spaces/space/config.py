"""What a Gradio app is, from its ``/config``: prefix, version, endpoints, components.

Spaces re-wire their events over time, so an endpoint is found by its
``api_name`` and its ``fn_index``/``trigger_id`` read from the config, never
hard-coded. Parsed configs are cached per base URL for the process.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import SpaceProtocolError

__all__ = ["Component", "Endpoint", "SpaceConfig", "ConfigCache", "CONFIG_CACHE"]


@dataclass(frozen=True)
class Component:
    """One Gradio component of the app, as far as a client needs it."""

    id: int
    type: str
    props: dict = field(default_factory=dict, repr=False)

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
    trigger_id: Optional[int]
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
    components: dict
    dependencies: tuple
    max_file_size: Optional[int] = None

    @classmethod
    def parse(cls, base_url: str, raw: Any) -> "SpaceConfig":
        if not isinstance(raw, dict) or "components" not in raw or "dependencies" not in raw:
            raise SpaceProtocolError(f"{base_url}/config is not a Gradio app config")
        components = {}
        for item in raw.get("components") or ():
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                components[item["id"]] = Component(
                    item["id"], str(item.get("type", "")), item.get("props") or {}
                )
        max_file_size = raw.get("max_file_size")
        return cls(
            base_url=base_url,
            version=str(raw.get("version") or ""),
            api_prefix=str(raw.get("api_prefix") or "").rstrip("/"),
            protocol=str(raw.get("protocol") or ""),
            components=components,
            dependencies=tuple(d for d in raw["dependencies"] if isinstance(d, dict)),
            max_file_size=max_file_size if isinstance(max_file_size, int) else None,
        )

    @property
    def major(self) -> int:
        """Gradio's major version (0 when the config does not say)."""
        try:
            return int(self.version.split(".", 1)[0])
        except ValueError:
            return 0

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

    def endpoint(self, api_name: str) -> Endpoint:
        """Resolve an endpoint by ``api_name`` (with or without a leading ``/``)."""
        wanted = api_name.lstrip("/")
        for position, dependency in enumerate(self.dependencies):
            name = dependency.get("api_name")
            if not isinstance(name, str) or name.lstrip("/") != wanted:
                continue
            fn_index = dependency.get("id", position)
            targets = dependency.get("targets") or []
            trigger_id = None
            if targets and isinstance(targets[0], (list, tuple)) and targets[0]:
                trigger_id = targets[0][0]
            elif isinstance(dependency.get("trigger"), int):
                trigger_id = dependency["trigger"]
            types = dependency.get("types") or {}
            return Endpoint(
                api_name=wanted,
                fn_index=fn_index if isinstance(fn_index, int) else position,
                trigger_id=trigger_id if isinstance(trigger_id, int) else None,
                inputs=tuple(self._component(i) for i in dependency.get("inputs") or ()),
                outputs=tuple(self._component(i) for i in dependency.get("outputs") or ()),
                queued=dependency.get("queue") is not False,
                generator=bool(types.get("generator")),
            )
        found = ", ".join(self.api_names()) or "none"
        raise SpaceProtocolError(
            f"The Space at {self.base_url} has no endpoint named {wanted!r} "
            f"(api_names found: {found})"
        )

    def _component(self, component_id: Any) -> Component:
        component = self.components.get(component_id)
        return component if component is not None else Component(component_id, "unknown")


class ConfigCache:
    """Parsed configs per base URL, for ``ttl`` seconds (thread-safe).

    g4f's synchronous API runs each call in its own event loop, often in a
    worker thread, so the cache holds plain data, not futures.
    """

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, SpaceConfig]] = {}
        self._lock = threading.Lock()

    def get(self, base_url: str) -> Optional[SpaceConfig]:
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

    def invalidate(self, base_url: Optional[str] = None) -> None:
        with self._lock:
            if base_url is None:
                self._items.clear()
            else:
                self._items.pop(base_url, None)


CONFIG_CACHE = ConfigCache()
