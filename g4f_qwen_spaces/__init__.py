"""g4f-qwen-spaces: Qwen QVQ-72B and Qwen2-72B Hugging Face Space providers for g4f.

Installing the package is enough: a start-up hook registers every
``g4f.providers`` entry point into g4f when g4f is imported, with stand-ins
that import a provider (and the Space client) only on first use.

Importing this package costs only itself: it imports neither g4f nor the
providers. Where ``.pth`` files are not processed, ``import g4f_qwen_spaces``
installs the same hook, so registration happens when g4f is imported (at
once if it already is). ``from g4f_qwen_spaces import Qwen_QVQ_72B`` imports
the provider class itself (and g4f).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import g4f_qwen_spaces_hook as _hook

__version__ = "0.1.0"

__all__ = ["Qwen_QVQ_72B", "Qwen_Qwen_2_72B", "register", "__version__"]

if TYPE_CHECKING:
    from .providers import Qwen_QVQ_72B, Qwen_Qwen_2_72B

_PROVIDERS = ("Qwen_QVQ_72B", "Qwen_Qwen_2_72B")


def register() -> dict[str, type]:
    """Register all installed ``g4f.providers`` plugins into g4f now (idempotent).

    Layers whose g4f module is not imported yet are filled when it is.
    Returns what is registered by g4f name (stand-ins until first use).
    ``G4F_LOAD_PLUGINS`` is honoured: empty registers none, a
    comma-separated list only those distributions.
    """
    from .registry import activate

    return activate()


def __getattr__(name: str) -> Any:
    """Our provider classes, imported on first access (and put in their stand-ins' place)."""
    if name not in _PROVIDERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import providers
    from .registry import adopt

    cls: type = getattr(providers, name)
    adopt(cls)
    globals()[name] = cls
    return cls


_hook.install()
