"""Layer ``models``: ``g4f.models`` (routing by model name) with a retry provider per model.

Each model name a provider answers to gets a g4f ``Model`` whose
``best_provider`` is g4f's ``IterListProvider``, ours first, so g4f's
failover and circuit breaker see our failures. ``ModelUtils.convert`` is a
copy g4f takes at import: it is written too (and ``ModelRegistry`` from
0.6.4.3 on, which ``Model`` fills itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._util import Providers, is_vision, model_names, put_in

__all__ = ["register", "check"]


def _servers_by_model(providers: Providers) -> dict[str, list[tuple[str, type]]]:
    result: dict[str, list[tuple[str, type]]] = {}
    for name, cls in providers.items():
        for model in model_names(cls):
            result.setdefault(model, []).append((name, cls))
    return result


def provider_list(model: Any) -> list[Any]:
    best = model.best_provider
    return list(getattr(best, "providers", None) or ([best] if best else []))


def _prepend(model: Any, servers: Sequence[tuple[str, type]], iter_list: type) -> None:
    """An existing model: ours first (or in the place of a same-named one); g4f's stay as fallbacks."""
    best = model.best_provider
    if isinstance(best, iter_list):
        current = best.providers  # type: ignore[attr-defined]
        for name, cls in reversed(servers):
            if not any(getattr(p, "__name__", p) == name for p in current):
                current.insert(0, cls)
            else:
                put_in(current, name, cls)
    else:
        classes = [cls for _, cls in servers]
        model.best_provider = iter_list([*classes, *([best] if best else [])], shuffle=False)


def register(M: ModuleType, providers: Providers) -> None:
    from g4f.providers.retry_provider import IterListProvider

    registry = getattr(getattr(M, "ModelRegistry", None), "_models", {})
    for model_name, servers in _servers_by_model(providers).items():
        model = registry.get(model_name) or M.ModelUtils.convert.get(model_name)
        if model is None:
            vision = any(is_vision(cls, model_name) for _, cls in servers)
            kind = M.VisionModel if vision else M.Model
            model = kind(
                name=model_name,
                base_provider="Hugging Face Space",
                best_provider=IterListProvider([cls for _, cls in servers], shuffle=False),
            )
        else:
            _prepend(model, servers, IterListProvider)
        M.ModelUtils.convert[model_name] = model
        if isinstance(getattr(M, "__models__", None), dict):
            M.__models__[model_name] = (model, provider_list(model))
        all_models = getattr(M, "_all_models", None)
        if isinstance(all_models, list) and model_name not in all_models:
            all_models.append(model_name)


def check(M: ModuleType, name: str, cls: type) -> bool:
    convert = M.ModelUtils.convert
    return all(m in convert and cls in provider_list(convert[m]) for m in model_names(cls))
