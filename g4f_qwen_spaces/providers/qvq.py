"""Qwen QVQ-72B-preview: one image and a question, a long streamed answer."""
from __future__ import annotations

from typing import Any

from g4f.providers.helper import format_prompt

from ..space.config import Endpoint, SpaceConfig
from ..space.shape import EndpointShape
from .base import GradioSpaceProvider
from .messages import check_messages

__all__ = ["Qwen_QVQ_72B"]


class Qwen_QVQ_72B(GradioSpaceProvider):
    """The Space's ``generate(image, text)``; the conversation is folded into the text."""

    label = "Qwen QVQ-72B"
    url = "https://qwen-qvq-72b-preview.hf.space"
    url_env = "G4F_QWEN_QVQ_72B_URL"
    #: the 2024 app's ``generate(image, text)``; the answer's component kind is
    #: not in the public evidence, so a Markdown or a Textbox will do
    shape = EndpointShape("generate", inputs=(("image",), ("textbox",)), outputs=(("markdown", "textbox"),))
    api_name = shape.api_name
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
        return [image, request]  # the order of ``shape.inputs``, checked before

    @classmethod
    def answer_node(cls, values: list[Any], endpoint: Endpoint) -> Any:
        return values[0] if values else ""
