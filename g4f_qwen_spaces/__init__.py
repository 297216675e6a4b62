"""g4f-qwen-spaces: Qwen QVQ-72B and Qwen2-72B Hugging Face Space providers for g4f.

Installing the package is enough: a start-up hook registers every
``g4f.providers`` entry point into g4f when g4f is imported. Importing this
package (or calling :func:`register`) does the same explicitly, for
environments where ``.pth`` files are not processed.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .providers import Qwen_QVQ_72B, Qwen_Qwen_2_72B


def register() -> dict:
    """Register all installed ``g4f.providers`` plugins into g4f now (idempotent).

    Returns the registered provider classes by name. ``G4F_LOAD_PLUGINS``
    is honoured: empty registers none, a comma-separated list only those
    distributions.
    """
    from .plugin import activate

    return activate()


register()

__all__ = ["Qwen_QVQ_72B", "Qwen_Qwen_2_72B", "register", "__version__"]
