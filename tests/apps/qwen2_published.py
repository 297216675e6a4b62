"""Qwen/Qwen2-72B-Instruct as published (Gradio 4.32.1), with a stand-in for DashScope.

Run: python tests/apps/qwen2_published.py --port P [--delay S] [--default-system TEXT]

Laid out from the public evidence in /work/shared/NOTES.md ("The two Spaces"):
events in the published order and none with an ``api_name`` --
``textbox.submit(model_chat)`` (auto-named ``model_chat``), the Send button's
``model_chat`` (``model_chat_1``), ``clear_session``,
``modify_system_session``; inputs ``[textbox, chatbot, system_state]`` where
``system_state`` is a hidden Textbox; outputs ``[textbox, chatbot,
system_input]``; a tuples Chatbot (history as ``[user, assistant]`` pairs);
``concurrency_limit=40``; ``demo.queue(api_open=False)``; no ``show_error``.

The app hands every pair to its backend unchanged, like the real one hands
them to DashScope. The stand-in backend (:func:`dashscope_call`) refuses,
as DashScope does, a message whose content is not a non-empty string: it
raises a plain exception, which without ``show_error`` reaches the client as
an error with no message. Otherwise it streams
``fakemodel.qwen2_answer(query, pairs, system)`` (cumulative, like DashScope's
``result_format='message'`` stream).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradio as gr  # noqa: E402

import fakemodel  # noqa: E402
from _common import stream  # noqa: E402

_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_parser.add_argument("--port", type=int, required=True)
_parser.add_argument("--delay", type=float, default=0.005)
_parser.add_argument("--default-system", default="You are a helpful assistant.",
                     help="the app's default system prompt (the real one: the default)")
ARGS = _parser.parse_args()

default_system = ARGS.default_system


def dashscope_call(messages):
    """Stand-in for ``dashscope.Generation.call(..., stream=True)``."""
    for message in messages:
        content = message.get("content")
        if not isinstance(content, str) or not content:
            raise ValueError(
                "Request id: test, Status code: 400, error code: InvalidParameter, "
                f"error message: <400> content of {message['role']} must be a non-empty string"
            )
    system = messages[0]["content"]
    turns = messages[1:-1]
    pairs = [(q["content"], r["content"]) for q, r in zip(turns[0::2], turns[1::2])]
    query = messages[-1]["content"]
    yield from stream(fakemodel.qwen2_answer(query, pairs, system), query, ARGS.delay)


def clear_session():
    return "", []


def modify_system_session(system):
    if system is None or len(system) == 0:
        system = default_system
    return system, system, []


def history_to_messages(history, system):
    messages = [{"role": "system", "content": system}]
    for h in history:
        messages.append({"role": "user", "content": h[0]})
        messages.append({"role": "assistant", "content": h[1]})
    return messages


def messages_to_history(messages):
    assert messages[0]["role"] == "system"
    system = messages[0]["content"]
    history = []
    for q, r in zip(messages[1::2], messages[2::2]):
        history.append([q["content"], r["content"]])
    return system, history


def model_chat(query, history, system):
    if query is None:
        query = ""
    if history is None:
        history = []
    messages = history_to_messages(history, system)
    messages.append({"role": "user", "content": query})
    for response in dashscope_call(messages):
        system, history = messages_to_history(messages + [{"role": "assistant", "content": response}])
        yield "", history, system


with gr.Blocks(analytics_enabled=False) as demo:
    gr.Markdown("<center><font size=8>Qwen2-72B-instruct Chat Bot (published layout)</center>")
    with gr.Row():
        with gr.Column(scale=3):
            system_input = gr.Textbox(value=default_system, lines=1, label="System")
        with gr.Column(scale=1):
            modify_system = gr.Button("🛠️ Set system prompt and clear history", scale=2)
        system_state = gr.Textbox(value=default_system, visible=False)
    chatbot = gr.Chatbot(label="qwen2-72B-instruct")
    textbox = gr.Textbox(lines=1, label="Input")

    with gr.Row():
        clear_history = gr.Button("🧹 Clear history")
        sumbit = gr.Button("🚀 Send")

    textbox.submit(model_chat,
                   inputs=[textbox, chatbot, system_state],
                   outputs=[textbox, chatbot, system_input],
                   concurrency_limit=40)
    sumbit.click(model_chat,
                 inputs=[textbox, chatbot, system_state],
                 outputs=[textbox, chatbot, system_input],
                 concurrency_limit=40)
    clear_history.click(fn=clear_session, inputs=[], outputs=[textbox, chatbot])
    modify_system.click(fn=modify_system_session, inputs=[system_input],
                        outputs=[system_state, system_input, chatbot])

if __name__ == "__main__":
    demo.queue(api_open=False)
    demo.launch(server_name="127.0.0.1", server_port=ARGS.port, max_threads=40)
