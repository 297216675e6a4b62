"""What g4f reads from our providers before it calls them, without importing them.

The ``g4f.providers.metadata`` entry points name these mappings, so the
registry can put a stand-in for each provider into g4f (see
:mod:`g4f_qwen_spaces.registry.lazy`) and import the provider, the Space
client and aiohttp only on first use. This module imports nothing; a unit
test checks every value against the real classes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QWEN_QVQ_72B", "QWEN_QWEN_2_72B", "COMMON"]

#: g4f's flags shared by both (see ``providers.base.GradioSpaceProvider``).
COMMON: dict[str, Any] = {
    "parent": "HuggingSpace",
    "working": True,
    "supports_stream": True,
    "supports_system_message": True,
    "needs_auth": False,
    "hf_space": False,
}

QWEN_QVQ_72B: dict[str, Any] = {
    **COMMON,
    "label": "Qwen QVQ-72B",
    "url": "https://qwen-qvq-72b-preview.hf.space",
    "url_env": "G4F_QWEN_QVQ_72B_URL",
    "supports_message_history": False,
    "default_model": "qwen-qvq-72b-preview",
    "default_vision_model": "qwen-qvq-72b-preview",
    "model_aliases": {"qvq-72b": "qwen-qvq-72b-preview"},
    "models": ["qwen-qvq-72b-preview", "qvq-72b"],
    "vision_models": ["qwen-qvq-72b-preview", "qvq-72b"],
}

QWEN_QWEN_2_72B: dict[str, Any] = {
    **COMMON,
    "label": "Qwen Qwen-2.72B",
    "url": "https://qwen-qwen2-72b-instruct.hf.space",
    "url_env": "G4F_QWEN_QWEN_2_72B_URL",
    "supports_message_history": True,
    "default_model": "qwen-qwen2-72b-instruct",
    "default_vision_model": None,
    "model_aliases": {"qwen-2-72b": "qwen-qwen2-72b-instruct"},
    "models": ["qwen-qwen2-72b-instruct", "qwen-2-72b"],
    "vision_models": [],
}
