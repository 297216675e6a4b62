"""Which provider plugins are installed: ``g4f.providers`` entry points, selected by ``G4F_LOAD_PLUGINS``.

Discovery reads entry-point metadata only; it never imports a plugin. A
plugin that also declares ``g4f.providers.metadata`` (same entry name, a
mapping of g4f's class attributes) can be registered without importing it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

__all__ = ["ENV", "GROUP", "META_GROUP", "Entry", "discover", "selected_distributions", "g4f_name"]

GROUP = "g4f.providers"
META_GROUP = "g4f.providers.metadata"
#: unset → every plugin; empty → none; ``a,b`` → those distributions (same name as the hook's).
ENV = "G4F_LOAD_PLUGINS"


@dataclass
class Entry:
    """One ``g4f.providers`` entry point and what became of it."""

    name: str  #: the entry point's name (free: g4f knows the class by its ``__name__``)
    value: str  #: ``module:Class``
    distribution: str
    point: Any = field(default=None, repr=False)  #: the EntryPoint, to load it
    meta_point: Any = field(default=None, repr=False)  #: its ``g4f.providers.metadata`` twin
    provider: type | None = None  #: what is registered in g4f (the class or its stand-in)
    error: str | None = None

    @property
    def module(self) -> str:
        return self.value.split(":", 1)[0].strip()

    @property
    def predicted_name(self) -> str:
        """The class's ``__name__`` as its reference spells it (``mod:Outer.Cls`` → ``Cls``)."""
        return self.value.rsplit(":", 1)[-1].strip().rsplit(".", 1)[-1]


def g4f_name(provider: type) -> str:
    """The one name g4f knows a provider by everywhere: its class's ``__name__``."""
    return provider.__name__


def canonical(name: str) -> str:
    """A distribution name compared the way packaging does (case, ``-_.``)."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def selected_distributions() -> set[str] | None:
    """``G4F_LOAD_PLUGINS``: unset → all (None); empty → none; else those names."""
    value = os.environ.get(ENV)
    if value is None:
        return None
    return {canonical(name) for name in value.split(",") if name.strip()}


def _distribution(point: Any) -> str:
    dist = getattr(point, "dist", None)
    return (getattr(dist, "name", None) if dist is not None else None) or "?"


def discover() -> list[Entry]:
    """Every installed ``g4f.providers`` entry point allowed by ``G4F_LOAD_PLUGINS``.

    The same entry point seen twice on ``sys.path`` counts once. Nothing is
    imported; loading is :mod:`.activation`'s job.
    """
    wanted = selected_distributions()
    if wanted is not None and not wanted:
        return []
    metas = {(_distribution(p), p.name): p for p in entry_points(group=META_GROUP)}
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for point in entry_points(group=GROUP):
        if (point.name, point.value) in seen:
            continue
        seen.add((point.name, point.value))
        dist = _distribution(point)
        if wanted is not None and canonical(dist) not in wanted:
            continue
        entries.append(Entry(point.name, point.value, dist, point, metas.get((dist, point.name))))
    return entries
