"""Test double of https://qwen-qwen2-72b-instruct.hf.space (chat with a system prompt).

Run: python tests/apps/qwen2_space.py --port P [--chatbot-type tuples|messages]
     [--delay S] [--max-size N] [--concurrency N] [--show-error] [--api-closed]
     [--default-system TEXT]

Same components and events as the real Space; dependency order:
fn 0 modify_system_session, fn 1 clear_session, fn 2 model_chat
(api_name "model_chat"), fn 3 textbox.submit -> model_chat ("model_chat_1").
``model_chat(query, history, system)`` answers
``fakemodel.qwen2_answer(query, pairs(history), system)`` and yields
``("", history + [(query, partial)], system)`` after each piece, with the
history in the chatbot's own format.  Chatbot format: ``--chatbot-type``,
default "tuples" on Gradio < 6; Gradio 6 only has "messages" (content on the
wire is a list of parts ``[{"type": "text", "text": ...}]``).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradio as gr  # noqa: E402

import fakemodel  # noqa: E402
from _common import accepted, base_parser, gradio_major, launch, stream  # noqa: E402

_parser = base_parser(__doc__.splitlines()[0])
_parser.add_argument("--chatbot-type", choices=("tuples", "messages"), default=None)
_parser.add_argument("--default-system", default="You are a helpful assistant.",
                     help="the default system prompt (a distinctive one proves it is read from the Space)")
ARGS = _parser.parse_args()
if ARGS.chatbot_type is None:
    ARGS.chatbot_type = "messages" if gradio_major() >= 6 else "tuples"
if ARGS.chatbot_type == "tuples" and gradio_major() >= 6:
    _parser.error("Gradio 6 Chatbot only supports --chatbot-type messages")
CHATBOT_TYPE = ARGS.chatbot_type

default_system = ARGS.default_system


def _text(content) -> str:
    """Text of a message content in any format (str, parts list, part dict, file)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        if content.get("type") == "text" or "text" in content:
            return str(content.get("text") or "")
        return ""  # file / component message
    if isinstance(content, (list, tuple)):
        if all(isinstance(p, dict) for p in content):
            return "".join(_text(p) for p in content)
        return ""  # tuples-format file message: (path, alt_text)
    return str(content)


def history_to_pairs(history) -> list[tuple[str, str]]:
    """Normalise tuples / messages (str content) / messages (parts) to (user, assistant)."""
    pairs: list[tuple[str, str]] = []
    for item in history or []:
        if isinstance(item, dict):
            role, text = item.get("role"), _text(item.get("content"))
            if role == "user":
                pairs.append((text, ""))
            elif role == "assistant":
                if pairs and pairs[-1][1] == "":
                    pairs[-1] = (pairs[-1][0], text)
                else:
                    pairs.append(("", text))
        else:
            user, bot = (list(item) + [None, None])[:2]
            pairs.append((_text(user), _text(bot)))
    return pairs


def modify_system_session(system):
    if not system:
        system = default_system
    return system, system, []


def clear_session():
    return "", []


def model_chat(query, history, system):
    query = query or ""
    history = list(history or [])
    system = system or default_system
    cmds = fakemodel.parse_commands(query)
    if cmds["error"] is not None:
        raise gr.Error(cmds["error"])
    answer = fakemodel.qwen2_answer(query, history_to_pairs(history), system)
    for partial in stream(answer, query, ARGS.delay):
        if CHATBOT_TYPE == "tuples":
            new_history = history + [[query, partial]]
        else:
            new_history = history + [
                {"role": "user", "content": query},
                {"role": "assistant", "content": partial},
            ]
        yield "", new_history, system


with gr.Blocks(**accepted(gr.Blocks, title="Qwen2-72B-Instruct (test double)",
                          analytics_enabled=False)) as demo:
    gr.Markdown("<center><font size=8>Qwen2-72B-instruct Chat Bot (test double)</center>")
    with gr.Row():
        with gr.Column(scale=3):
            system_input = gr.Textbox(value=default_system, lines=1, label="System")
        with gr.Column(scale=1):
            modify_system = gr.Button("🛠️ Set system prompt and clear history", scale=2)
        system_state = gr.Textbox(value=default_system, visible=False)
    chatbot = gr.Chatbot(**accepted(gr.Chatbot, label="qwen2-72B-instruct",
                                    type=CHATBOT_TYPE))
    textbox = gr.Textbox(lines=1, label="Input")
    with gr.Row():
        clear_history = gr.Button("🧹 Clear history")
        submit = gr.Button("🚀 Send")

    modify_system.click(fn=modify_system_session, inputs=[system_input],
                        outputs=[system_state, system_input, chatbot])
    clear_history.click(fn=clear_session, inputs=[], outputs=[textbox, chatbot])
    submit.click(model_chat, inputs=[textbox, chatbot, system_state],
                 outputs=[textbox, chatbot, system_input], api_name="model_chat")
    textbox.submit(model_chat, inputs=[textbox, chatbot, system_state],
                   outputs=[textbox, chatbot, system_input])


if __name__ == "__main__":
    launch(demo, ARGS)
