"""One client process of the latency rows: ``python latency_child.py MODE URL CALLS``.

MODE is ``ours`` (our provider through g4f's AsyncClient, one event loop),
``floor`` (raw aiohttp on one kept-alive session: queue/join + queue/data,
the stream read to its end) or ``gradio_client`` (one ``Client``). The
clock of each call starts at the call (for gradio_client's first call: at
``Client(url)``, which has to read the config first); imports come before.
Prints one JSON line: ``{"calls": [[first_chunk_s, last_chunk_s], ...], "text": last answer}``.
Standard library only at the top: the gradio_client mode runs in a Gradio venv.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time

PROMPT = "LONG:200 DELAY:0"


async def ours(url: str, calls: int) -> tuple[list, str]:
    import os

    import g4f.debug

    g4f.debug.version_check = False
    from g4f.client import AsyncClient

    from g4f_qwen_spaces import Qwen_QVQ_72B

    os.environ[Qwen_QVQ_72B.url_env] = url
    client = AsyncClient(provider=Qwen_QVQ_72B)
    times, text = [], ""
    for _ in range(calls):
        start = time.perf_counter()
        first, parts = None, []
        stream = client.chat.completions.create(
            model="qvq-72b", messages=[{"role": "user", "content": PROMPT}], stream=True
        )
        if asyncio.iscoroutine(stream):
            stream = await stream
        async for chunk in stream:
            content = chunk.choices[0].delta.content if chunk.choices else None
            if content:
                if first is None:
                    first = time.perf_counter() - start
                parts.append(content)
        times.append([first, time.perf_counter() - start])
        text = "".join(parts)
    return times, text


async def floor(url: str, calls: int) -> tuple[list, str]:
    import aiohttp

    times, text = [], ""
    async with aiohttp.ClientSession() as session:
        for _ in range(calls):
            start = time.perf_counter()
            first = last = None
            session_hash = secrets.token_hex(6)
            body = {"data": [None, PROMPT], "fn_index": 1, "session_hash": session_hash, "event_data": None}
            async with session.post(f"{url}/gradio_api/queue/join", json=body) as response:
                await response.json()
            async with session.get(f"{url}/gradio_api/queue/data", params={"session_hash": session_hash}) as response:
                async for line in response.content:  # to the end: the connection is reused
                    if not line.startswith(b"data: "):
                        continue
                    message = json.loads(line[6:])
                    kind = message.get("msg")
                    if kind == "process_generating" and first is None:
                        first = time.perf_counter() - start
                    elif kind == "process_completed":
                        last = time.perf_counter() - start
                        text = message["output"]["data"][0]
            times.append([first, last])
    return times, text


def gradio_client(url: str, calls: int) -> tuple[list, str]:
    from gradio_client import Client

    times, text = [], ""
    start = time.perf_counter()
    client = Client(url, verbose=False, download_files=False)
    for index in range(calls):
        if index:
            start = time.perf_counter()
        job = client.submit(None, PROMPT, api_name="/generate")
        first = None
        for output in job:
            if output and first is None:
                first = time.perf_counter() - start
        text = job.result()
        times.append([first, time.perf_counter() - start])
    client.close() if hasattr(client, "close") else None
    return times, text


def main() -> None:
    mode, url, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "gradio_client":
        times, text = gradio_client(url, calls)
    else:
        times, text = asyncio.run((ours if mode == "ours" else floor)(url, calls))
    print(json.dumps({"calls": times, "text": text}))


if __name__ == "__main__":
    main()
