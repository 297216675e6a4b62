"""Entry-point discovery and registration of provider plugins into every g4f layer.

g4f has no plugin hook, so this module is one, for any package: each
installed distribution's ``g4f.providers`` entry points name provider classes,
and each class is registered where g4f looks for providers:

1. the provider registry (``g4f.Provider``, ``ProviderUtils.convert``),
2. the model list and routing (``g4f.models``), with a retry provider
3. so g4f's failover and circuit breaker see our failures,
4. the HuggingSpace aggregate, for classes whose ``parent`` is HuggingSpace,
5. AnyProvider's model map (client auto-routing, API ``/v1/models``),
6. the GUI backend's provider list.

g4f's registries changed shape across releases (0.6.4.3–7.5: eager dicts;
8.0: lazy names; 8.8: ``ProviderLoader``). Shapes are detected by their
attributes, read with ``vars()`` so nothing triggers g4f's lazy loading
(enumerating all providers would make g4f 8.8 download a list). Each layer
runs when its module has finished importing (see ``g4f_qwen_spaces_hook``);
nothing here writes to g4f's installed files.
"""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

import g4f_qwen_spaces_hook as hook

__all__ = ["GROUP", "PluginEntry", "discover", "activate", "register", "registered", "status"]

log = logging.getLogger("g4f_qwen_spaces")

GROUP = "g4f.providers"
HF_PARENT = "HuggingSpace"


@dataclass
class PluginEntry:
    """One ``g4f.providers`` entry point, loaded or not."""

    name: str
    value: str
    distribution: str
    provider: Optional[type] = None
    error: Optional[str] = None


# -- discovery ------------------------------------------------------------------


def selected_distributions() -> Optional[set]:
    """``G4F_LOAD_PLUGINS``: unset → all (None); empty → none; else those names."""
    value = os.environ.get(hook.ENV)
    if value is None:
        return None
    return {_canonical(name) for name in value.split(",") if name.strip()}


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def discover(load: bool = True) -> list[PluginEntry]:
    """Every installed ``g4f.providers`` entry point allowed by ``G4F_LOAD_PLUGINS``.

    A broken entry point is logged and reported with its error, never raised:
    one bad plugin must not break g4f. Only distributions that declare the
    group have their metadata read (this runs inside ``import g4f``).
    """
    from importlib.metadata import entry_points

    wanted = selected_distributions()
    entries: list[PluginEntry] = []
    seen: set = set()
    for point in entry_points(group=GROUP):
        if (point.name, point.value) in seen:
            continue
        seen.add((point.name, point.value))
        dist = getattr(point, "dist", None)
        dist_name = (dist.name if dist is not None else None) or "?"
        if wanted is not None and _canonical(dist_name) not in wanted:
            continue
        entry = PluginEntry(point.name, point.value, dist_name)
        if load:
            _load(entry, point)
        entries.append(entry)
    return entries


def _load(entry: PluginEntry, point: Any) -> None:
    module_name = point.value.split(":", 1)[0].strip()
    module = sys.modules.get(module_name)
    if module is not None and hook.initializing(module):
        # The plugin's module is importing g4f right now (it was imported
        # first): it is loaded on a later pass, once it has finished.
        entry.error = "pending: its module is still being imported"
        _pending.add((entry.name, entry.value))
        return
    try:
        provider = point.load()
    except Exception as error:  # noqa: BLE001 - a plugin's own bug
        entry.error = f"{type(error).__name__}: {error}"
        log.warning("Skipping g4f provider plugin %s (%s): %s", entry.name, entry.distribution, entry.error)
        return
    _pending.discard((entry.name, entry.value))
    if not isinstance(provider, type) or not (
        hasattr(provider, "create_async_generator") or hasattr(provider, "create_completion")
    ):
        entry.error = f"{entry.value} is not a g4f provider class"
        log.warning("Skipping g4f provider plugin %s (%s): %s", entry.name, entry.distribution, entry.error)
        return
    entry.provider = provider


# -- activation ---------------------------------------------------------------------

_providers: dict = {}  # name -> class, in registration order
_pending: set = set()  # entry points whose module was mid-import
_activating = False


def registered() -> dict:
    """The provider classes registered so far, by name."""
    return dict(_providers)


def activate() -> dict:
    """Discover plugins and register them into every g4f layer (idempotent)."""
    global _activating
    if _activating:  # a plugin's import re-entered us; the outer pass finishes
        return registered()
    _activating = True
    try:
        return register(entry.provider for entry in discover() if entry.provider is not None)
    finally:
        _activating = False


def register(providers: Iterable[type]) -> dict:
    """Register provider classes into the g4f layers loaded now, and the rest later."""
    for provider in providers:
        name = provider.__name__
        old = _providers.get(name)
        if old is not None and old is not provider:
            log.debug("Plugin provider %s replaced by %s", name, provider.__module__)
        _providers[name] = provider
    for module_name, layer in LAYERS:
        hook.when_imported(module_name, layer)
    return registered()


def _retry_pending() -> None:
    """Load entry points that were mid-import on an earlier pass."""
    if _pending and not _activating:
        activate()


# -- layer 1: provider registry ---------------------------------------------------


def _normalised(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def provider_layer(P: Any) -> None:
    _retry_pending()
    for name, cls in _providers.items():
        add_provider(P, name, cls)


def add_provider(P: Any, name: str, cls: type) -> None:
    names = vars(P)
    if "ProviderLoader" in names:  # g4f 8.8+
        loader = names["ProviderLoader"]
        if name not in loader.names:
            loader.names.append(name)
        loader.loaded[name] = cls
        loader.loaded[_normalised(name)] = cls
    elif "_provider_names" in names and "_loaded_providers" in names:  # g4f 8.0
        if name not in names["_provider_names"]:
            names["_provider_names"].append(name)
        names["_loaded_providers"][name] = cls
    elif isinstance(names.get("__map__"), dict) and isinstance(names.get("__providers__"), list):
        mapping, listing = names["__map__"], names["__providers__"]  # g4f ≤ 7.5
        old = mapping.get(name)
        if old is not None and old is not cls:
            log.debug("g4f ships its own %s; the installed plugin's class (%s) wins", name, cls.__module__)
        setattr(P, name, cls)
        mapping[name] = cls
        _replace_in(listing, old, cls)
    else:
        raise RuntimeError("unrecognised g4f.Provider registry; cannot register plugins")


def _replace_in(listing: list, old: Any, new: Any) -> None:
    if old is not None and old is not new and old in listing:
        listing[listing.index(old)] = new
    elif new not in listing:
        listing.append(new)


# -- layer 2 & 3: models and their retry provider ------------------------------------


def model_names(cls: type) -> list[str]:
    """Every model name a class answers to: its models and its aliases."""
    names = list(getattr(cls, "models", None) or [])
    for alias in getattr(cls, "model_aliases", None) or {}:
        if alias not in names:
            names.append(alias)
    return names


def _servers_by_model() -> dict:
    result: dict = {}
    for cls in _providers.values():
        for name in model_names(cls):
            result.setdefault(name, []).append(cls)
    return result


def _is_vision(cls: type, model: str) -> bool:
    return model in (getattr(cls, "vision_models", None) or [])


def models_layer(M: Any) -> None:
    from g4f.providers.retry_provider import IterListProvider

    for model_name, classes in _servers_by_model().items():
        registry = getattr(getattr(M, "ModelRegistry", None), "_models", {})
        model = registry.get(model_name) or M.ModelUtils.convert.get(model_name)
        if model is None:
            kind = M.VisionModel if any(_is_vision(c, model_name) for c in classes) else M.Model
            model = kind(
                name=model_name,
                base_provider="Hugging Face Space",
                best_provider=IterListProvider(list(classes), shuffle=False),
            )
        else:
            _prepend_providers(model, classes, IterListProvider)
        M.ModelUtils.convert[model_name] = model
        if isinstance(getattr(M, "__models__", None), dict):
            M.__models__[model_name] = (model, _provider_list(model))
        if isinstance(getattr(M, "_all_models", None), list) and model_name not in M._all_models:
            M._all_models.append(model_name)


def _prepend_providers(model: Any, classes: list, IterListProvider: type) -> None:
    """An existing g4f model: put ours first, keep g4f's providers as fallbacks."""
    best = model.best_provider
    if isinstance(best, IterListProvider):
        current = best.providers
        for cls in reversed(classes):
            existing = [p for p in current if getattr(p, "__name__", p) == cls.__name__]
            for p in existing:
                current.remove(p)
            current.insert(0, cls)
    else:
        model.best_provider = IterListProvider([*classes, *([best] if best else [])], shuffle=False)


def _provider_list(model: Any) -> list:
    best = model.best_provider
    return list(getattr(best, "providers", None) or ([best] if best else []))


# -- layer 4: the HuggingSpace aggregate ---------------------------------------------


def hf_space_layer(HS_module: Any) -> None:
    aggregate = getattr(HS_module, "HuggingSpace", None)
    if aggregate is None:
        return
    changed = False
    for name, cls in _providers.items():
        if getattr(cls, "parent", None) != HF_PARENT:
            continue
        old = vars(HS_module).get(name)
        if old is not None and old is not cls:
            log.debug("g4f's HuggingSpace ships its own %s; the installed plugin's class wins", name)
            setattr(HS_module, name, cls)
        before = list(aggregate.providers)
        _replace_in(aggregate.providers, old, cls)
        changed |= before != aggregate.providers
    if changed:
        aggregate.models = []  # g4f caches the union of its children's models
    for child in aggregate.providers:  # g4f 8.0.5 trips over a child's None aliases
        if getattr(child, "model_aliases", {}) is None:
            child.model_aliases = {}


# -- layer 5: AnyProvider (auto routing, API model list) -------------------------------


def any_provider_layer(AP: Any) -> None:
    mixin = getattr(AP, "AnyModelProviderMixin", None)
    if mixin is None:
        return
    parents = vars(AP).get("parents")
    for name, cls in _providers.items():
        for model_name in model_names(cls):
            target = (getattr(cls, "model_aliases", None) or {}).get(model_name, model_name)
            entries = mixin.model_map.get(model_name, {})
            mixin.model_map[model_name] = {name: target, **{k: v for k, v in entries.items() if k != name}}
            if model_name not in mixin.models:
                mixin.models.append(model_name)
            if _is_vision(cls, model_name) and model_name not in mixin.vision_models:
                mixin.vision_models.append(model_name)
        parent = getattr(cls, "parent", None)
        if parent and isinstance(parents, dict):
            children = parents.setdefault(parent, [])
            if name not in children:
                children.append(name)


# -- layer 6: the GUI backend -------------------------------------------------------------


def gui_entry(cls: type) -> dict:
    """A provider entry in the shape of g4f's own ``Api.get_providers``.

    ``hf_space`` is False on purpose: the GUI front end leaves providers with
    it out of the dropdown, and users must be able to pick ours by name.
    """
    return {
        "name": cls.__name__,
        "label": getattr(cls, "label", None) or cls.__name__,
        "parent": getattr(cls, "parent", None),
        "image": len(getattr(cls, "image_models", None) or []),
        "audio": len(getattr(cls, "audio_models", None) or []),
        "video": len(getattr(cls, "video_models", None) or []),
        "vision": getattr(cls, "default_vision_model", None) is not None,
        "nodriver": False,
        "hf_space": False,
        "active_by_default": bool(getattr(cls, "active_by_default", False)),
        "auth": bool(getattr(cls, "needs_auth", False)),
        "login_url": getattr(cls, "login_url", None),
        "live": getattr(cls, "live", 0),
        "login": hasattr(cls, "login"),
    }


def gui_layer(GA: Any) -> None:
    api = getattr(GA, "Api", None)
    if api is None:
        return
    raw = api.__dict__.get("get_providers")
    if raw is not None and not getattr(_unwrap(raw), "_g4f_plugins", False):
        api.get_providers = _wrapped_providers(raw)
    raw_models = api.__dict__.get("get_all_models")
    if raw_models is not None and not getattr(_unwrap(raw_models), "_g4f_plugins", False):
        api.get_all_models = _wrapped_all_models(raw_models)


def _unwrap(raw: Any) -> Any:
    return raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw


def _wrapped_providers(raw: Any) -> Any:
    original = _unwrap(raw)

    def get_providers(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not isinstance(result, list):
            return result
        ours = {name: gui_entry(cls) for name, cls in _providers.items() if getattr(cls, "working", True)}
        merged = [ours.pop(e.get("name"), e) if isinstance(e, dict) else e for e in result]
        return merged + list(ours.values())

    get_providers._g4f_plugins = True
    return staticmethod(get_providers) if isinstance(raw, staticmethod) else get_providers


def _wrapped_all_models(raw: Any) -> Any:
    original = _unwrap(raw)

    def get_all_models(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if isinstance(result, dict):
            result = dict(result)
            for name, cls in _providers.items():
                result[name] = list(cls.get_models())
        return result

    get_all_models._g4f_plugins = True
    if isinstance(raw, staticmethod):
        return staticmethod(get_all_models)
    if isinstance(raw, classmethod):
        return classmethod(get_all_models)
    return get_all_models


#: (module, layer function): each runs once its module has finished importing.
#: Order matters where g4f checks names: providers before AnyProvider's map.
LAYERS: tuple[tuple[str, Callable[[Any], None]], ...] = (
    ("g4f.Provider.hf_space", hf_space_layer),
    ("g4f.Provider", provider_layer),
    ("g4f.models", models_layer),
    ("g4f.providers.any_provider", any_provider_layer),
    ("g4f.gui.server.api", gui_layer),
)


# -- status (for the doctor) -------------------------------------------------------------


def status(name: str, cls: type) -> dict:
    """In which layers a provider is registered now (only loaded layers are asked)."""
    result: dict = {}
    P = sys.modules.get("g4f.Provider")
    if P is not None:
        convert = getattr(P, "ProviderUtils").convert
        result["provider"] = name in convert and convert[name] is cls and getattr(P, name) is cls
    M = sys.modules.get("g4f.models")
    if M is not None:
        result["models"] = all(
            cls in _provider_list(M.ModelUtils.convert[m]) if m in M.ModelUtils.convert else False
            for m in model_names(cls)
        )
    HS = sys.modules.get("g4f.Provider.hf_space")
    if HS is not None and getattr(cls, "parent", None) == HF_PARENT:
        result["hugging_space"] = cls in HS.HuggingSpace.providers
    AP = sys.modules.get("g4f.providers.any_provider")
    if AP is not None:
        mixin = AP.AnyModelProviderMixin
        result["any_provider"] = all(
            name in mixin.model_map.get(m, {}) and m in mixin.models for m in model_names(cls)
        )
    GA = sys.modules.get("g4f.gui.server.api")
    if GA is not None:
        result["gui"] = getattr(_unwrap(GA.Api.__dict__.get("get_providers")), "_g4f_plugins", False)
    return result
