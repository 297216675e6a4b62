"""When a Space's app changes: the doctor says exactly what differs and what to do,
and the call's error says the same in one line.

Evidence: the QVQ Space was rewritten in 2025 on ``modelscope_studio``
(/work/shared/NOTES.md, "The two Spaces"); its new layout is unknown, so the
changed app here is the 2024 app re-wired (tests/apps/qvq_published.py
``--inputs``/``--output``) on the Space's Gradio 5.9.1, next to a fault server
whose ``generate`` was renamed, and the published Qwen2 app (which matches).
"""
from __future__ import annotations

import json

import pytest

from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B
from g4f_qwen_spaces.__main__ import main
from g4f_qwen_spaces.providers.errors import G4F_CLASSES
from g4f_qwen_spaces.space import SpaceChangedError
from tests.faultserver import run
from tests.servers import PUBLISHED

CHANGED = ("qvq_published", PUBLISHED["qvq"], ("--inputs", "textbox,textbox", "--output", "textbox"))
QWEN2 = ("qwen2_published", PUBLISHED["qwen2"], ("--default-system", "Answer as a lighthouse keeper would."))
SPECS = [CHANGED, QWEN2]

NEEDS = "generate(image, textbox) → markdown or textbox"
ADVICE = ("Set G4F_QWEN_QVQ_72B_URL to a copy that still serves it (a duplicate made before the change), "
          "or report it to g4f-qwen-spaces")


@pytest.fixture
def spaces(module_servers, fault, monkeypatch):
    """QVQ: the changed app, then a fault server without ``generate``; Qwen2: the published app."""
    fault.config["dependencies"][1]["api_name"] = "predict"
    changed, qwen2 = module_servers[CHANGED], module_servers[QWEN2]
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, f"{changed.url},{fault.url}")
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, qwen2.url)
    return changed, fault, qwen2


def block(out: str, provider: str) -> list[str]:
    """The doctor's lines about one provider's Space (from "  space" to the blank line)."""
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(provider + " ")))
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("  space "))
    end = next((i for i in range(first, len(lines)) if not lines[i]), len(lines))
    return lines[first:end]


def test_the_doctor_prints_what_differs_and_what_to_do(spaces, capsys):
    changed, fault, qwen2 = spaces
    assert main(["--timeout", "10"]) == 1
    out = capsys.readouterr().out
    assert block(out, "Qwen_QVQ_72B") == [
        f"  space          {changed.url}  (from G4F_QWEN_QVQ_72B_URL)",
        f"    copy         {changed.url}",
        "                 NOT OK: the app changed (Gradio 5.9.1)",
        f"                 needed: {NEEDS}",
        "                   - input 1 is a textbox, expected image",
        f"                 what you can do: {ADVICE}",
        f"    copy         {fault.url}",
        "                 NOT OK: the app changed (Gradio 5.49.1)",
        f"                 needed: {NEEDS}",
        "                   - no endpoint named 'generate' (api_names found: clear, predict)",
        f"                 what you can do: {ADVICE}",
    ]
    assert block(out, "Qwen_Qwen_2_72B") == [
        f"  space          {qwen2.url}  (from G4F_QWEN_QWEN_2_72B_URL)",
        "                 Gradio 4.32.1, endpoint model_chat (fn_index 0)",
    ]
    assert out.endswith("\nproblems found\n")


def test_the_doctor_json(spaces, capsys):
    changed, fault, qwen2 = spaces
    assert main(["--json", "--timeout", "10"]) == 1
    report = json.loads(capsys.readouterr().out)
    by_name = {p["g4f_name"]: p["space"] for p in report["providers"] if "g4f_name" in p}
    first = {
        "url": changed.url, "ok": False, "gradio": "5.9.1", "needs": NEEDS,
        "differences": ["input 1 is a textbox, expected image"], "advice": ADVICE,
        "error": f"SpaceChangedError: The Space at {changed.url} changed its app: input 1 is a textbox, "
                 f"expected image. Needed: {NEEDS}. {ADVICE}",
    }
    second = {
        "url": fault.url, "ok": False, "gradio": "5.49.1", "needs": NEEDS,
        "differences": ["no endpoint named 'generate' (api_names found: clear, predict)"], "advice": ADVICE,
        "error": f"SpaceChangedError: The Space at {fault.url} changed its app: no endpoint named 'generate' "
                 f"(api_names found: clear, predict). Needed: {NEEDS}. {ADVICE}",
    }
    assert by_name["Qwen_QVQ_72B"] == {
        "url": changed.url, "override": True, "env": "G4F_QWEN_QVQ_72B_URL",
        **{k: v for k, v in first.items() if k != "url"}, "copies": [first, second],
    }
    assert by_name["Qwen_Qwen_2_72B"] == {
        "url": qwen2.url, "override": True, "env": "G4F_QWEN_QWEN_2_72B_URL", "ok": True, "gradio": "4.32.1",
        "endpoint": "model_chat (fn_index 0)",
        "copies": [{"url": qwen2.url, "ok": True, "gradio": "4.32.1", "endpoint": "model_chat (fn_index 0)"}],
    }


async def test_the_call_says_the_same_in_one_line(module_servers, monkeypatch, socket_baseline):
    changed = module_servers[CHANGED]
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, changed.url)
    outcome = await run(Qwen_QVQ_72B)
    error = outcome.error
    assert type(error) is G4F_CLASSES[SpaceChangedError]
    assert str(error) == (f"The Space at {changed.url} changed its app: input 1 is a textbox, expected image. "
                          f"Needed: {NEEDS}. {ADVICE}")
    assert error.differences == ["input 1 is a textbox, expected image"]
    assert outcome.chunks == [] and outcome.elapsed < 10
