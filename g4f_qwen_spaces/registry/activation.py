"""Activation: from entry points to providers in every g4f layer.

One rule names a provider in g4f: its class's ``__name__`` (g4f uses it for
lookup, routing, the GUI and logs), whatever the entry point is called. A
plugin with ``g4f.providers.metadata`` gets a stand-in (see :mod:`.lazy`):
its class is imported on first use and then takes the stand-in's place in
every layer. A plugin without is imported now. Two distributions offering
the same name: the first keeps it, a warning names both.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import Any

import g4f_qwen_spaces_hook as hook

from .discovery import Entry, discover, g4f_name
from .layers import LAYERS, by_module
from .lazy import is_stand_in, resolve, stand_in

__all__ = ["activate", "adopt", "entries", "registered", "status", "providers"]

log = logging.getLogger("g4f_qwen_spaces")

_lock = threading.RLock()
_providers: dict[str, type] = {}  #: g4f name → class or stand-in, in registration order
_owners: dict[str, Entry] = {}  #: g4f name → the entry point that provides it
_entries: dict[tuple[str, str, str], Entry] = {}  #: every entry point seen (dist, name, value)
_pending: list[Entry] = []  #: eager entries whose module was mid-import
_activating = False

#: What the layers read: always the current registrations.
providers: Mapping[str, type] = MappingProxyType(_providers)


def registered() -> dict[str, type]:
    """The providers registered so far, by their g4f name (stand-ins until first use)."""
    return dict(_providers)


def entries() -> list[Entry]:
    """Every entry point activation has seen, in discovery order."""
    return list(_entries.values())


def activate() -> dict[str, type]:
    """Discover plugins, register them and wait for g4f's layer modules (idempotent)."""
    global _activating
    with _lock:
        if _activating:  # a plugin's import re-entered us; the outer pass finishes
            return registered()
        _activating = True
        try:
            for entry in discover():
                key = (entry.distribution, entry.name, entry.value)
                if key not in _entries:
                    _entries[key] = entry
                    _add(entry)
            for module_name in by_module():
                hook.when_imported(module_name, _on_module)
        finally:
            _activating = False
        return registered()


def _warn(entry: Entry, message: str) -> None:
    entry.error = message
    log.warning("Skipping g4f provider plugin %s (%s): %s", entry.name, entry.distribution, message)


def _add(entry: Entry) -> None:
    if entry.meta_point is not None:
        try:
            meta = entry.meta_point.load()
            if not isinstance(meta, Mapping):
                raise TypeError(f"{entry.meta_point.value} is not a mapping")
        except Exception as error:  # noqa: BLE001 - a plugin's own bug: import it instead
            log.warning("g4f provider plugin %s (%s): metadata unusable (%r); importing it now",
                        entry.name, entry.distribution, error)
        else:
            name = entry.predicted_name
            entry.provider = stand_in(name, entry.module, meta, lambda: _load_real(entry, name))
            _put(name, entry)
            return
    _load_eager(entry)


def _load_eager(entry: Entry) -> None:
    module = sys.modules.get(entry.module)
    if module is not None and hook.initializing(module):
        # The plugin's module imports g4f right now (it was imported first):
        # it is loaded on a later pass, once it has finished.
        entry.error = "pending: its module is still being imported"
        if entry not in _pending:
            _pending.append(entry)
        return
    if entry in _pending:
        _pending.remove(entry)
    entry.error = None
    try:
        provider = _load(entry)
    except Exception as error:  # noqa: BLE001 - a plugin's own bug
        _warn(entry, f"{type(error).__name__}: {error}")
        return
    entry.provider = provider
    _put(g4f_name(provider), entry)


def _load(entry: Entry) -> type:
    provider = entry.point.load()
    if not isinstance(provider, type) or not (
        hasattr(provider, "create_async_generator") or hasattr(provider, "create_completion")
    ):
        raise TypeError(f"{entry.value} is not a g4f provider class")
    return provider


def _put(name: str, entry: Entry) -> None:
    owner = _owners.get(name)
    if owner is not None and owner is not entry:
        if (owner.distribution, owner.value) == (entry.distribution, entry.value):
            return  # one class under two entry-point names: registered once
        _warn(entry, f"g4f already has a provider named {name} from {owner.distribution} ({owner.value})")
        log.warning(
            "g4f provider name clash: %s is provided by %s (%s) and by %s (%s); keeping %s's",
            name, owner.distribution, owner.value, entry.distribution, entry.value, owner.distribution,
        )
        return
    assert entry.provider is not None
    _owners[name] = entry
    _providers[name] = entry.provider


def _load_real(entry: Entry, name: str) -> type:
    """A stand-in's first use: import the class, check it, put it in the stand-in's place."""
    real = _load(entry)
    if g4f_name(real) != name:
        log.warning("g4f provider plugin %s (%s): the class is named %s, not %s; g4f knows it as %s",
                    entry.name, entry.distribution, g4f_name(real), name, name)
    declared = {k: v for k, v in vars(entry.provider).items() if not k.startswith("_")}
    for key, value in declared.items():
        actual = getattr(real, key, False if key == "hf_space" else None)
        if actual != value:
            log.warning("g4f provider plugin %s: metadata says %s=%r, the class has %r", name, key, value, actual)
    with _lock:
        if _owners.get(name) is entry:
            _providers[name] = real
            _run_loaded_layers()
    return real


def adopt(cls: type) -> None:
    """``cls`` was imported directly: if a stand-in of it is registered, let the class replace it."""
    current = _providers.get(g4f_name(cls))
    owner = _owners.get(g4f_name(cls))
    if current is None or not is_stand_in(current) or owner is None:
        return
    module = sys.modules.get(owner.module)
    if module is not None and vars(module).get(owner.predicted_name) is cls:  # its own entry point
        resolve(current)


def _retry_pending() -> None:
    for entry in list(_pending):
        _load_eager(entry)


def _on_module(module: ModuleType) -> None:
    with _lock:
        _retry_pending()
        for layer in by_module().get(module.__name__, ()):
            layer.register(module, providers)


def _run_loaded_layers() -> None:
    for layer in LAYERS:
        module = sys.modules.get(layer.module)
        if module is not None and not hook.initializing(module):
            layer.register(module, providers)


def status(name: str) -> dict[str, bool]:
    """In which layers the provider registered as ``name`` is now (only imported layers are asked)."""
    cls = _providers.get(name)
    result: dict[str, bool] = {}
    if cls is None:
        return result
    for layer in LAYERS:
        module: Any = sys.modules.get(layer.module)
        if module is not None and layer.applies(cls):
            result[layer.key] = layer.check(module, name, cls)
    return result
