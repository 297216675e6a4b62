"""Test double of https://qwen-qvq-72b-preview.hf.space (image + question -> streamed answer).

Run: python tests/apps/qvq_space.py --port P [--delay S] [--max-size N]
     [--concurrency N] [--show-error] [--api-closed]

Dependencies: fn 0 = "clear" (unrelated), fn 1 = "generate" (the model), so a
client has to resolve the fn_index from api_name.  The answer is
``fakemodel.qvq_answer(basename(image), getsize(image), text)``, streamed as
cumulative strings, one piece (word) at a time; see fakemodel for commands.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradio as gr  # noqa: E402

import fakemodel  # noqa: E402
from _common import accepted, base_parser, launch, stream  # noqa: E402

ARGS = base_parser(__doc__.splitlines()[0]).parse_args()


def clear():
    return None, "", ""


def generate(image, text):
    text = text or ""
    cmds = fakemodel.parse_commands(text)
    if cmds["error"] is not None:
        raise gr.Error(cmds["error"])
    if image:
        name, size = os.path.basename(image), os.path.getsize(image)
    else:
        name = size = None
    answer = fakemodel.qvq_answer(name, size, text)
    yield from stream(answer, text, ARGS.delay)


with gr.Blocks(**accepted(gr.Blocks, title="QVQ-72B-Preview (test double)",
                          analytics_enabled=False)) as demo:
    gr.Markdown("# QVQ-72B-Preview (test double)")
    with gr.Row():
        image = gr.Image(type="filepath", label="Image")
        with gr.Column():
            text = gr.Textbox(label="Question")
            output = gr.Textbox(label="Answer")
    with gr.Row():
        clear_btn = gr.Button("Clear")
        submit_btn = gr.Button("Submit", variant="primary")
    clear_btn.click(clear, None, [image, text, output], api_name="clear")
    submit_btn.click(generate, [image, text], output, api_name="generate")


if __name__ == "__main__":
    launch(demo, ARGS)
