"""Registration into g4f's layers, in this process (the drop-in suite does it from a fresh venv)."""
from __future__ import annotations

import json
import sys

import pytest

import g4f_qwen_spaces
from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B, plugin
from g4f_qwen_spaces.__main__ import main as doctor
from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer

OURS = {"Qwen_QVQ_72B": Qwen_QVQ_72B, "Qwen_Qwen_2_72B": Qwen_Qwen_2_72B}


@pytest.fixture
def spaces(qvq_server, qwen2_server, monkeypatch):
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, qvq_server.url)
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, qwen2_server.url)
    return qvq_server, qwen2_server


def test_entry_points_are_discovered_with_their_distribution():
    entries = {e.name: e for e in plugin.discover()}
    assert entries["Qwen_QVQ_72B"].provider is Qwen_QVQ_72B
    assert entries["Qwen_Qwen_2_72B"].provider is Qwen_Qwen_2_72B
    assert entries["Qwen_QVQ_72B"].distribution == "g4f-qwen-spaces"
    assert entries["Qwen_QVQ_72B"].value == "g4f_qwen_spaces.providers:Qwen_QVQ_72B"


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("", set()), ("g4f-qwen-spaces", {"g4f-qwen-spaces"}), (" G4F_Qwen.Spaces , other", {"g4f-qwen-spaces", "other"})],
)
def test_g4f_load_plugins_selects_distributions(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("G4F_LOAD_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("G4F_LOAD_PLUGINS", value)
    assert plugin.selected_distributions() == expected
    names = {e.name for e in plugin.discover(load=False)}
    assert ("Qwen_QVQ_72B" in names) == (expected is None or "g4f-qwen-spaces" in expected)


def test_register_is_idempotent():
    import g4f.Provider as P

    first = g4f_qwen_spaces.register()
    second = g4f_qwen_spaces.register()
    assert first == second and set(OURS) <= set(first)
    names = vars(P).get("ProviderLoader")
    listing = names.names if names is not None else vars(P).get("_provider_names") or [
        p.__name__ for p in P.__providers__
    ]
    assert [n for n in listing if n in OURS].count("Qwen_QVQ_72B") == 1


def test_provider_lookup_layer():
    import g4f.Provider as P
    from g4f.Provider import ProviderUtils

    for name, cls in OURS.items():
        assert getattr(P, name) is cls
        assert name in ProviderUtils.convert
        assert ProviderUtils.convert[name] is cls
        assert cls in P.__providers__


def test_models_and_retry_layer():
    from g4f import models
    from g4f.providers.retry_provider import IterListProvider

    for model, cls in [("qvq-72b", Qwen_QVQ_72B), ("qwen-qvq-72b-preview", Qwen_QVQ_72B), ("qwen-2-72b", Qwen_Qwen_2_72B)]:
        best = models.ModelUtils.convert[model].best_provider
        assert isinstance(best, IterListProvider)
        assert best.providers[0] is cls or cls in best.providers
        assert model in models.__models__
    assert isinstance(models.ModelUtils.convert["qvq-72b"], models.VisionModel)


def test_hugging_space_and_any_provider_layers():
    from g4f.Provider.hf_space import HuggingSpace
    from g4f.providers.any_provider import AnyModelProviderMixin, AnyProvider

    assert Qwen_QVQ_72B in HuggingSpace.providers and Qwen_Qwen_2_72B in HuggingSpace.providers
    assert {"qvq-72b", "qwen-2-72b"} <= set(HuggingSpace.get_models())
    assert getattr(Qwen_QVQ_72B, "hf_space", False) is False
    assert AnyModelProviderMixin.model_map["qvq-72b"]["Qwen_QVQ_72B"] == "qwen-qvq-72b-preview"
    assert AnyModelProviderMixin.model_map["qwen-2-72b"]["Qwen_Qwen_2_72B"] == "qwen-qwen2-72b-instruct"
    assert {"qvq-72b", "qwen-2-72b"} <= set(AnyProvider.get_models())
    assert "qvq-72b" in AnyModelProviderMixin.vision_models


def test_routing_by_model_and_by_provider_name(spaces):
    import g4f

    qvq_text = g4f.ChatCompletion.create(model="qvq-72b", messages=[{"role": "user", "content": "route me"}])
    assert qvq_text == qvq_answer(None, None, "route me")
    by_name = g4f.ChatCompletion.create(
        provider="Qwen_Qwen_2_72B", model="qwen-2-72b", messages=[{"role": "user", "content": "by name"}]
    )
    assert by_name == chatbot_view(qwen2_answer("by name", [], "You are a helpful assistant."))


def test_hugging_space_routes_to_our_children(spaces):
    import g4f

    answer = g4f.ChatCompletion.create(
        provider="HuggingSpace", model="qvq-72b", messages=[{"role": "user", "content": "via aggregate"}]
    )
    assert answer == qvq_answer(None, None, "via aggregate")


def test_gui_layer_lists_both_providers_without_hf_space_flag():
    from g4f.gui.server.api import Api  # needs flask: in the test extras

    entries = {e["name"]: e for e in Api.get_providers() if isinstance(e, dict)}
    for name in OURS:
        assert entries[name]["hf_space"] is False
        assert entries[name]["parent"] == "HuggingSpace"
    assert entries["Qwen_QVQ_72B"]["vision"] is True


def test_doctor_reports_all_layers_and_spaces(spaces, capsys):
    assert doctor(["--json", "--timeout", "10"]) == 0
    report = json.loads(capsys.readouterr().out)
    items = {i["name"]: i for i in report["providers"]}
    assert items["Qwen_QVQ_72B"]["space"]["endpoint"] == "generate (fn_index 1)"
    assert items["Qwen_Qwen_2_72B"]["space"]["endpoint"] == "model_chat (fn_index 2)"
    assert items["Qwen_QVQ_72B"]["space"]["gradio"] == spaces[0].version
    assert all(all(i["registered_in"].values()) for i in items.values())
    assert report["ok"] is True


def test_doctor_fails_on_a_dead_space(monkeypatch, capsys):
    monkeypatch.setenv(Qwen_QVQ_72B.url_env, "http://127.0.0.1:9")
    monkeypatch.setenv(Qwen_Qwen_2_72B.url_env, "ftp://nowhere")
    assert doctor(["--timeout", "5"]) == 1
    out = capsys.readouterr().out
    assert "NOT OK: SpaceConnectionError: Cannot reach the Space at http://127.0.0.1:9" in out
    assert "G4F_QWEN_QWEN_2_72B_URL='ftp://nowhere' is not an http(s) URL with a host" in out
    assert out.rstrip().endswith("problems found")


def test_install_hook_writes_the_pth(tmp_path):
    assert doctor(["install-hook", "--target", str(tmp_path)]) == 0
    assert (tmp_path / "g4f_qwen_spaces_hook.pth").read_text() == "import g4f_qwen_spaces_hook\n"


def test_startup_hook_module_imports_nothing_heavy():
    import subprocess

    code = "import g4f_qwen_spaces_hook, sys; print('g4f' in sys.modules, 'aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.split() == ["False", "False"]
