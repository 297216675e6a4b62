"""The table of g4f layers: where a provider must be registered, and how to check it.

Read by the start-up hook (through :func:`g4f_qwen_spaces.registry.arm`:
which modules to wait for), by registration (what to run when each module
has finished importing) and by the doctor (which modules to import, how to
check). Order matters where g4f checks names: HuggingSpace before the
provider registry (g4f's own same-named class is replaced there first),
providers before AnyProvider's map.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any, NamedTuple

from ._util import Providers

__all__ = ["Layer", "LAYERS", "by_module"]


def _always(cls: type) -> bool:
    return True


class _Adapter:
    """``function`` of one adapter module, imported on its first call.

    Most processes import only two or three of g4f's layer modules (the GUI's
    and AnyProvider's rarely), and this table is read inside ``import g4f``:
    an adapter whose g4f module never loads is never imported either.
    """

    __slots__ = ("module", "function", "_target")

    def __init__(self, module: str, function: str) -> None:
        self.module = module
        self.function = function
        self._target: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self._target is None:
            self._target = getattr(import_module(f"{__name__}.{self.module}"), self.function)
        return self._target(*args)

    def __repr__(self) -> str:
        return f"<layer adapter {__name__}.{self.module}.{self.function}>"


def _adapter(module: str) -> tuple[_Adapter, _Adapter]:
    return _Adapter(module, "register"), _Adapter(module, "check")


class Layer(NamedTuple):
    """One place in g4f where providers are looked up."""

    key: str  #: the doctor's name for it
    module: str  #: the g4f module that holds it; registration runs once it is imported
    register: Callable[[ModuleType, Providers], None]  #: put every provider in (idempotent)
    check: Callable[[ModuleType, str, type], bool]  #: is this provider there, under this name?
    applies: Callable[[type], bool] = _always  #: which providers belong in this layer


LAYERS: tuple[Layer, ...] = (
    Layer("hugging_space", "g4f.Provider.hf_space", *_adapter("hf_space"), _Adapter("hf_space", "applies")),
    Layer("provider", "g4f.Provider", *_adapter("provider")),
    Layer("models", "g4f.models", *_adapter("models")),
    Layer("any_provider", "g4f.providers.any_provider", *_adapter("any_provider")),
    Layer("gui", "g4f.gui.server.api", *_adapter("gui")),
)


def by_module() -> dict[str, list[Layer]]:
    result: dict[str, list[Layer]] = {}
    for layer in LAYERS:
        result.setdefault(layer.module, []).append(layer)
    return result
