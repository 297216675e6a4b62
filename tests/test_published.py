"""The two Spaces as published, on their own Gradio versions, through g4f.

Evidence (/work/shared/NOTES.md, "The two Spaces", "ZeroGPU wording",
"Installing the Spaces' own Gradio versions"): Qwen/Qwen2-72B-Instruct runs
Gradio 4.32.1 with the layout of tests/apps/qwen2_published.py (unnamed
events, hidden system Textbox, pair history, ``api_open=False``, no
``show_error``, a backend that refuses a turn without text);
Qwen/QVQ-72B-preview's 2024 app ran ``generate(image, text)`` on Gradio
5.9.1 (tests/apps/qvq_published.py). Also: a distinctive default system prompt
read from the Space, ``--api-closed`` on our own Qwen2 app, and gr.Error with
Gradio 5's ``title=`` for each ZeroGPU wording.
"""
from __future__ import annotations

import io

import g4f
import pytest
from g4f.errors import RateLimitError, ResponseError
from PIL import Image

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.providers.errors import G4F_CLASSES
from g4f_qwen_spaces.space import SpaceAppError, SpaceClient, SpaceQuotaError
from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer
from tests.faultserver import check_error, raised_by, run
from tests.servers import PUBLISHED
from tests.support import http
from tests.test_wording import ZEROGPU

PUBLISHED_SYSTEM = "Answer as a lighthouse keeper would."
OURS_SYSTEM = "Reply in the voice of a ship's cook."
QWEN2 = ("qwen2_published", PUBLISHED["qwen2"], ("--default-system", PUBLISHED_SYSTEM))
QVQ = ("qvq_published", PUBLISHED["qvq"], ())
API_CLOSED = ("qwen2_space", "4", ("--api-closed", "--default-system", OURS_SYSTEM))
SPECS = [QWEN2, QVQ, API_CLOSED]


@pytest.fixture
def point(module_servers, socket_baseline, monkeypatch):
    """``point(spec, provider)``: the provider's URL variable set to that server."""

    def to(spec, provider):
        server = module_servers[spec]
        monkeypatch.setenv(provider.url_env, server.url)
        return server

    return to


def said(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def published_view(query: str, pairs=(), system: str = PUBLISHED_SYSTEM) -> str:
    return chatbot_view(qwen2_answer(query, list(pairs), system), 4, "tuples")


# -- Qwen2 on 4.32.1 ----------------------------------------------------------------


def test_the_published_qwen2_layout(module_servers):
    """What the provider meets: unnamed events auto-named in order, a hidden system Textbox."""
    config = module_servers[QWEN2].config()
    assert config["version"] == "4.32.1" and "api_prefix" not in config
    names = [d["api_name"] for d in config["dependencies"]]
    assert names == ["model_chat", "model_chat_1", "clear_session", "modify_system_session"]
    components = {c["id"]: c for c in config["components"]}
    first = config["dependencies"][0]
    kinds = [components[i]["type"] for i in first["inputs"]], [components[i]["type"] for i in first["outputs"]]
    assert kinds == (["textbox", "chatbot", "textbox"], ["textbox", "chatbot", "textbox"])
    system_state = components[first["inputs"][2]]["props"]
    assert (system_state["visible"], system_state["value"]) == (False, PUBLISHED_SYSTEM)
    assert config["show_error"] is False
    assert components[first["targets"][0][0]]["props"]["label"] == "Input"  # textbox.submit


def test_the_published_qwen2_refuses_direct_posts(module_servers):
    """``queue(api_open=False)``: only the queue serves it."""
    response = http("POST", module_servers[QWEN2].url + "/run/model_chat", body=b'{"data": ["hi", [], "s"]}',
                    headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status == 404
    assert b"does not accept direct HTTP POST requests" in response.body


def test_g4f_answers_through_the_published_qwen2_with_its_default_system(point):
    point(QWEN2, Qwen_Qwen_2_72B)
    answer = g4f.ChatCompletion.create(provider=Qwen_Qwen_2_72B, model="qwen-2-72b", messages=said("Hello"))
    assert answer == published_view("Hello")
    assert answer.startswith(f"[system={PUBLISHED_SYSTEM}] ")


async def test_the_stand_in_backend_refuses_a_pair_without_text(point):
    """The old split_chat's ``(None, greeting)`` pair, sent as is: an error with no message."""
    server = point(QWEN2, Qwen_Qwen_2_72B)
    async with SpaceClient(server.url) as client:
        config, endpoint = await client.endpoint(Qwen_Qwen_2_72B.shape)
        job = await client.submit(config, endpoint, ["Hi", [[None, "Welcome aboard!"]], PUBLISHED_SYSTEM])
        error = await raised_by(job, SpaceAppError)
    assert str(error) == f"The Space at {server.url} failed without a message (the app hides its errors)"


ODD = {
    "leading-greeting": ([{"role": "assistant", "content": "Welcome aboard!"}, {"role": "user", "content": "Hi"}],
                         "Hi", [], PUBLISHED_SYSTEM),
    "two-user-turns": ([{"role": "user", "content": "Q1"}, {"role": "user", "content": "Q2"},
                        {"role": "assistant", "content": "A"}, {"role": "user", "content": "Q3"}],
                       "Q3", [("Q1\nQ2", "A")], PUBLISHED_SYSTEM),
    "two-assistant-turns": ([{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
                             {"role": "assistant", "content": "A2"}, {"role": "user", "content": "Q2"}],
                            "Q2", [("Q1", "A1\nA2")], PUBLISHED_SYSTEM),
    "empty-contents": ([{"role": "user", "content": "Q1"}, {"role": "assistant", "content": ""},
                        {"role": "assistant", "content": "A1"}, {"role": "user", "content": None},
                        {"role": "user", "content": "Q2"}],
                       "Q2", [("Q1", "A1")], PUBLISHED_SYSTEM),
    "unanswered-user-turn": ([{"role": "user", "content": "Q1"}, {"role": "user", "content": "Q2"}],
                             "Q1\nQ2", [], PUBLISHED_SYSTEM),
    "system-in-the-middle": ([{"role": "user", "content": "Q1"}, {"role": "system", "content": "Be brief."},
                              {"role": "assistant", "content": "A1"}, {"role": "system", "content": ""},
                              {"role": "user", "content": "Q2"}],
                             "Q2", [("Q1", "A1")], "Be brief."),
}


@pytest.mark.parametrize("case", list(ODD))
async def test_odd_histories_get_an_answer_not_the_backends_refusal(point, case):
    messages, query, pairs, system = ODD[case]
    point(QWEN2, Qwen_Qwen_2_72B)
    outcome = await run(Qwen_Qwen_2_72B, messages)
    assert outcome.error is None, outcome.error
    assert outcome.text == published_view(query, pairs, system)


# -- our Qwen2 app with --api-closed and a default of its own ----------------------------


def test_api_closed_our_app_serves_through_the_queue_only(point):
    server = point(API_CLOSED, Qwen_Qwen_2_72B)
    response = http("POST", server.url + "/run/model_chat", body=b'{"data": ["hi", [], "s"]}',
                    headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status == 404
    assert b"does not accept direct HTTP POST requests" in response.body
    answer = g4f.ChatCompletion.create(provider=Qwen_Qwen_2_72B, model="qwen-2-72b", messages=said("Ahoy"))
    assert answer == chatbot_view(qwen2_answer("Ahoy", [], OURS_SYSTEM), 4, "tuples")


# -- QVQ's 2024 app on 5.9.1 ---------------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (5, 4), (0, 128, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def test_g4f_answers_through_the_qvq_2024_app(point, module_servers):
    point(QVQ, Qwen_QVQ_72B)
    config = module_servers[QVQ].config()
    assert config["version"] == "5.9.1"
    answer = g4f.ChatCompletion.create(provider=Qwen_QVQ_72B, model="qvq-72b", messages=said("What is 7 × 6?"))
    assert answer == qvq_answer(None, None, "What is 7 × 6?")  # one message: g4f's prompt is its text


async def test_an_image_reaches_the_qvq_2024_app(point):
    point(QVQ, Qwen_QVQ_72B)
    image = png()
    outcome = await run(Qwen_QVQ_72B, said("What colour?"), media=[(image, "sea.png")])
    assert outcome.error is None, outcome.error
    assert outcome.text == qvq_answer("sea.png", len(image), "What colour?")


@pytest.mark.parametrize("message, retry_after", ZEROGPU, ids=[m[:24] for m, _ in ZEROGPU])
async def test_gradio5_titled_zerogpu_errors_are_rate_limits(point, message, retry_after):
    point(QVQ, Qwen_QVQ_72B)
    outcome = await run(Qwen_QVQ_72B, said(f"ERROR:{message}\nTITLE:ZeroGPU quota exceeded"))
    error = check_error(outcome, RateLimitError, SpaceQuotaError, within=10)
    assert str(error) == f"ZeroGPU quota exceeded: {message}"
    assert error.retry_after == retry_after


async def test_gradio5_default_title_adds_nothing(point):
    point(QVQ, Qwen_QVQ_72B)
    outcome = await run(Qwen_QVQ_72B, said("ERROR:The image is too dark"))
    error = check_error(outcome, ResponseError, SpaceAppError, within=10)
    assert type(error) is G4F_CLASSES[SpaceAppError] and str(error) == "The image is too dark"
