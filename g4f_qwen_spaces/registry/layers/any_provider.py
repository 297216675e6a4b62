"""Layer ``any_provider``: ``AnyProvider``'s model map (``Client()`` auto routing, API ``/v1/models``).

``model_map[model] = {provider_name: model_id}``, ours first. Never call
g4f's ``update_model_map()``: it rewrites g4f's own installed file.
"""

from __future__ import annotations

from types import ModuleType

from ._util import Providers, is_vision, model_names

__all__ = ["register", "check"]


def register(AP: ModuleType, providers: Providers) -> None:
    mixin = getattr(AP, "AnyModelProviderMixin", None)
    if mixin is None:
        return
    parents = vars(AP).get("parents")
    for name, cls in providers.items():
        aliases = getattr(cls, "model_aliases", None) or {}
        for model in model_names(cls):
            others = {k: v for k, v in mixin.model_map.get(model, {}).items() if k != name}
            mixin.model_map[model] = {name: aliases.get(model, model), **others}
            if model not in mixin.models:
                mixin.models.append(model)
            if is_vision(cls, model) and model not in mixin.vision_models:
                mixin.vision_models.append(model)
        parent = getattr(cls, "parent", None)
        if parent and isinstance(parents, dict):
            children = parents.setdefault(parent, [])
            if name not in children:
                children.append(name)


def check(AP: ModuleType, name: str, cls: type) -> bool:
    mixin = AP.AnyModelProviderMixin
    return all(name in mixin.model_map.get(m, {}) and m in mixin.models for m in model_names(cls))
