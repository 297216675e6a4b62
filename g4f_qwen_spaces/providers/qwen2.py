"""Qwen2-72B-Instruct: a chat with native history and a system prompt."""
from __future__ import annotations

from typing import Any

from ..space.chat import answer_node, chatbot_format, history_value
from ..space.config import Endpoint, SpaceConfig
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
    api_name = "model_chat"
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
        query_in, history_in, system_in = _slots(endpoint)
        data: list[Any] = [None] * len(endpoint.inputs)
        data[query_in] = query
        chatbot = endpoint.inputs[history_in]
        data[history_in] = history_value(pairs, chatbot_format(chatbot, config.major))
        system_component = endpoint.inputs[system_in]
        if not system_component.is_state:  # a State slot is the server's: send null
            data[system_in] = system if system is not None else system_component.default
        return data

    @classmethod
    def answer_node(cls, values: list[Any], endpoint: Endpoint) -> Any:
        index = next((i for i, c in enumerate(endpoint.outputs) if c.type == "chatbot"), 1)
        return answer_node(values[index]) if len(values) > index else ""


def _slots(endpoint: Endpoint) -> tuple[int, int, int]:
    """Positions of (query, history, system) among the endpoint's inputs."""
    kinds = [c.type for c in endpoint.inputs]
    if len(kinds) != 3:
        from ..space.errors import SpaceProtocolError

        raise SpaceProtocolError(
            f"model_chat takes {len(kinds)} inputs; expected (query, history, system)"
        )
    history = kinds.index("chatbot") if "chatbot" in kinds else 1
    rest = [i for i in range(3) if i != history]
    return rest[0], history, rest[1]
