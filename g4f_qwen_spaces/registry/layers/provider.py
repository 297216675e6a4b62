"""Layer ``provider``: ``g4f.Provider`` (``getattr``, ``ProviderUtils.convert``, ``__providers__``).

g4f's registry has had three shapes; each is detected by its attributes,
read with ``vars()`` so nothing triggers g4f's lazy loading (enumerating all
providers makes g4f 8.x download a providers list):

* 0.6.4.3 … 7.5: eager ``__map__`` dict (also ``ProviderUtils.convert``),
  ``__providers__`` list and module attributes;
* 8.0: lazy ``_provider_names`` list and ``_loaded_providers`` dict;
* 8.8: ``ProviderLoader`` with ``names``, ``loaded`` (also under a
  normalised name: lower-case, no ``-``/``_``) and ``from_name()``.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from ._util import Providers, put_in

__all__ = ["register", "check", "add_provider", "shape"]

log = logging.getLogger("g4f_qwen_spaces")


def normalised(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def shape(P: ModuleType) -> str:
    """``"loader"`` (8.8+), ``"lazy"`` (8.0) or ``"eager"`` (≤ 7.5); else ValueError."""
    names = vars(P)
    if "ProviderLoader" in names:
        return "loader"
    if "_provider_names" in names and "_loaded_providers" in names:
        return "lazy"
    if isinstance(names.get("__map__"), dict) and isinstance(names.get("__providers__"), list):
        return "eager"
    raise ValueError("unrecognised g4f.Provider registry; cannot register plugins")


def add_provider(P: ModuleType, name: str, cls: type) -> None:
    """Make ``name`` resolve to ``cls`` in g4f's provider registry (idempotent)."""
    names = vars(P)
    kind = shape(P)
    if kind == "loader":
        loader = names["ProviderLoader"]
        if name not in loader.names:
            loader.names.append(name)
        loader.loaded[name] = cls
        loader.loaded[normalised(name)] = cls
    elif kind == "lazy":
        if name not in names["_provider_names"]:
            names["_provider_names"].append(name)
        names["_loaded_providers"][name] = cls
    else:
        mapping, listing = names["__map__"], names["__providers__"]
        old = mapping.get(name)
        if old is not None and old is not cls and getattr(old, "__module__", "").startswith("g4f."):
            log.debug("g4f ships its own %s; the installed plugin's class (%s) wins", name, cls.__module__)
        setattr(P, name, cls)
        mapping[name] = cls
        put_in(listing, name, cls)


def lookup(P: ModuleType, name: str) -> Any:
    """What g4f resolves ``name`` to, without loading anything else."""
    names = vars(P)
    kind = shape(P)
    if kind == "loader":
        return names["ProviderLoader"].loaded.get(name) if name in names["ProviderLoader"].names else None
    if kind == "lazy":
        return names["_loaded_providers"].get(name) if name in names["_provider_names"] else None
    return names["__map__"].get(name) if names.get(name) is names["__map__"].get(name) else None


def register(P: ModuleType, providers: Providers) -> None:
    for name, cls in providers.items():
        add_provider(P, name, cls)


def check(P: ModuleType, name: str, cls: type) -> bool:
    return lookup(P, name) is cls
