"""Start-up hook: arm g4f plugin registration when (and only if) g4f is imported.

A ``.pth`` file in site-packages imports this module at interpreter start.
It must cost next to nothing there: it imports only ``sys`` and ``os`` and
puts one finder on ``sys.meta_path``. The finder does nothing until the
top-level ``g4f`` package is looked up; at that moment (before any g4f
submodule exists) it imports ``g4f_qwen_spaces.registry`` and calls
``arm()``, which asks this finder, through :func:`when_imported`, to run a
callback after each g4f layer module of its table has finished executing.

This is a top-level module, not part of the ``g4f_qwen_spaces`` package,
and it imports nothing of ours at module level: the package depends on the
hook, never the other way round (the one call into the package happens at
run time, when g4f is imported).
"""

import os
import sys

#: Type-only imports: ``typing`` and friends would cost milliseconds at every start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    Callback = Callable[[ModuleType], None]

__all__ = ["ENV", "TRIGGER", "install", "initializing", "when_imported"]

#: ``G4F_LOAD_PLUGINS``: empty switches every plugin off (the package reads the rest).
ENV = "G4F_LOAD_PLUGINS"
#: The module whose first lookup arms the registration.
TRIGGER = "g4f"
#: Called (``module:function``) when :data:`TRIGGER` is first looked up or found imported.
ARM = "g4f_qwen_spaces.registry:arm"


def _report(what: str, error: BaseException) -> None:
    # Never break g4f's own import because of a plugin: say it and move on.
    try:
        import logging

        logging.getLogger("g4f_qwen_spaces").warning(
            "g4f plugin registration for %s failed: %r", what, error
        )
    except Exception:  # pragma: no cover - logging itself failed
        pass


def _run(callback: "Callback", module: "ModuleType") -> None:
    try:
        callback(module)
    except Exception as error:  # noqa: BLE001 - see _report
        _report(module.__name__, error)


#: ``importlib.machinery.ModuleSpec``, without importing anything.
_ModuleSpec = type(sys.__spec__)


class _WatchedSpec(_ModuleSpec):  # type: ignore[misc,valid-type]
    """The spec of a watched module: runs its callbacks once its code has run.

    Python's import system sets ``spec._initializing = False`` right after
    the module's code has executed (and on failure, once it is out of
    ``sys.modules``). Catching that, rather than wrapping the loader, keeps
    the module's own code at the call depth it would have without us: a
    wrapper adds a frame under every import the module makes, and on
    CPython an extra frame at the wrong depth makes the interpreter's frame
    stack allocate and free a chunk of memory over and over (measured: about
    1,000 more page faults, several milliseconds, in ``import g4f``).
    """

    @property
    def _initializing(self) -> bool:
        return bool(self.__dict__.get("_g4fqs_initializing", False))

    @_initializing.setter
    def _initializing(self, value: bool) -> None:
        self.__dict__["_g4fqs_initializing"] = value
        if value or _finder is None:
            return
        module = sys.modules.get(self.name)
        if module is not None and getattr(module, "__spec__", None) is self:
            for callback in list(_finder.callbacks.get(self.name, ())):
                _run(callback, module)


class _Finder:
    """A meta-path finder that arms on :data:`TRIGGER` and watches the modules it is told of."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callback]] = {}
        self.armed = False
        self._busy: set[str] = set()

    def find_spec(
        self, fullname: str, path: "Sequence[str] | None" = None, target: "ModuleType | None" = None
    ) -> "ModuleSpec | None":
        if fullname == TRIGGER and not self.armed:
            _arm(self)
            return None
        if fullname not in self.callbacks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            import importlib.util

            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or type(spec) is not _ModuleSpec:
            return None
        spec.__class__ = _WatchedSpec
        return spec


_finder: "_Finder | None" = None


def _arm(finder: _Finder) -> None:
    """Let the package register its layer callbacks (once per process)."""
    finder.armed = True
    try:
        import importlib

        module_name, function = ARM.split(":")
        getattr(importlib.import_module(module_name), function)()
    except Exception as error:  # noqa: BLE001 - see _report
        _report(ARM, error)


def initializing(module: object) -> bool:
    """True while a module's code is still executing (its import is under way)."""
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def _get_finder() -> _Finder:
    global _finder
    if _finder is None:
        _finder = _Finder()
        sys.meta_path.insert(0, _finder)
    return _finder


def when_imported(fullname: str, callback: "Callback") -> None:
    """Call ``callback(module)`` now if ``fullname`` is imported, else right after it is."""
    finder = _get_finder()
    callbacks = finder.callbacks.setdefault(fullname, [])
    if callback not in callbacks:
        callbacks.append(callback)
    module = sys.modules.get(fullname)
    if module is not None and not initializing(module):
        _run(callback, module)


def install() -> None:
    """Arm registration when g4f is imported, or now if it is (unless switched off)."""
    if os.environ.get(ENV) == "":
        return
    finder = _get_finder()
    if TRIGGER in sys.modules and not finder.armed:
        _arm(finder)


install()
