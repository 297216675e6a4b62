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
from types import ModuleType
from typing import NamedTuple

from . import any_provider, gui, hf_space, models, provider
from ._util import Providers

__all__ = ["Layer", "LAYERS", "by_module"]


def _always(cls: type) -> bool:
    return True


class Layer(NamedTuple):
    """One place in g4f where providers are looked up."""

    key: str  #: the doctor's name for it
    module: str  #: the g4f module that holds it; registration runs once it is imported
    register: Callable[[ModuleType, Providers], None]  #: put every provider in (idempotent)
    check: Callable[[ModuleType, str, type], bool]  #: is this provider there, under this name?
    applies: Callable[[type], bool] = _always  #: which providers belong in this layer


LAYERS: tuple[Layer, ...] = (
    Layer("hugging_space", "g4f.Provider.hf_space", hf_space.register, hf_space.check, hf_space.applies),
    Layer("provider", "g4f.Provider", provider.register, provider.check),
    Layer("models", "g4f.models", models.register, models.check),
    Layer("any_provider", "g4f.providers.any_provider", any_provider.register, any_provider.check),
    Layer("gui", "g4f.gui.server.api", gui.register, gui.check),
)


def by_module() -> dict[str, list[Layer]]:
    result: dict[str, list[Layer]] = {}
    for layer in LAYERS:
        result.setdefault(layer.module, []).append(layer)
    return result
