"""Helpers shared by the test Spaces (run under Gradio 4.44.1, 5.49.1, 6.31.0)."""

from __future__ import annotations

import argparse
import inspect
import json
import time

import fakemodel


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay", type=float, default=0.005,
                   help="seconds between streamed pieces (0 = no sleep)")
    p.add_argument("--max-size", type=int, default=None, help="queue max_size")
    p.add_argument("--concurrency", type=int, default=64,
                   help="queue default_concurrency_limit")
    p.add_argument("--show-error", action="store_true",
                   help="launch(show_error=True): plain exceptions reach the client")
    p.add_argument("--api-closed", action="store_true",
                   help="queue(api_open=False), like the real Qwen2 Space")
    p.add_argument("--progress-log", default=None,
                   help="append a JSON line per streamed piece (wall time, index, text) to this file")
    return p


#: set by :func:`launch` from ``--progress-log``
_PROGRESS_LOG: str | None = None


def _progress(index: int, text: str) -> None:
    """Record that the generator produced piece ``index`` (tests see when it stops)."""
    if _PROGRESS_LOG is None:
        return
    line = json.dumps({"t": time.time(), "i": index, "text": text[:200]})
    with open(_PROGRESS_LOG, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def accepted(func, **kwargs) -> dict:
    """Keep only the keyword arguments ``func`` accepts (kwargs differ by version)."""
    params = inspect.signature(func).parameters
    return {k: v for k, v in kwargs.items() if k in params}


def gradio_major() -> int:
    import gradio as gr

    return int(gr.__version__.split(".")[0])


def stream(answer: str, text: str, delay: float):
    """Yield the cumulative answer piece by piece, obeying the commands in ``text``.

    ``ERROR:`` is handled by the caller (it needs ``gr``); this handles
    SLEEP, DELAY and CRASH_AFTER.
    """
    cmds = fakemodel.parse_commands(text)
    if cmds["sleep"]:
        time.sleep(cmds["sleep"])
    if cmds["delay"] is not None:
        delay = cmds["delay"]
    crash_after = cmds["crash_after"]
    out = ""
    for i, piece in enumerate(fakemodel.pieces(answer)):
        if crash_after is not None and i >= crash_after:
            raise Exception("boom")
        if i and delay > 0:
            time.sleep(delay)
        out += piece
        _progress(i, text)
        yield out
    if crash_after is not None:
        raise Exception("boom")


def launch(demo, args) -> None:
    global _PROGRESS_LOG
    _PROGRESS_LOG = args.progress_log
    demo.queue(**accepted(
        demo.queue,
        max_size=args.max_size,
        default_concurrency_limit=args.concurrency,
        api_open=not args.api_closed,
    ))
    demo.launch(**accepted(
        demo.launch,
        server_name="127.0.0.1",
        server_port=args.port,
        show_error=args.show_error,
        prevent_thread_lock=False,
        share=False,
        inbrowser=False,
        ssr_mode=False,
    ))
