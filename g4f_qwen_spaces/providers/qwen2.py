"""Qwen2-72B-Instruct: a chat with native history and a system prompt."""
from __future__ import annotations

from typing import Any

from ..space.chat import answer_node, chatbot_format, history_value
from ..space.config import Endpoint, SpaceConfig
from ..space.shape import EndpointShape
from .base import GradioSpaceProvider
from .messages import check_messages, split_chat

__all__ = ["Qwen_Qwen_2_72B"]

#: (query, earlier turns as (user, assistant) pairs, system prompt)
Chat = tuple[str, list[tuple[str, str]], str | None]


class Qwen_Qwen_2_72B(GradioSpaceProvider):
    """The Space's ``model_chat(query, history, system)`` → (textbox, chatbot, system).

    Earlier turns go as the Chatbot's own history; without a system message
    the Space's default system prompt (from its config) is sent.
    """

    label = "Qwen Qwen-2.72B"
    url = "https://qwen-qwen2-72b-instruct.hf.space"
    url_env = "G4F_QWEN_QWEN_2_72B_URL"
    #: the published app's ``model_chat`` (``textbox.submit``, auto-named):
    #: query, history, system prompt (a hidden Textbox; a State is the server's)
    shape = EndpointShape(
        "model_chat",
        inputs=(("textbox",), ("chatbot",), ("textbox", "state")),
        outputs=(("textbox",), ("chatbot",), ("textbox", "state")),
    )
    api_name = shape.api_name
    supports_message_history = True

    default_model = "qwen-qwen2-72b-instruct"
    model_aliases = {"qwen-2-72b": default_model}
    models = [default_model, "qwen-2-72b"]

    @classmethod
    def prepare(cls, messages: list[dict[str, Any]]) -> Chat:
        return split_chat(check_messages(messages))

    @classmethod
    def build_data(
        cls, request: Chat, config: SpaceConfig, endpoint: Endpoint, image: dict[str, Any] | None
    ) -> list[Any]:
        query, pairs, system = request
        # the order of ``shape.inputs``, checked before
        _, chatbot, system_component = endpoint.inputs
        history = history_value(pairs, chatbot_format(chatbot, config.major))
        if system_component.is_state:  # a State slot is the server's: send null
            return [query, history, None]
        return [query, history, system if system is not None else system_component.default]

    @classmethod
    def answer_node(cls, values: list[Any], endpoint: Endpoint) -> Any:
        return answer_node(values[1]) if len(values) > 1 else ""  # the chatbot (shape.outputs)

