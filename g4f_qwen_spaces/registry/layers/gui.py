"""Layer ``gui``: the GUI backend's provider and model lists (``g4f.gui.server.api.Api``).

g4f 8.0.5 caches the provider list on first call and 8.8.x serves a list
shipped inside the package, so a provider registered at run time is not
listed unless ``get_providers``/``get_all_models`` are wrapped. The
wrappers read the registry when called, so they always list what is
registered then.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from ._util import Providers

__all__ = ["register", "check", "gui_entry"]

MARK = "_g4f_plugins"


def gui_entry(cls: type) -> dict[str, Any]:
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


def _unwrap(raw: Any) -> Any:
    return raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw


def _rewrap(raw: Any, function: Callable[..., Any]) -> Any:
    setattr(function, MARK, True)
    if isinstance(raw, staticmethod):
        return staticmethod(function)
    if isinstance(raw, classmethod):
        return classmethod(function)
    return function


def _providers_wrapper(raw: Any, providers: Providers) -> Any:
    original = _unwrap(raw)

    def get_providers(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not isinstance(result, list):
            return result
        ours = {name: gui_entry(cls) for name, cls in providers.items() if getattr(cls, "working", True)}
        merged = [ours.pop(str(e.get("name")), e) if isinstance(e, dict) else e for e in result]
        return merged + list(ours.values())

    return _rewrap(raw, get_providers)


def _all_models_wrapper(raw: Any, providers: Providers) -> Any:
    original = _unwrap(raw)

    def get_all_models(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if isinstance(result, dict):
            result = dict(result)
            for name, cls in providers.items():
                result[name] = list(cls.get_models())  # type: ignore[attr-defined]
        return result

    return _rewrap(raw, get_all_models)


def register(GA: ModuleType, providers: Providers) -> None:
    api = getattr(GA, "Api", None)
    if api is None:
        return
    for attribute, wrapper in (("get_providers", _providers_wrapper), ("get_all_models", _all_models_wrapper)):
        raw = api.__dict__.get(attribute)
        if raw is not None and not getattr(_unwrap(raw), MARK, False):
            setattr(api, attribute, wrapper(raw, providers))


def check(GA: ModuleType, name: str, cls: type) -> bool:
    return bool(getattr(_unwrap(GA.Api.__dict__.get("get_providers")), MARK, False))
