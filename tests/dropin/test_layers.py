"""The wheel, installed next to g4f, shows up in every g4f layer without being imported.

Each test runs scripts (or g4f's own console script and servers) in a fresh
venv holding only ``pip install <wheel> g4f[api,gui]==<version>``; the scripts
never import ``g4f_qwen_spaces``.  Answers come from real Gradio servers
(QVQ app on Gradio 5, Qwen2 app on Gradio 4) and are compared exactly with
what tests/apps/fakemodel.py computes.
"""
from __future__ import annotations

import json

import pytest

from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer
from tests.dropin.harness import (
    QVQ_URL_ENV,
    closed_port_url,
    multipart,
    parse_gui_stream,
    parse_sse_chat,
    run_in_venv,
    run_json,
    tiny_png,
)

QVQ, QWEN2 = "Qwen_QVQ_72B", "Qwen_Qwen_2_72B"
DEFAULT_SYSTEM = "You are a helpful assistant."
#: pieces 30 ms apart arrive in separate reads, so a chunk count proves streaming
SLOW = " DELAY:0.03"


def qvq_text(text: str, image: tuple | None = None) -> str:
    return qvq_answer(image[0] if image else None, image[1] if image else None, text)


def qwen2_text(text: str) -> str:
    # Qwen2 app on Gradio 4 with a tuples chatbot (see the spaces fixture)
    return chatbot_view(qwen2_answer(text, [], DEFAULT_SYSTEM), 4, "tuples")


def user(text: str) -> list:
    return [{"role": "user", "content": text}]


# -- 1. provider lookup ------------------------------------------------------------


def test_provider_lookup_by_name(dropin_venv, spaces):
    out = run_json(dropin_venv, """
        import g4f.Provider as P
        from g4f.Provider import ProviderUtils
        from g4f.providers.retry_provider import IterListProvider
        result = {"shape": "loader" if "ProviderLoader" in vars(P) else
                  "lazy" if "_provider_names" in vars(P) else "eager"}
        for name in ("Qwen_QVQ_72B", "Qwen_Qwen_2_72B"):
            cls = getattr(P, name)
            convert = ProviderUtils.convert
            info = {
                "module": cls.__module__,
                "getattr_is_convert": convert[name] is cls,
                "in_convert": name in convert,
                "in_keys": name in list(convert.keys()),
                "in_providers": cls in P.__providers__,
                "same_name_in_providers": [p.__name__ for p in P.__providers__].count(name),
                "hf_space": getattr(cls, "hf_space", None),
                "working": cls.working,
            }
            if result["shape"] == "loader":
                info["normalised"] = [convert[n] is cls for n in (name.lower(), name.lower().replace("_", ""))]
            result[name] = info
        result["qvq"] = g4f.ChatCompletion.create(provider="Qwen_QVQ_72B", model="qvq-72b",
                                                 messages=[{"role": "user", "content": "Name a fox."}])
        result["qwen2"] = g4f.ChatCompletion.create(provider="Qwen_Qwen_2_72B", model="qwen-2-72b",
                                                   messages=[{"role": "user", "content": "Name a hen."}])
        emit(result)
    """, spaces.env)
    for name in (QVQ, QWEN2):
        info = out[name]
        assert info["module"].startswith("g4f_qwen_spaces"), info  # ours, also where g4f ships its own
        assert info["getattr_is_convert"] and info["in_convert"] and info["in_keys"], info
        assert info["in_providers"] and info["same_name_in_providers"] == 1, info
        assert info["hf_space"] is not True, info
        assert info["working"] is True, info
        if out["shape"] == "loader":
            assert info["normalised"] == [True, True], info
    assert out["qvq"] == qvq_text("Name a fox.")
    assert out["qwen2"] == qwen2_text("Name a hen.")


# -- 2. model routing with no provider ------------------------------------------------


def test_model_routing_without_provider(dropin_venv, spaces):
    out = run_json(dropin_venv, """
        import g4f.models as M
        from g4f.client import Client
        from g4f.providers.any_provider import AnyProvider, AnyModelProviderMixin as Mix
        result = {
            "cc_qvq": g4f.ChatCompletion.create(model="qvq-72b", messages=[{"role": "user", "content": "Route me."}]),
            "cc_qwen2": g4f.ChatCompletion.create(model="qwen-2-72b", messages=[{"role": "user", "content": "Route me too."}]),
        }
        client = Client()
        for key, model, text in (("client_qvq", "qvq-72b", "Auto?"), ("client_qwen2", "qwen-2-72b", "Auto 2?")):
            r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
            result[key] = {"content": r.choices[0].message.content, "provider": r.provider}
        result["in_models"] = {m: m in M.__models__ for m in ("qvq-72b", "qwen-2-72b")}
        result["in_convert"] = {m: m in M.ModelUtils.convert for m in ("qvq-72b", "qwen-2-72b")}
        result["model_map"] = {m: dict(Mix.model_map.get(m, {})) for m in ("qvq-72b", "qwen-2-72b")}
        result["any_models"] = [m for m in AnyProvider.get_models() if m in ("qvq-72b", "qwen-2-72b")]
        result["vision"] = "qvq-72b" in Mix.vision_models
        emit(result)
    """, spaces.env)
    assert out["cc_qvq"] == qvq_text("Route me.")
    assert out["cc_qwen2"] == qwen2_text("Route me too.")
    assert out["client_qvq"] == {"content": qvq_text("Auto?"), "provider": QVQ}
    assert out["client_qwen2"]["content"] == qwen2_text("Auto 2?")
    # g4f's own model map lists "HuggingSpace" for qwen-2-72b, and g4f <= 7.5
    # shuffles the candidates: the aggregate then answers through our class.
    assert out["client_qwen2"]["provider"] in (QWEN2, "HuggingSpace"), out["client_qwen2"]
    assert out["in_models"] == {"qvq-72b": True, "qwen-2-72b": True}
    assert out["in_convert"] == {"qvq-72b": True, "qwen-2-72b": True}
    assert QVQ in out["model_map"]["qvq-72b"], out["model_map"]
    assert QWEN2 in out["model_map"]["qwen-2-72b"], out["model_map"]
    assert sorted(out["any_models"]) == ["qvq-72b", "qwen-2-72b"]
    assert out["vision"] is True


# -- 3. retry layers -------------------------------------------------------------------


def test_models_use_a_retry_provider_with_our_classes(dropin_venv, spaces):
    out = run_json(dropin_venv, """
        import g4f.models as M
        import g4f.Provider as P
        from g4f.providers.retry_provider import IterListProvider
        result = {}
        for model, name in (("qvq-72b", "Qwen_QVQ_72B"), ("qwen-2-72b", "Qwen_Qwen_2_72B")):
            best = M.ModelUtils.convert[model].best_provider
            result[model] = {"type": type(best).__name__, "is_iterlist": isinstance(best, IterListProvider),
                             "ours_in": getattr(P, name) in getattr(best, "providers", [])}
        emit(result)
    """, spaces.env)
    for model in ("qvq-72b", "qwen-2-72b"):
        assert out[model]["is_iterlist"] and out[model]["ours_in"], out


def test_iterlist_fails_over_to_the_second_provider(dropin_venv, spaces):
    """QVQ's Space is down (connection refused): the retry provider answers from Qwen2."""
    env = {**spaces.env, QVQ_URL_ENV: closed_port_url()}
    out = run_json(dropin_venv, """
        import asyncio
        import g4f.Provider as P
        from g4f.providers.retry_provider import IterListProvider
        def retry():
            return IterListProvider([P.Qwen_QVQ_72B, P.Qwen_Qwen_2_72B], shuffle=False)
        result = {"sync": g4f.ChatCompletion.create(model="", provider=retry(),
                                                    messages=[{"role": "user", "content": "Fail over, sync."}])}
        async def main():
            return await g4f.ChatCompletion.create_async(model="", provider=retry(),
                                                         messages=[{"role": "user", "content": "Fail over, async."}])
        result["async"] = asyncio.run(main())
        emit(result)
    """, env)
    assert out["sync"] == qwen2_text("Fail over, sync.")
    assert out["async"] == qwen2_text("Fail over, async.")


# -- 4. HuggingSpace aggregate --------------------------------------------------------------


def test_hugging_space_aggregate(dropin_venv, spaces):
    out = run_json(dropin_venv, """
        import g4f.Provider as P
        from g4f.Provider import HuggingSpace
        ours = [P.Qwen_QVQ_72B, P.Qwen_Qwen_2_72B]
        result = {
            "children": [c in HuggingSpace.providers for c in ours],
            "same_name": [[c.__name__ for c in HuggingSpace.providers].count(c.__name__) for c in ours],
            "hf_space": [getattr(c, "hf_space", None) for c in ours],
            "models": [m in HuggingSpace.get_models() for m in ("qvq-72b", "qwen-2-72b")],
            "qvq": g4f.ChatCompletion.create(provider="HuggingSpace", model="qvq-72b",
                                             messages=[{"role": "user", "content": "Via the aggregate."}]),
            "qwen2": g4f.ChatCompletion.create(provider="HuggingSpace", model="qwen-2-72b",
                                               messages=[{"role": "user", "content": "Via the aggregate too."}]),
        }
        emit(result)
    """, spaces.env)
    assert out["children"] == [True, True]
    assert out["same_name"] == [1, 1]
    assert True not in out["hf_space"], out["hf_space"]
    assert out["models"] == [True, True]
    assert out["qvq"] == qvq_text("Via the aggregate.")
    assert out["qwen2"] == qwen2_text("Via the aggregate too.")


# -- 5. GUI backend (g4f gui) --------------------------------------------------------------------


def test_gui_lists_our_providers(gui):
    entries = gui.expect(gui.get("/backend-api/v2/providers")).json()
    ours = {e["name"]: e for e in entries if isinstance(e, dict) and e.get("name") in (QVQ, QWEN2)}
    assert sorted(ours) == [QVQ, QWEN2], [e.get("name") for e in entries]
    for entry in ours.values():
        assert entry["hf_space"] is False, entry  # else the GUI front end hides it
    assert sum(1 for e in entries if isinstance(e, dict) and e.get("name") == QVQ) == 1


def test_gui_lists_provider_models(gui):
    for provider, model in ((QVQ, "qvq-72b"), (QWEN2, "qwen-2-72b")):
        listed = gui.expect(gui.get(f"/backend-api/v2/models/{provider}")).json()
        # "model" up to 0.6.4.3, "id" from 7.x on
        names = [m.get("id", m.get("model")) if isinstance(m, dict) else m for m in listed]
        assert model in names, listed


def _gui_conversation(gui, body: dict, files=()):
    if files:
        data, ctype = multipart({"json": json.dumps(body)}, files)
        response = gui.post("/backend-api/v2/conversation", data, headers={"Content-Type": ctype})
    else:
        response = gui.post("/backend-api/v2/conversation", body)
    stream = parse_gui_stream(gui.expect(response).text)
    assert not stream.errors, f"{stream.errors}\n--- log tail ---\n{gui.log_tail()}"
    return stream


def test_gui_conversation_with_an_uploaded_image(gui):
    png = tiny_png()
    body = {"model": "qvq-72b", "provider": QVQ, "messages": user("What is in this picture?"),
            "conversation_id": "dropin-1", "id": "m1"}
    stream = _gui_conversation(gui, body, [("files", "photo.png", png, "image/png")])
    assert stream.content == qvq_text("What is in this picture?", ("photo.png", len(png)))
    assert [p.get("name") for p in stream.providers if isinstance(p, dict)][:1] == [QVQ]


def test_gui_conversation_text(gui):
    stream = _gui_conversation(gui, {"model": "qwen-2-72b", "provider": QWEN2, "messages": user("GUI text."),
                                     "conversation_id": "dropin-2", "id": "m2"})
    assert stream.content == qwen2_text("GUI text.")
    stream = _gui_conversation(gui, {"model": "qvq-72b", "provider": QVQ, "messages": user("GUI, no image."),
                                     "conversation_id": "dropin-3", "id": "m3"})
    assert stream.content == qvq_text("GUI, no image.")


# -- 6. API server (g4f api) --------------------------------------------------------------------


def test_api_lists_models_and_providers(api):
    models = [m["id"] for m in api.expect(api.get("/v1/models")).json()["data"]]
    assert "qvq-72b" in models and "qwen-2-72b" in models, models
    providers = api.expect(api.get("/v1/providers")).json()
    ids = [p.get("id") for p in providers]
    assert QVQ in ids and QWEN2 in ids, ids


@pytest.mark.parametrize("provider, model", [(QVQ, "qvq-72b"), (QWEN2, "qwen-2-72b")])
def test_api_chat_completions(api, provider, model):
    text = f"API says hi to {provider}." + SLOW
    expected = qvq_text(text) if provider == QVQ else qwen2_text(text)
    body = {"model": model, "provider": provider, "messages": user(text)}
    answer = api.expect(api.post("/v1/chat/completions", body)).json()
    assert answer["choices"][0]["message"]["content"] == expected, answer
    assert answer.get("provider") == provider, answer
    streamed, chunks = parse_sse_chat(api.expect(api.post("/v1/chat/completions", {**body, "stream": True})).text)
    assert streamed == expected, chunks
    assert len([c for c in chunks if (c.get("choices") or [{}])[0].get("delta", {}).get("content")]) > 1


# -- 7. CLI (g4f client) -------------------------------------------------------------------------------


def test_cli_client_with_an_image(dropin_venv, spaces):
    png = tiny_png(5, 4)
    question = "What is in this picture?"
    r = run_in_venv(dropin_venv, ["g4f", "client", "-p", QVQ, "-m", "qvq-72b", "photo.png", question],
                    spaces.env, files={"photo.png": png})
    assert r.stdout.strip() == qvq_text(question, ("photo.png", len(png))), r.describe()


def test_cli_client_text(dropin_venv, spaces):
    r = run_in_venv(dropin_venv, ["g4f", "client", "-p", QWEN2, "-m", "qwen-2-72b", "Hello from the CLI."],
                    spaces.env)
    assert r.stdout.strip() == qwen2_text("Hello from the CLI."), r.describe()
