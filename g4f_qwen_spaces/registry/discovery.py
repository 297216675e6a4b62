"""Which provider plugins are installed: ``g4f.providers`` entry points, selected by ``G4F_LOAD_PLUGINS``.

Discovery reads entry-point metadata only; it never imports a plugin. A
plugin that also declares ``g4f.providers.metadata`` (same entry name, a
mapping of g4f's class attributes) can be registered without importing it.
"""

from __future__ import annotations

import os
from importlib.metadata import distributions
from typing import Any

__all__ = ["ENV", "GROUP", "META_GROUP", "Entry", "discover", "selected_distributions", "g4f_name"]

GROUP = "g4f.providers"
META_GROUP = "g4f.providers.metadata"
#: unset → every plugin; empty → none; ``a,b`` → those distributions (same name as the hook's).
ENV = "G4F_LOAD_PLUGINS"


class Entry:
    """One ``g4f.providers`` entry point and what became of it.

    A plain class, not a dataclass: this module is imported inside ``import
    g4f``, where making a dataclass costs more than everything else it does.
    """

    __slots__ = ("name", "value", "distribution", "point", "meta_point", "provider", "error")

    def __init__(self, name: str, value: str, distribution: str, point: Any = None,
                 meta_point: Any = None) -> None:
        self.name = name  #: the entry point's name (free: g4f knows the class by its ``__name__``)
        self.value = value  #: ``module:Class``
        self.distribution = distribution
        self.point = point  #: the EntryPoint, to load it
        self.meta_point = meta_point  #: its ``g4f.providers.metadata`` twin
        self.provider: type | None = None  #: what is registered in g4f (the class or its stand-in)
        self.error: str | None = None

    def __repr__(self) -> str:
        return (f"Entry(name={self.name!r}, value={self.value!r}, distribution={self.distribution!r}, "
                f"provider={self.provider!r}, error={self.error!r})")

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


def _scan() -> list[tuple[str, Any, dict[str, Any]]]:
    """(distribution, its ``g4f.providers`` points, its metadata points by name), in ``sys.path`` order.

    One pass over the installed distributions that reads each one's
    ``entry_points.txt`` as text; only those naming our group are parsed and
    have their name read (parsing every distribution's metadata, as
    ``entry_points(group=...)`` and ``EntryPoint.dist.name`` do, costs
    milliseconds inside ``import g4f``). A distribution found twice on
    ``sys.path`` counts once, as in ``importlib.metadata.entry_points()``.
    """
    found: list[tuple[str, Any, dict[str, Any]]] = []
    seen: set[str] = set()
    for dist in distributions():
        text = _read(dist, "entry_points.txt")
        if not text or GROUP not in text:
            continue
        name = _name(dist)
        if canonical(name) in seen:
            continue
        seen.add(canonical(name))
        points = dist.entry_points
        metas = {p.name: p for p in points if p.group == META_GROUP}
        found.append((name, [p for p in points if p.group == GROUP], metas))
    return found


def _read(dist: Any, name: str) -> str | None:
    """``dist.read_text(name)``, without pathlib where the distribution is a folder.

    ``read_text`` builds a ``pathlib`` path and catches an exception for
    every distribution without the file: most of the scan's time, inside
    ``import g4f``. ``_path`` is ``PathDistribution``'s folder (a private
    name, so anything else goes the public way).
    """
    folder = getattr(dist, "_path", None)
    if type(folder).__name__ not in ("PosixPath", "WindowsPath"):
        text: str | None = dist.read_text(name)
        return text
    try:
        with open(os.path.join(str(folder), name), encoding="utf-8") as file:
            return file.read()
    except OSError:
        return None


def _name(dist: Any) -> str:
    """A distribution's ``Name:``, read from the head of its metadata file.

    ``dist.metadata`` parses the whole file with the email parser, long
    description included (ours is the README): a millisecond inside
    ``import g4f``. The name is the second header line of the file.
    """
    text = _read(dist, "METADATA") or _read(dist, "PKG-INFO") or ""
    for line in text.split("\n", 40)[:40]:
        if not line.strip():
            break  # end of the headers
        if line[:5].lower() == "name:":
            return line[5:].strip() or "?"
    return str(dist.metadata["Name"] or "?")


def discover() -> list[Entry]:
    """Every installed ``g4f.providers`` entry point allowed by ``G4F_LOAD_PLUGINS``.

    Nothing is imported; loading is :mod:`.activation`'s job.
    """
    wanted = selected_distributions()
    if wanted is not None and not wanted:
        return []
    entries: list[Entry] = []
    for dist, points, metas in _scan():
        if wanted is not None and canonical(dist) not in wanted:
            continue
        entries.extend(Entry(p.name, p.value, dist, p, metas.get(p.name)) for p in points)
    return entries
