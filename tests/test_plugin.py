"""Registration into g4f's layers, in this process (the drop-in suite does it from a fresh venv)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.loopback import child_preamble

import g4f_qwen_spaces
from g4f_qwen_spaces import Qwen_QVQ_72B, Qwen_Qwen_2_72B, registry
from g4f_qwen_spaces.__main__ import main as doctor
from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer

OURS = {"Qwen_QVQ_72B": Qwen_QVQ_72B, "Qwen_Qwen_2_72B": Qwen_Qwen_2_72B}


def test_entry_points_are_discovered_with_their_distribution_and_metadata():
    entries = {e.name: e for e in registry.discover()}
    assert entries["Qwen_QVQ_72B"].distribution == "g4f-qwen-spaces"
    assert entries["Qwen_QVQ_72B"].value == "g4f_qwen_spaces.providers:Qwen_QVQ_72B"
    assert entries["Qwen_Qwen_2_72B"].meta_point.value == "g4f_qwen_spaces.meta:QWEN_QWEN_2_72B"
    assert entries["Qwen_QVQ_72B"].provider is None  # discovery imports nothing


def test_registered_objects_are_the_classes_once_imported():
    # Importing them from the package (as this module did) put them in their stand-ins' place.
    ours = g4f_qwen_spaces.register()
    assert ours["Qwen_QVQ_72B"] is Qwen_QVQ_72B
    assert ours["Qwen_Qwen_2_72B"] is Qwen_Qwen_2_72B


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("", set()), ("g4f-qwen-spaces", {"g4f-qwen-spaces"}), (" G4F_Qwen.Spaces , other", {"g4f-qwen-spaces", "other"})],
)
def test_g4f_load_plugins_selects_distributions(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("G4F_LOAD_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("G4F_LOAD_PLUGINS", value)
    assert registry.selected_distributions() == expected
    names = {e.name for e in registry.discover()}
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


def test_routing_by_model_and_by_provider_name(gradio_spaces):
    import g4f

    qvq_text = g4f.ChatCompletion.create(model="qvq-72b", messages=[{"role": "user", "content": "route me"}])
    assert qvq_text == qvq_answer(None, None, "route me")
    by_name = g4f.ChatCompletion.create(
        provider="Qwen_Qwen_2_72B", model="qwen-2-72b", messages=[{"role": "user", "content": "by name"}]
    )
    assert by_name == chatbot_view(qwen2_answer("by name", [], "You are a helpful assistant."))


def test_hugging_space_routes_to_our_children(gradio_spaces):
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


def test_doctor_reports_all_layers_and_spaces(gradio_spaces, capsys):
    assert doctor(["--json", "--timeout", "10"]) == 0
    report = json.loads(capsys.readouterr().out)
    items = {i["name"]: i for i in report["providers"]}
    assert items["Qwen_QVQ_72B"]["space"]["endpoint"] == "generate (fn_index 1)"
    assert items["Qwen_Qwen_2_72B"]["space"]["endpoint"] == "model_chat (fn_index 2)"
    assert items["Qwen_QVQ_72B"]["space"]["gradio"] == gradio_spaces[0].version
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


# -- laziness, naming, clashes: fresh interpreters with the installed wheel ---------------------

def _python(code: str, cwd: Path = Path("/"), flags: tuple[str, ...] = ()) -> list:
    """Run ``code`` in this tox env's interpreter (its .pth hook active) and return its last JSON line."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "G4F_LOAD_PLUGINS"}
    out = subprocess.run([sys.executable, *flags, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         cwd=str(cwd), env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_registration_imports_neither_the_providers_nor_the_space_client():
    out = _python("""
        from g4f.client import Client
        import g4f.models, json, sys
        import g4f.Provider as P
        from g4f.Provider import ProviderUtils
        held = ProviderUtils.convert["Qwen_QVQ_72B"]
        best = g4f.models.ModelUtils.convert["qvq-72b"].best_provider.providers
        print(json.dumps([
            sorted(m for m in sys.modules if m.startswith(("g4f_qwen_spaces.providers", "g4f_qwen_spaces.space"))),
            held.__name__, held.default_model, held.parent, repr(held), best[0] is held,
        ]))
    """)
    assert out == [[], "Qwen_QVQ_72B", "qwen-qvq-72b-preview", "HuggingSpace",
                   "<g4f provider g4f_qwen_spaces.providers.Qwen_QVQ_72B (not loaded)>", True]


def test_first_use_imports_the_class_and_puts_it_in_every_layer():
    out = _python("""
        import json, sys
        import g4f.models
        from g4f.Provider import ProviderUtils
        stand_in = ProviderUtils.convert["Qwen_QVQ_72B"]
        url_env = stand_in.url_env                      # declared: still lazy
        lazy = "g4f_qwen_spaces.providers" in sys.modules
        resolve = stand_in.resolve_model("qvq-72b")     # not declared: imports the class
        from g4f_qwen_spaces.providers import Qwen_QVQ_72B
        best = g4f.models.ModelUtils.convert["qvq-72b"].best_provider.providers
        print(json.dumps([url_env, lazy, resolve, ProviderUtils.convert["Qwen_QVQ_72B"] is Qwen_QVQ_72B,
                          best.count(Qwen_QVQ_72B), len(best), stand_in.space_url.__self__ is Qwen_QVQ_72B]))
    """)
    assert out == ["G4F_QWEN_QVQ_72B_URL", False, "qwen-qvq-72b-preview", True, 1, 1, True]


def test_bare_import_costs_only_itself():
    out = _python("""
        import json, sys
        import g4f_qwen_spaces
        print(json.dumps([g4f_qwen_spaces.__version__,
                          sorted(m for m in sys.modules if "g4f" in m or m == "aiohttp")]))
    """)
    assert out == [g4f_qwen_spaces.__version__, ["g4f_qwen_spaces", "g4f_qwen_spaces_hook"]]


def test_bare_import_after_g4f_registers_without_the_pth(tmp_path):
    # python -S: site-packages are not processed, so no .pth runs; they are put on sys.path by hand.
    import site

    out = _python(f"""
        import sys, json
        sys.path[:0] = {site.getsitepackages()!r}
        import g4f.Provider as P
        before = "Qwen_QVQ_72B" in P.ProviderUtils.convert
        import g4f_qwen_spaces
        print(json.dumps([before, "Qwen_QVQ_72B" in P.ProviderUtils.convert,
                          "g4f_qwen_spaces.providers" in sys.modules]))
    """, cwd=tmp_path, flags=("-S",))
    assert out == [False, True, False]


PLUGIN = '''
from g4f.providers.base_provider import AsyncGeneratorProvider, ProviderModelMixin

class {cls}(AsyncGeneratorProvider, ProviderModelMixin):
    working = True
    default_model = "{model}"
    models = [default_model]
    model_aliases = {{}}

    @classmethod
    async def create_async_generator(cls, model, messages, **kwargs):
        yield "{answer}"
'''

def install_dist(site: Path, dist: str, entries: dict[str, str], modules: dict[str, str]) -> Path:
    """A real installed distribution in ``site`` (a folder put on ``sys.path``): its modules and a
    ``<name>-1.0.dist-info`` with ``METADATA`` and ``entry_points.txt``, as pip writes them."""
    site.mkdir(parents=True, exist_ok=True)
    for module, code in modules.items():
        (site / f"{module}.py").write_text(code)
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n\n")
    (info / "entry_points.txt").write_text(
        "[g4f.providers]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items()))
    (info / "INSTALLER").write_text("test\n")
    return site


def _with_sites(*sites: Path) -> dict:
    """This process's environment with ``sites`` first on ``sys.path`` (in that order)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "G4F_LOAD_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join(str(site) for site in sites)
    return env


def test_entry_point_name_is_free_and_the_doctor_agrees(tmp_path):
    site = install_dist(tmp_path / "site", "renamed-plugin-test", {"a-different-name": "renamed_plugin:Renamed_Provider"},
                        {"renamed_plugin": PLUGIN.format(cls="Renamed_Provider", model="renamed-model",
                                                         answer="renamed works")})
    out = subprocess.run([sys.executable, "-c", child_preamble() + textwrap.dedent("""
        import io, json, contextlib, g4f
        from g4f_qwen_spaces.__main__ import main
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = main(["--json", "--no-network"])
        report = json.loads(buffer.getvalue())
        item = next(i for i in report["providers"] if i["name"] == "a-different-name")
        answer = g4f.ChatCompletion.create(model="renamed-model", provider="Renamed_Provider",
                                           messages=[{"role": "user", "content": "x"}])
        print(json.dumps([code, item["g4f_name"], item["distribution"], item["registered_in"], answer]))
    """)], capture_output=True, text=True, cwd=str(tmp_path), env=_with_sites(site), timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "left loopback" not in out.stderr, out.stderr
    code, name, distribution, layers, answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert (code, name, distribution, answer) == (0, "Renamed_Provider", "renamed-plugin-test", "renamed works")
    assert layers["provider"] is True and layers["models"] is True and layers["any_provider"] is True


@pytest.mark.parametrize("order", ["first-dist,second-dist", "second-dist,first-dist"])
def test_same_class_name_from_two_distributions_is_a_warning_naming_both(tmp_path, order):
    """Two real installed distributions (their own folders on ``sys.path``, each with a
    ``.dist-info``) offer a class ``Twin``: the one found first on ``sys.path`` keeps the name,
    whichever it is, and the warning names both."""
    sites = {
        "first-dist": install_dist(tmp_path / "a", "first-dist", {"Twin": "first_plugin:Twin"},
                                   {"first_plugin": PLUGIN.format(cls="Twin", model="twin-1", answer="first")}),
        "second-dist": install_dist(tmp_path / "b", "second-dist", {"Twin": "second_plugin:Twin"},
                                    {"second_plugin": PLUGIN.format(cls="Twin", model="twin-2", answer="second")}),
    }
    winner, loser = order.split(",")
    out = subprocess.run([sys.executable, "-c", child_preamble() + textwrap.dedent("""
        import g4f
        print(g4f.ChatCompletion.create(model="", provider="Twin", messages=[{"role": "user", "content": "x"}]))
    """)], capture_output=True, text=True, cwd=str(tmp_path), env=_with_sites(sites[winner], sites[loser]),
        timeout=120)
    assert out.returncode == 0, out.stderr
    assert "left loopback" not in out.stderr, out.stderr
    modules = {"first-dist": "first_plugin:Twin", "second-dist": "second_plugin:Twin"}
    assert out.stdout.strip().splitlines()[-1] == winner.split("-")[0]
    warnings = [line for line in out.stderr.splitlines() if "clash" in line]
    assert warnings == [f"g4f provider name clash: Twin is provided by {winner} ({modules[winner]}) "
                        f"and by {loser} ({modules[loser]}); keeping {winner}'s"], out.stderr
