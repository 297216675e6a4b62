"""Qwen QVQ-72B-preview: one image and a question, a long streamed answer."""
from __future__ import annotations

from typing import Any

from g4f.providers.helper import format_prompt

from ..space.config import Endpoint, SpaceConfig
from .base import GradioSpaceProvider
from .messages import check_messages

__all__ = ["Qwen_QVQ_72B"]


class Qwen_QVQ_72B(GradioSpaceProvider):
    """The Space's ``generate(image, text)``; the conversation is folded into the text."""

    label = "Qwen QVQ-72B"
    url = "https://qwen-qvq-72b-preview.hf.space"
    url_env = "G4F_QWEN_QVQ_72B_URL"
    api_name = "generate"
    accepts_images = True

    default_model = "qwen-qvq-72b-preview"
    default_vision_model = default_model
    model_aliases = {"qvq-72b": default_model}
    models = [default_model, "qvq-72b"]
    vision_models = [default_model, "qvq-72b"]

    @classmethod
    def prepare(cls, messages: list[dict[str, Any]]) -> str:
        return str(format_prompt(check_messages(messages)))

    @classmethod
    def build_data(
        cls, request: str, config: SpaceConfig, endpoint: Endpoint, image: dict[str, Any] | None
    ) -> list[Any]:
        data: list[Any] = [None] * len(endpoint.inputs)
        text_slot = next((i for i, c in enumerate(endpoint.inputs) if c.type == "textbox"), 1)
        image_slot = next((i for i, c in enumerate(endpoint.inputs) if c.type == "image"), 0)
        data[text_slot] = request
        data[image_slot] = image
        return data

    @classmethod
    def answer_node(cls, values: list[Any], endpoint: Endpoint) -> Any:
        return values[0] if values else ""
