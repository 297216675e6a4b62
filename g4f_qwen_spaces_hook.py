"""Start-up hook: run g4f plugin registration when (and only if) g4f is imported.

A ``.pth`` file in site-packages imports this module at interpreter start.
It must cost next to nothing there: it imports only ``sys`` and ``os``, and
puts one finder on ``sys.meta_path`` that wakes up for a handful of g4f
module names. When one of those modules has finished executing, the finder
calls the registration callbacks for it (see ``g4f_qwen_spaces.plugin``).

It is a top-level module, not part of the ``g4f_qwen_spaces`` package: that
package imports g4f, which the start-up path must never do.
"""
from __future__ import annotations

import os
import sys

__all__ = ["install", "when_imported", "ENV"]

ENV = "G4F_LOAD_PLUGINS"

#: g4f modules after whose import our plugin registration runs.
WATCHED = (
    "g4f.Provider",
    "g4f.Provider.hf_space",
    "g4f.models",
    "g4f.providers.any_provider",
    "g4f.gui.server.api",
)


def _report(callback, module, error) -> None:
    # Never break g4f's own import because of a plugin: say it and move on.
    try:
        import logging

        logging.getLogger("g4f_qwen_spaces").warning(
            "g4f plugin registration for %s failed: %r",
            getattr(module, "__name__", module),
            error,
        )
    except Exception:  # pragma: no cover - logging itself failed
        pass


def _run(callback, module) -> None:
    try:
        callback(module)
    except Exception as error:  # noqa: BLE001 - see _report
        _report(callback, module, error)


class _Loader:
    """Wraps a module's loader: run it, then the callbacks for that module."""

    def __init__(self, loader, fullname: str, finder: "_Finder") -> None:
        self._loader = loader
        self._fullname = fullname
        self._finder = finder

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        for callback in self._finder.callbacks.get(self._fullname, ()):
            _run(callback, sys.modules.get(self._fullname, module))


class _Finder:
    """A meta-path finder that only wraps the loaders of watched modules."""

    def __init__(self) -> None:
        self.callbacks: dict = {}
        self._busy: set = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.callbacks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            import importlib.util

            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _Loader(spec.loader, fullname, self)
        return spec


_finder = None


def initializing(module) -> bool:
    """True while a module's code is still executing (its import is under way)."""
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def _ready(module) -> bool:
    return module is not None and not initializing(module)


def when_imported(fullname: str, callback) -> None:
    """Call ``callback(module)`` now if ``fullname`` is imported, else right after it is."""
    global _finder
    if _finder is None:
        _finder = _Finder()
        sys.meta_path.insert(0, _finder)
    if callback not in _finder.callbacks.setdefault(fullname, []):
        _finder.callbacks[fullname].append(callback)
    module = sys.modules.get(fullname)
    if _ready(module):
        _run(callback, module)


_activated = []


def _on_g4f(module) -> None:
    if _activated:
        return
    plugin = sys.modules.get("g4f_qwen_spaces.plugin")
    if plugin is not None and initializing(plugin):
        return  # g4f_qwen_spaces.register() is importing it and activates next
    _activated.append(True)
    from g4f_qwen_spaces.plugin import activate

    activate()


def install() -> None:
    """Arrange for plugin registration when g4f is imported (unless switched off).

    Every watched module gets a callback now, so its loader is wrapped when
    it is found: callbacks added later (by registration, possibly while that
    module is mid-import) still run when it finishes.
    """
    if os.environ.get(ENV) == "":
        return
    for name in WATCHED:
        when_imported(name, _on_g4f)


install()
