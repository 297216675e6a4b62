"""Layer ``hugging_space``: the ``HuggingSpace`` aggregate (``g4f.Provider.hf_space``).

Only providers whose ``parent`` is ``"HuggingSpace"``. Where g4f ships its
own class of the same name (g4f 7.x: ``Qwen_Qwen_2_72B``), the plugin's
takes its place, in the aggregate and as the module attribute.
"""

from __future__ import annotations

import logging
from types import ModuleType

from ._util import Providers, put_in

__all__ = ["PARENT", "register", "check", "applies"]

log = logging.getLogger("g4f_qwen_spaces")

PARENT = "HuggingSpace"


def applies(cls: type) -> bool:
    return getattr(cls, "parent", None) == PARENT


def register(HS: ModuleType, providers: Providers) -> None:
    aggregate = getattr(HS, "HuggingSpace", None)
    if aggregate is None:
        return
    changed = False
    for name, cls in providers.items():
        if not applies(cls):
            continue
        old = vars(HS).get(name)
        if old is not None and old is not cls:
            log.debug("g4f's HuggingSpace ships its own %s; the installed plugin's class wins", name)
            setattr(HS, name, cls)
        changed |= put_in(aggregate.providers, name, cls)
    if changed:
        aggregate.models = []  # g4f caches the union of its children's models
    for child in aggregate.providers:  # g4f 8.0.5 trips over a child's None aliases
        if getattr(child, "model_aliases", {}) is None:
            child.model_aliases = {}


def check(HS: ModuleType, name: str, cls: type) -> bool:
    return cls in HS.HuggingSpace.providers
