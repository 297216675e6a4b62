"""Qwen/QVQ-72B-preview's 2024 app (Gradio 5.9.1), with a stand-in for DashScope.

Run: python tests/apps/qvq_published.py --port P [--delay S] [--api-name NAME]
     [--inputs image,textbox] [--output markdown]

Evidence (/work/shared/NOTES.md, "The two Spaces"): the Space declared
``sdk_version: 5.9.1``; its 2024 app had ``generate(image, text)`` -> text
(g4f's old provider called ``/gradio_api/call/generate`` until May 2025). The
evidence does not show the kinds of its components beyond that: this app takes
a filepath ``Image`` and a ``Textbox`` and answers in a ``Markdown`` (a
``Textbox`` with ``--output textbox``); the provider accepts either. The app
was later rewritten on ``modelscope_studio`` (layout unknown).

``--api-name``, ``--inputs`` and ``--output`` re-wire the endpoint, standing for
a Space whose app changed (the doctor's and the call's "changed" report).

Commands in the text, besides fakemodel's: ``ERROR:<message>`` raises
``gr.Error(<message>, title=<title>)`` where ``<title>`` comes from a line
``TITLE:<title>`` (Gradio 5's default title "Error" when there is none).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradio as gr  # noqa: E402

import fakemodel  # noqa: E402
from _common import stream  # noqa: E402

_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_parser.add_argument("--port", type=int, required=True)
_parser.add_argument("--delay", type=float, default=0.005)
_parser.add_argument("--api-name", default="generate")
_parser.add_argument("--inputs", default="image,textbox")
_parser.add_argument("--output", choices=("markdown", "textbox"), default="markdown")
ARGS = _parser.parse_args()

_TITLE = re.compile(r"TITLE:([^\n]*)")


def generate(*values):
    image = next((v for v in values if isinstance(v, str) and os.path.isfile(v)), None)
    text = next((v for v in values if isinstance(v, str) and v is not image), "") or ""
    cmds = fakemodel.parse_commands(text)
    if cmds["error"] is not None:
        title = _TITLE.search(text)
        if title:
            raise gr.Error(cmds["error"], title=title.group(1).strip())
        raise gr.Error(cmds["error"])
    if image:
        name, size = os.path.basename(image), os.path.getsize(image)
    else:
        name = size = None
    yield from stream(fakemodel.qvq_answer(name, size, text), text, ARGS.delay)


_KINDS = {
    "image": lambda: gr.Image(type="filepath", label="Upload"),
    "textbox": lambda: gr.Textbox(label="Input your question"),
    "number": lambda: gr.Number(label="Temperature"),
}

with gr.Blocks(analytics_enabled=False) as demo:
    gr.HTML("<h1>QVQ-72B-Preview (2024 layout)</h1>")
    with gr.Row():
        with gr.Column():
            inputs = [_KINDS[kind]() for kind in ARGS.inputs.split(",")]
            with gr.Row():
                clear_btn = gr.ClearButton(inputs)
                submit_btn = gr.Button("Submit", variant="primary")
        with gr.Column():
            output = gr.Markdown() if ARGS.output == "markdown" else gr.Textbox(label="Output")
    submit_btn.click(fn=generate, inputs=inputs, outputs=output, api_name=ARGS.api_name)

if __name__ == "__main__":
    demo.queue()
    demo.launch(server_name="127.0.0.1", server_port=ARGS.port, ssr_mode=False)
