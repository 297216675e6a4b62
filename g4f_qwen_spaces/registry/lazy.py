"""Stand-ins: what g4f holds for a provider that has not been imported yet.

g4f only reads a provider class's attributes (``__name__``, ``models``,
``working``, ``parent`` ...) until it calls one of its classmethods, and
every ``issubclass`` check g4f makes on a provider happens inside those
classmethods, on ``cls``. A stand-in is a plain class carrying the
plugin's declared attributes; any other attribute (``create_async_generator``,
``get_models``, ``space_url`` ...) imports the real class, hands it to
``on_load`` (which puts it into g4f in the stand-in's place) and is answered
by the real class, bound to it. A stale reference to the stand-in keeps
working: it forwards for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["StandIn", "stand_in", "is_stand_in", "resolve"]


class StandIn(type):
    """Metaclass of stand-ins: forwards unknown attributes to the real class."""

    _g4fqs_load: Callable[[], type]
    _g4fqs_real: type | None

    def __getattr__(cls, name: str) -> Any:
        # Only called for attributes the stand-in lacks. Dunder probes
        # (copy, inspect, pickle, typing) must not import the plugin.
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(resolve(cls), name)

    def __repr__(cls) -> str:
        state = "loaded" if type.__getattribute__(cls, "_g4fqs_real") is not None else "not loaded"
        return f"<g4f provider {cls.__module__}.{cls.__qualname__} ({state})>"


def stand_in(
    name: str, module: str, attributes: Mapping[str, Any], load: Callable[[], type]
) -> type:
    """A class named ``name`` with ``attributes`` whose other attributes come from ``load()``."""
    namespace: dict[str, Any] = {
        key: (dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value)
        for key, value in attributes.items()
        if not (key.startswith("__") and key.endswith("__"))
    }
    namespace.update(
        __module__=module,
        __qualname__=name,
        __doc__=f"Stand-in for {module}.{name}: imported on first use.",
        _g4fqs_load=staticmethod(load),
        _g4fqs_real=None,
    )
    return StandIn(name, (), namespace)


def is_stand_in(obj: object) -> bool:
    return isinstance(obj, StandIn)


def resolve(cls: type) -> type:
    """The real class behind a stand-in (imported now if needed); a real class as is."""
    if not isinstance(cls, StandIn):
        return cls
    real: type | None = type.__getattribute__(cls, "_g4fqs_real")
    if real is None:
        # No lock of our own around load(): it takes the registry's lock, and
        # a second lock here could be taken in the other order by a layer.
        # Two threads may both load; imports are locked by Python and putting
        # the class in place is idempotent.
        load: Callable[[], type] = type.__getattribute__(cls, "_g4fqs_load")
        real = load()
        type.__setattr__(cls, "_g4fqs_real", real)
    return real
