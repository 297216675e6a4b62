"""g4f's web front end in Chromium, as a person uses it, answering through our providers.

Each test opens the chat page of a real ``g4f gui`` (see conftest.py), picks a
provider in the dropdown, types into the message box and presses Enter; the
answers come from the local test Spaces and are compared with what
tests/apps/fakemodel.py computes.  Screenshots land in each test's tmp dir;
with ``$G4FQS_SCREENSHOT_DIR`` set, the two README pictures are copied there.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from tests.apps.fakemodel import chatbot_view, pieces, qvq_answer, qwen2_answer
from tests.browser.chat import CDN_SCRIPTS

QVQ, QWEN2 = "Qwen_QVQ_72B", "Qwen_Qwen_2_72B"
DEFAULT_SYSTEM = "You are a helpful assistant."
QUOTA = "You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:01:05"
#: The page shows a status as "<label>: <status>"; ours are labelled "Space <host:port>"
#: (without a label the page would say "Reasoning 🧠", as if the model were thinking).
def status_label(url: str) -> str:
    return "Space " + url.split("://", 1)[1].rstrip("/") + ": "


def qwen2_text(text: str, pairs=()) -> str:
    # the Qwen2 test Space runs on Gradio 4 with a tuples chatbot
    return chatbot_view(qwen2_answer(text, list(pairs), DEFAULT_SYSTEM), 4, "tuples")


def waiting(url: str, position: int, of: int) -> re.Pattern:
    """The queue status, exactly; the ETA appears once the Space has timed a job."""
    return re.compile(re.escape(f"{status_label(url)}Waiting in the Space's queue: position {position} of {of}")
                      + r"(, about \d+ s)?")


def waited(url: str) -> re.Pattern:
    """The line that replaces the queue status once the answer starts."""
    return re.compile(re.escape(status_label(url)) + r"Waited (\d+(?:\.\d)?) s in the Space's queue")


def publish(shot: Path, name: str) -> None:
    """Save a screenshot for the README when ``$G4FQS_SCREENSHOT_DIR`` is set (128 colours: small)."""
    folder = os.environ.get("G4FQS_SCREENSHOT_DIR")
    if folder:
        from PIL import Image

        Path(folder).mkdir(parents=True, exist_ok=True)
        with Image.open(shot) as image:
            image.convert("RGB").quantize(colors=128).save(Path(folder) / name, optimize=True)


# -- a. both providers answer; the conversation's history reaches Qwen2 -----------------


def test_qvq_answers_in_the_page(chat):
    chat.pick(QVQ)
    chat.ask("What does a fox say?")
    answer = chat.last_answer()
    shot = chat.screenshot("qvq-answer")
    assert answer.text == qvq_answer(None, None, "What does a fox say?")
    assert answer.provider == "Qwen QVQ-72B with qwen-qvq-72b-preview"
    assert answer.status is None, answer  # nobody waited: no status line at all
    # the page ran on the two scripts from npm; nothing else left the machine
    assert sorted(set(chat.router.served)) == sorted(CDN_SCRIPTS), chat.router.served
    publish(shot, "gui-answer.png")


def test_qwen2_answers_and_gets_the_conversation_as_history(chat):
    chat.pick(QWEN2)
    first, second = "Name a bird.", "And a fish?"
    chat.ask(first)
    answer = chat.last_answer()
    assert answer.text == qwen2_text(first)
    assert answer.provider == "Qwen Qwen-2.72B with qwen-qwen2-72b-instruct"
    assert answer.status is None, answer
    chat.ask(second)
    follow_up = chat.last_answer()
    chat.screenshot("qwen2-follow-up")
    # one earlier turn, sent by the page as history: the Space echoes it
    assert follow_up.text == qwen2_text(second, [(first, answer.text)])
    assert chat.answer_count() == 2


# -- b. a busy Space: the waiting bubble shows the queue position, then the answer ---------


def test_waiting_bubble_shows_the_queue_position(chat, busy_qvq, browser_spaces):
    url = browser_spaces.qvq.url
    running = busy_qvq("Busy LONG:6000 DELAY:0.05")
    queued = busy_qvq("Queued LONG:6000 DELAY:0.05", queued=True)
    chat.pick(QVQ)
    asked = time.monotonic()
    chat.ask("Am I in a queue?")
    bubble = chat.wait_for_status(waiting(url, 2, 2))
    seen_waiting = time.monotonic()  # the call had begun by then
    shot = chat.screenshot("queue-position-2")
    assert bubble.text == "", bubble  # nothing but the status yet
    running.release()  # the other waiting caller starts: we move up
    bubble = chat.wait_for_status(waiting(url, 1, 1))
    chat.screenshot("queue-position-1")
    assert bubble.text == "", bubble
    releasing = time.monotonic()  # our job cannot start before this
    queued.release()
    answer = chat.last_answer()
    elapsed = time.monotonic() - asked
    done = chat.screenshot("queue-answer")
    assert answer.text == qvq_answer(None, None, "Am I in a queue?")
    # no stale position above the answer: the line says how long the call waited
    assert waited(url).fullmatch(answer.status), answer
    # (the figure is rounded to a tenth)
    assert releasing - seen_waiting - 0.05 <= float(waited(url).fullmatch(answer.status).group(1)) <= elapsed + 0.05, (
        answer, releasing - seen_waiting, elapsed)
    publish(shot, "gui-queue.png")
    publish(done, "gui-queue-answer.png")


# -- c. Stop during an answer stops the Space's generator -------------------------------------


def test_stop_cancels_the_job_on_the_space(chat, browser_spaces):
    prompt = "Stop me soon LONG:4000 DELAY:0.1"  # about 80 s if nobody stops it
    words = pieces(qvq_answer(None, None, prompt))
    chat.pick(QVQ)
    chat.ask(prompt)
    chat.wait_for_text(lambda text: len(text.split()) >= 8)
    chat.stop()
    stopped_at = time.time()
    at_stop = len(browser_spaces.progress("Stop me soon"))
    chat.screenshot("stopped")
    time.sleep(3.0)  # a generator still running makes ~30 more pieces meanwhile
    produced = browser_spaces.progress("Stop me soon")
    assert len(produced) >= 8, produced
    last = produced[-1]
    assert last["t"] - stopped_at < 2.0, (
        f"the Space's generator still ran {last['t'] - stopped_at:.1f} s after Stop "
        f"(piece {last['i']} of {len(words)})")
    # Reachable within the 3 s watched (one piece per 0.1 s): at most 2 s of pieces after Stop.
    assert len(produced) - at_stop < 20, (at_stop, len(produced))
    chat.wait_idle()
    assert not chat.generating()
    # the page keeps what had arrived, marked: a prefix of the answer, then " [aborted]"
    # (this front end may still append a piece it had already received after the mark)
    shown = chat.last_answer(wait=False).text
    before, mark, _ = shown.partition(" [aborted]")
    assert mark and len(before.split()) >= 8 and "".join(words).startswith(before), shown
    print(f"the generator's last piece came {last['t'] - stopped_at:+.2f} s after Stop")


# -- d. a failing Space: our plain message in the bubble ----------------------------------------


def test_quota_error_shows_the_plain_message(chat):
    chat.pick(QWEN2)
    chat.ask("ERROR:" + QUOTA)
    bubble = chat.wait_for_error()
    chat.screenshot("quota-error")
    assert bubble.error == f"An error occurred: SpaceQuotaError: {QUOTA}", bubble
    # a fresh browser also gets the page's error pop-up, with the same plain line
    popup = chat.page.inner_text(".error-popup")
    assert f"SpaceQuotaError: {QUOTA}" in popup, popup
    page_text = chat.page.inner_text("body")
    for leak in ("Traceback", 'File "', "gr.Error", "'You have exceeded"):
        assert leak not in page_text, leak
