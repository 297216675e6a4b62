"""Helpers the layer adapters share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["put_in", "model_names", "is_vision", "Providers"]

#: g4f name → what g4f should hold under it (a class or its stand-in).
Providers = Mapping[str, type]


def _name(obj: Any) -> Any:
    return getattr(obj, "__name__", obj)


def put_in(listing: list[Any], name: str, provider: Any) -> bool:
    """Put ``provider`` where ``listing`` has something called ``name``, else append it.

    In place and without changing the length when the name is there, so a
    caller iterating ``listing`` right now (g4f, while a stand-in is being
    replaced by its class) is not disturbed. Returns whether anything changed.
    """
    for index, item in enumerate(listing):
        if _name(item) == name:
            if item is provider:
                return False
            listing[index] = provider
            return True
    listing.append(provider)
    return True


def model_names(cls: type) -> list[str]:
    """Every model name a class answers to: its models and its aliases."""
    names = list(getattr(cls, "models", None) or [])
    for alias in getattr(cls, "model_aliases", None) or {}:
        if alias not in names:
            names.append(alias)
    return names


def is_vision(cls: type, model: str) -> bool:
    return model in (getattr(cls, "vision_models", None) or [])
