"""Faults from real Gradio 4/5/6 servers, g4f's retry layer, and load.

Servers come from ``gradio_server_factory`` (tests/conftest.py); the
ones this module needs are all started, in parallel, before its first test, so
no server start runs in the background while a test counts its sockets.
"""
from __future__ import annotations

import asyncio
import re
import time

import aiohttp
import pytest
from g4f.errors import RateLimitError, ResponseError

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.space import (
    CONFIG_CACHE,
    SpaceAppError,
    SpaceConnectionError,
    SpaceError,
    SpaceProtocolError,
    SpaceQuotaError,
)
from tests.apps.fakemodel import chatbot_view, pieces, qvq_answer, qwen2_answer
from tests.faultserver import QUOTA, Outcome, check_error, dead_port, run

QVQ, QWEN2 = "qvq_space", "qwen2_space"
TINY_QUEUE = (QVQ, "5", ("--max-size", "1", "--concurrency", "1"))
LOAD = (QVQ, "5", ("--concurrency", "200"))
SPECS = [
    (QVQ, "4", ()), (QVQ, "5", ()), (QVQ, "6", ()),
    (QVQ, "5", ("--show-error",)),
    (QWEN2, "4", ()), (QWEN2, "6", ()),
    TINY_QUEUE, LOAD,
]


def say(text: str) -> list:
    return [{"role": "user", "content": text}]


def expected(provider, text: str) -> str:
    if provider is Qwen_QVQ_72B:
        return qvq_answer(None, None, text)
    return chatbot_view(qwen2_answer(text, [], "You are a helpful assistant."))


# -- ZeroGPU quota ------------------------------------------------------------------


@pytest.mark.parametrize("app, version", [(QVQ, "4"), (QVQ, "5"), (QVQ, "6"), (QWEN2, "4"), (QWEN2, "6")])
async def test_zerogpu_quota_from_gr_error(use, app, version):
    server, provider = use(app, version)
    outcome = await run(provider, say("ERROR:" + QUOTA))
    error = check_error(outcome, RateLimitError, SpaceQuotaError, "exceeded your GPU quota", within=5)
    assert error.retry_after == 65
    assert str(error) == QUOTA  # Gradio 4's quotes are gone, nothing added
    assert outcome.chunks == []


@pytest.mark.parametrize("version", ["4", "5", "6"])
async def test_plain_gr_error_carries_the_message(use, version):
    server, provider = use(QVQ, version)
    outcome = await run(provider, say("ERROR:The image is too dark to read."))
    check_error(outcome, ResponseError, SpaceAppError, "The image is too dark to read.", within=5)
    assert not isinstance(outcome.error, RateLimitError)
    assert str(outcome.error) == "The image is too dark to read."


# -- crash mid-stream ---------------------------------------------------------------


@pytest.mark.parametrize("version, args, words", [
    ("4", (), "without a message"),
    ("5", (), "without a message"),
    ("6", (), "without a message"),
    ("5", ("--show-error",), "boom"),
])
async def test_crash_mid_stream_keeps_the_text(use, version, args, words):
    server, provider = use(QVQ, version, *args)
    prompt = "Count CRASH_AFTER:4 DELAY:0.1"
    outcome = await run(provider, say(prompt))
    check_error(outcome, ResponseError, SpaceAppError, words, within=10)
    assert outcome.text == "".join(pieces(qvq_answer(None, None, prompt))[:4])


async def test_server_killed_mid_stream(gradio_server_factory, socket_baseline, monkeypatch):
    server = gradio_server_factory.fresh(QVQ, "5")
    CONFIG_CACHE.invalidate(server.url)
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, server.url)
    prompt = "Go LONG:3000 DELAY:0.05"
    answer = qvq_answer(None, None, prompt)
    outcome = Outcome()
    killed_at = None

    async def consume() -> None:
        nonlocal killed_at
        async for chunk in Qwen_QVQ_72B.create_async_generator("", say(prompt)):
            outcome.chunks.append(chunk)
            if len(outcome.chunks) == 3:
                await asyncio.to_thread(server.kill)
                killed_at = time.monotonic()

    try:
        await asyncio.wait_for(consume(), 30)
    except ResponseError as error:
        outcome.error = error
    finally:
        server.stop()
    assert killed_at is not None
    error = check_error(outcome, ResponseError, SpaceError)
    # A killed server resets the connection, or closes it first: either is a plain, exact message.
    if isinstance(error, SpaceConnectionError):
        assert str(error).startswith(f"Cannot reach the Space at {server.url}: "), str(error)
    else:
        assert isinstance(error, SpaceProtocolError), type(error).__mro__
        assert str(error) == f"The Space at {server.url} closed the stream before the answer was complete"
    assert time.monotonic() - killed_at < 3.0
    assert len(outcome.chunks) >= 3
    assert answer.startswith(outcome.text) and len(outcome.text) < len(answer)


# -- a tiny queue: full, waiting, progress --------------------------------------------


async def queue_size(server) -> int:
    prefix = "" if server.major == "4" else "/gradio_api"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}{prefix}/queue/status") as response:
            return (await response.json())["queue_size"]


async def wait_until(predicate, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Blocker:
    """A long job occupying the server's only worker until ``release()`` cancels it."""

    def __init__(self, provider) -> None:
        self.provider = provider
        self.started = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for _ in self.provider.create_async_generator("", say("Block LONG:5000 DELAY:0.05")):
            self.started.set()

    async def release(self) -> None:
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


async def test_tiny_queue_full_waiting_and_progress(use):
    from g4f.providers.response import Reasoning

    server, provider = use(*TINY_QUEUE[:2], *TINY_QUEUE[2])
    blocker = Blocker(provider)
    try:
        await asyncio.wait_for(blocker.started.wait(), 15)
        # B waits in the queue and, streaming, sees its position.
        waiting: list = []
        seen_position = asyncio.Event()

        async def second() -> None:
            async for chunk in provider.create_async_generator("", say("Second"), stream=True):
                waiting.append(chunk)
                if isinstance(chunk, Reasoning) and "position" in str(chunk.status):
                    seen_position.set()

        task_b = asyncio.create_task(second())
        await asyncio.wait_for(seen_position.wait(), 15)
        # C finds the queue full.
        outcome = await run(provider, say("Third"))
        error = check_error(outcome, RateLimitError, SpaceQuotaError, "Queue is full", within=3)
        assert error.retry_after is None
    finally:
        await blocker.release()
    await asyncio.wait_for(task_b, 20)
    statuses = [c.status for c in waiting if isinstance(c, Reasoning)]
    assert any(re.search(r": position 1 of \d+(,|$)", s) for s in statuses), statuses  # not "position 10"
    texts = [c for c in waiting if isinstance(c, str)]
    assert "".join(texts) == expected(provider, "Second")
    assert not any("queue" in t.lower() for t in texts)
    first_text = next(i for i, c in enumerate(waiting) if isinstance(c, str))
    assert all(isinstance(c, Reasoning) for c in waiting[:first_text])


@pytest.mark.parametrize("api", ["ChatCompletion", "Client"])
async def test_queued_non_streaming_answer_has_no_status_text(use, api, monkeypatch):
    """The job really waits (the provider sees its queue position), yet no status reaches the text."""
    import g4f
    from g4f.client import Client

    from g4f_qwen_spaces.space.queue import Completed, Generating

    server, provider = use(*TINY_QUEUE[:2], *TINY_QUEUE[2])
    chunks = provider._chunks
    seen: list = []  # (queue update, what the provider made of it)

    def spy(tracker, update, endpoint, waits, label):
        result = chunks(tracker, update, endpoint, waits, label)
        if not isinstance(update, (Generating, Completed)):
            seen.append((update, result))
        return result

    monkeypatch.setattr(provider, "_chunks", spy)
    blocker = Blocker(provider)
    try:
        await asyncio.wait_for(blocker.started.wait(), 15)
        seen.clear()  # the blocker's own (streaming) updates

        def ask() -> str:
            if api == "ChatCompletion":
                return g4f.ChatCompletion.create(model="qvq-72b", provider=provider,
                                                 messages=say("Waiting"), stream=False)
            response = Client().chat.completions.create(model="qvq-72b", provider=provider,
                                                        messages=say("Waiting"))
            return response.choices[0].message.content

        answer = asyncio.create_task(asyncio.to_thread(ask))

        async def positioned() -> bool:
            return any(re.search(r": position 1 of 1(,|$)", update.describe()) for update, _ in seen)

        await wait_until(positioned, 15, "the waiting request to get its queue position")
    finally:
        await blocker.release()
    text = await asyncio.wait_for(answer, 20)
    assert text == expected(provider, "Waiting")
    assert seen and [result for _, result in seen] == [[]] * len(seen)


# -- cancellation stops the Space ------------------------------------------------------


@pytest.mark.parametrize("how", ["break", "aclose", "task-cancel"])
async def test_stopping_early_stops_the_space(use, how):
    server, provider = use(*TINY_QUEUE[:2], *TINY_QUEUE[2])
    prompt = "Slow LONG:600 DELAY:0.2"  # about 24 s if nobody stops it
    chunks: list = []
    if how == "break":
        async for chunk in provider.create_async_generator("", say(prompt)):
            chunks.append(chunk)
            if len(chunks) == 2:
                break
    elif how == "aclose":
        generator = provider.create_async_generator("", say(prompt))
        chunks += [await generator.__anext__(), await generator.__anext__()]
        await generator.aclose()
    else:
        two = asyncio.Event()

        async def consume():
            async for chunk in provider.create_async_generator("", say(prompt)):
                chunks.append(chunk)
                if len(chunks) == 2:
                    two.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(two.wait(), 15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert "".join(chunks[:2]) == "".join(pieces(qvq_answer(None, None, prompt))[:2])
    # The server runs one job at a time: a second request only finishes
    # promptly if the first job was stopped.
    start = time.monotonic()
    outcome = await run(provider, say("Next"), guard=15)
    assert outcome.error is None, outcome.error
    assert outcome.text == expected(provider, "Next")
    assert time.monotonic() - start < 5.0


# -- g4f's retry layer -------------------------------------------------------------------


async def test_iterlist_provider_falls_over_to_qwen2(module_servers, socket_baseline, monkeypatch,
                                                    circuit_breaker, g4f_debug_log):
    from g4f.providers.retry_provider import IterListProvider

    qwen2 = module_servers[(QWEN2, "6", ())]
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, f"http://127.0.0.1:{dead_port()}")
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, qwen2.url)
    provider = IterListProvider([Qwen_QVQ_72B, Qwen_Qwen_2_72B], shuffle=False)
    chunks: list = []

    async def consume() -> None:
        async for chunk in provider.create_async_generator("", say("Hello")):
            chunks.append(chunk)

    await asyncio.wait_for(consume(), 30)
    text = "".join(c for c in chunks if isinstance(c, str))
    assert text == expected(Qwen_Qwen_2_72B, "Hello")
    assert provider.last_provider is Qwen_Qwen_2_72B
    # The first provider's failure is recorded: logged by every g4f version ...
    failures = [line for line in g4f_debug_log
                if line.startswith("Qwen_QVQ_72B") and "Cannot reach the Space" in line]
    assert len(failures) == 1, g4f_debug_log
    assert not any(line.startswith("Qwen_Qwen_2_72B") for line in g4f_debug_log), g4f_debug_log
    # ... and counted by g4f 8.8's circuit breaker.
    if circuit_breaker is not None:
        assert circuit_breaker._failures == {"Qwen_QVQ_72B": 1}


def test_g4f_chatcompletion_with_a_retry_provider(module_servers, socket_baseline, monkeypatch,
                                                  circuit_breaker, g4f_debug_log):
    import g4f
    from g4f.providers.retry_provider import IterListProvider

    qwen2 = module_servers[(QWEN2, "4", ())]
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, f"http://127.0.0.1:{dead_port()}")
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, qwen2.url)
    answer = g4f.ChatCompletion.create(
        model="", provider=IterListProvider([Qwen_QVQ_72B, Qwen_Qwen_2_72B], shuffle=False),
        messages=say("Hello"))
    assert answer == expected(Qwen_Qwen_2_72B, "Hello")
    assert any("Qwen_QVQ_72B" in line and "Cannot reach the Space" in line for line in g4f_debug_log), (
        g4f_debug_log)
    if circuit_breaker is not None:
        assert circuit_breaker._failures.get("Qwen_QVQ_72B") == 1
        assert "Qwen_Qwen_2_72B" not in circuit_breaker._failures


# -- load -------------------------------------------------------------------------------


async def test_load_100_concurrent_streams_3_rounds(use):
    server, provider = use(*LOAD[:2], *LOAD[2])
    start = time.monotonic()
    for round_ in range(3):
        prompts = [f"Load round {round_} stream {i} LONG:{200 + i}" for i in range(100)]
        outcomes = await asyncio.gather(*(run(provider, say(p), guard=60) for p in prompts))
        errors = [o.error for o in outcomes if o.error is not None]
        assert errors == [], errors[:3]
        for prompt, outcome in zip(prompts, outcomes):
            assert outcome.text == expected(provider, prompt), prompt
    assert time.monotonic() - start < 60
