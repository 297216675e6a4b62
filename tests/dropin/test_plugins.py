"""The start-up hook as a plugin loader: switches, other plugins, start-up cost, editable installs.

* ``G4F_LOAD_PLUGINS``: unset → every installed ``g4f.providers`` plugin;
  empty → none; a comma-separated list of distribution names → those.
* Other distributions' ``g4f.providers`` entry points are registered by our
  hook too (tests/plugins/echo_plugin); a broken one (tests/plugins/broken_plugin)
  is logged and skipped.
"""
from __future__ import annotations

import json

from tests.apps.fakemodel import chatbot_view, qvq_answer, qwen2_answer
from tests.dropin.harness import (
    editable_venv,
    run_in_venv,
    run_json,
    script,
    site_packages,
)

QVQ, QWEN2 = "Qwen_QVQ_72B", "Qwen_Qwen_2_72B"
ECHO_ANSWER = "Hello from the echo plugin."

#: What g4f has under our names, without loading anything extra: never
#: getattr() on 8.x's lazy module (it would resolve names through loaders).
STATE = """
    import g4f.Provider as P
    from g4f.Provider import ProviderUtils
    def state(name):
        cls = vars(P).get(name)
        if cls is None and "ProviderLoader" in vars(P):
            cls = P.ProviderLoader.loaded.get(name)
        if cls is None and "_loaded_providers" in vars(P):
            cls = P._loaded_providers.get(name)
        listed = name in ProviderUtils.convert
        return {"listed": listed, "module": getattr(cls, "__module__", None) if (listed or cls) else None}
"""


def qvq_text(text: str) -> str:
    return qvq_answer(None, None, text)


def qwen2_text(text: str) -> str:
    return chatbot_view(qwen2_answer(text, [], "You are a helpful assistant."), 4, "tuples")


# -- start-up ------------------------------------------------------------------------------


def test_interpreter_startup_imports_neither_g4f_nor_aiohttp(dropin_venv):
    r = run_in_venv(dropin_venv, "import sys; print('g4f' in sys.modules, 'aiohttp' in sys.modules)",
                    preamble=False)
    assert r.stdout.strip() == "False False", r.describe()
    r = run_in_venv(dropin_venv, "import sys; print(sorted(m for m in sys.modules if 'g4f' in m or 'qwen' in m))",
                    preamble=False)
    assert r.stdout.strip() == "['g4f_qwen_spaces_hook']", r.describe()  # the hook, and only the hook


def test_startup_hook_is_in_the_wheel(dropin_venv):
    pth = site_packages(dropin_venv) / "g4f_qwen_spaces_hook.pth"
    assert pth.is_file()
    assert (site_packages(dropin_venv) / "g4f_qwen_spaces_hook.py").is_file()


# -- G4F_LOAD_PLUGINS ---------------------------------------------------------------------------


def test_load_plugins_empty_registers_nothing_and_g4f_works(dropin_venv):
    out = run_json(dropin_venv, script(STATE, """
        import sys
        from g4f.providers.base_provider import AsyncGeneratorProvider
        class Inline(AsyncGeneratorProvider):
            working = True
            @classmethod
            async def create_async_generator(cls, model, messages, **kwargs):
                yield "inline works"
        emit({
            "qvq": state("Qwen_QVQ_72B"), "qwen2": state("Qwen_Qwen_2_72B"),
            "models": [m in g4f.models.ModelUtils.convert for m in ("qvq-72b",)],
            "answer": g4f.ChatCompletion.create(model="", provider=Inline, messages=[{"role": "user", "content": "x"}]),
            "n_providers": len(P.__providers__),
            "ours_imported": [m for m in sys.modules if m.startswith("g4f_qwen_spaces") and m != "g4f_qwen_spaces_hook"],
        })
    """), {"G4F_LOAD_PLUGINS": ""})
    assert out["qvq"] == {"listed": False, "module": None}, out
    if out["qwen2"]["listed"]:  # g4f 0.6.4.3 … 7.5 ship their own Qwen_Qwen_2_72B: it stays g4f's
        assert out["qwen2"]["module"].startswith("g4f.Provider"), out
    else:
        assert out["qwen2"] == {"listed": False, "module": None}, out
    assert out["answer"] == "inline works"
    assert out["n_providers"] > 10
    assert out["ours_imported"] == []


def test_load_plugins_naming_us_registers_us(dropin_venv, spaces):
    out = run_json(dropin_venv, script(STATE, """
        emit({"qvq": state("Qwen_QVQ_72B"), "qwen2": state("Qwen_Qwen_2_72B"),
              "answer": g4f.ChatCompletion.create(model="qvq-72b", provider="Qwen_QVQ_72B",
                                                  messages=[{"role": "user", "content": "Named."}])})
    """), {**spaces.env, "G4F_LOAD_PLUGINS": "g4f-qwen-spaces"})
    assert out["qvq"]["listed"] and out["qvq"]["module"].startswith("g4f_qwen_spaces"), out
    assert out["qwen2"]["listed"] and out["qwen2"]["module"].startswith("g4f_qwen_spaces"), out
    assert out["answer"] == qvq_text("Named.")


def test_load_plugins_naming_someone_else_skips_us(dropin_venv):
    out = run_json(dropin_venv, script(STATE, """
        emit({"qvq": state("Qwen_QVQ_72B")})
    """), {"G4F_LOAD_PLUGINS": "someone-else"})
    assert out["qvq"] == {"listed": False, "module": None}, out


# -- third-party plugins ---------------------------------------------------------------------------


def test_broken_plugin_is_logged_and_skipped(plugins_venv, spaces):
    r = run_in_venv(plugins_venv, script(STATE, """
        emit({"qvq": state("Qwen_QVQ_72B"), "broken": state("Broken"),
              "answer": g4f.ChatCompletion.create(model="qvq-72b", provider="Qwen_QVQ_72B",
                                                  messages=[{"role": "user", "content": "Still here?"}])})
    """), spaces.env)
    out = r.result()
    assert out["broken"]["listed"] is False, out
    assert out["qvq"]["listed"] and out["qvq"]["module"].startswith("g4f_qwen_spaces"), out
    assert out["answer"] == qvq_text("Still here?")
    warning = [line for line in r.stderr.splitlines() if "Broken" in line]
    assert warning and "DoesNotExist" in r.stderr, r.describe()


def test_other_plugin_is_registered_by_our_hook(plugins_venv):
    out = run_json(plugins_venv, script(STATE, """
        import g4f.Provider as P
        emit({"echo": state("Echo_Plugin_Test"),
              "answer": g4f.ChatCompletion.create(model="", provider="Echo_Plugin_Test",
                                                  messages=[{"role": "user", "content": "hi"}]),
              "in_providers": [p.__name__ for p in P.__providers__].count("Echo_Plugin_Test")})
    """))
    assert out["echo"] == {"listed": True, "module": "echo_plugin"}, out
    assert out["answer"] == ECHO_ANSWER
    assert out["in_providers"] == 1


def test_load_plugins_selects_distributions(plugins_venv):
    out = run_json(plugins_venv, script(STATE, """
        emit({"echo": state("Echo_Plugin_Test"), "qvq": state("Qwen_QVQ_72B")})
    """), {"G4F_LOAD_PLUGINS": "g4f-echo-plugin-test"})
    assert out["echo"]["listed"] is True, out
    assert out["qvq"] == {"listed": False, "module": None}, out


def test_entry_point_name_differs_from_class_name_and_the_doctor_agrees(plugins_venv):
    # echo_plugin's entry point is named "echo-test"; g4f knows the class as Echo_Plugin_Test.
    r = run_in_venv(plugins_venv, ["g4f-plugins", "--json", "--no-network"],
                    {"G4F_LOAD_PLUGINS": "g4f-echo-plugin-test,g4f-qwen-spaces"}, check=False)
    assert r.returncode == 0, r.describe()
    items = {i["name"]: i for i in json.loads(r.stdout)["providers"]}
    assert sorted(items) == ["Qwen_QVQ_72B", "Qwen_Qwen_2_72B", "echo-test"]
    assert items["echo-test"]["g4f_name"] == "Echo_Plugin_Test"
    assert items["echo-test"]["registered_in"] == {"provider": True, "models": True, "any_provider": True,
                                                   "gui": True}


def test_plugins_do_not_load_at_startup(plugins_venv):
    r = run_in_venv(plugins_venv, "import sys; print(sorted(m for m in sys.modules if 'g4f' in m or 'plugin' in m))",
                    preamble=False)
    assert r.stdout.strip() == "['g4f_qwen_spaces_hook']", r.describe()


# -- lazy registration ------------------------------------------------------------------------------


def test_registration_is_lazy_and_first_use_loads(dropin_venv, spaces):
    out = run_json(dropin_venv, script(STATE, """
        import sys
        from g4f.client import Client
        import g4f.models
        heavy = lambda: sorted(m for m in sys.modules if m.startswith(("g4f_qwen_spaces.providers",
                                                                      "g4f_qwen_spaces.space")))
        before = heavy()
        answer = g4f.ChatCompletion.create(model="qvq-72b", messages=[{"role": "user", "content": "Lazy."}])
        emit({"before": before, "after": "g4f_qwen_spaces.space.client" in heavy(), "answer": answer,
              "held": repr(P.ProviderUtils.convert["Qwen_QVQ_72B"])})
    """), spaces.env)
    assert out["before"] == [], out
    assert out["after"] is True, out
    assert out["answer"] == qvq_text("Lazy.")
    assert out["held"].startswith("<class 'g4f_qwen_spaces.providers.qvq.Qwen_QVQ_72B'>"), out


# -- explicit API ------------------------------------------------------------------------------------


def test_explicit_register_is_idempotent(dropin_venv, spaces):
    out = run_json(dropin_venv, """
        import g4f.Provider as P, g4f.models as M
        from g4f.Provider import HuggingSpace
        from g4f.providers.any_provider import AnyModelProviderMixin as Mix
        import g4f_qwen_spaces
        g4f_qwen_spaces.register()
        g4f_qwen_spaces.register()
        ours = g4f_qwen_spaces.Qwen_QVQ_72B  # the class itself: it takes its stand-in's place
        names = ("Qwen_QVQ_72B", "Qwen_Qwen_2_72B")
        d = vars(P)
        if "ProviderLoader" in d:
            registry = list(P.ProviderLoader.names)
        elif "_provider_names" in d:
            registry = list(P._provider_names)
        else:
            registry = list(P.__map__)
        best = M.ModelUtils.convert["qvq-72b"].best_provider
        emit({
            "registry": [registry.count(n) for n in names],
            "providers": [[p.__name__ for p in P.__providers__].count(n) for n in names],
            "hf": [[p.__name__ for p in HuggingSpace.providers].count(n) for n in names],
            "best": [getattr(p, "__name__", p) for p in best.providers].count("Qwen_QVQ_72B"),
            "all_models": M._all_models.count("qvq-72b"),
            "any_models": Mix.models.count("qvq-72b"),
            "same_class": P.Qwen_QVQ_72B is ours and P.ProviderUtils.convert["Qwen_QVQ_72B"] is ours,
            "answer": g4f.ChatCompletion.create(model="qvq-72b", provider="Qwen_QVQ_72B",
                                                messages=[{"role": "user", "content": "Twice."}]),
        })
    """, spaces.env, allow_plugin_import=True)
    assert out["registry"] == [1, 1], out
    assert out["providers"] == [1, 1], out
    assert out["hf"] == [1, 1], out
    assert out["best"] == 1 and out["all_models"] == 1 and out["any_models"] == 1, out
    assert out["same_class"] is True
    assert out["answer"] == qvq_text("Twice.")


# -- editable install ---------------------------------------------------------------------------------


def test_editable_install_with_install_hook(spaces):
    venv = editable_venv()
    pth = site_packages(venv) / "g4f_qwen_spaces_hook.pth"
    pth.unlink(missing_ok=True)
    r = run_in_venv(venv, ["python", "-m", "g4f_qwen_spaces", "install-hook"])
    assert pth.is_file(), r.describe()
    out = run_json(venv, script(STATE, """
        emit({"qvq": state("Qwen_QVQ_72B"), "module_file": P.Qwen_QVQ_72B.__module__,
              "answer": g4f.ChatCompletion.create(model="qvq-72b", provider="Qwen_QVQ_72B",
                                                  messages=[{"role": "user", "content": "Editable."}])})
    """), spaces.env)
    assert out["qvq"]["listed"] and out["qvq"]["module"].startswith("g4f_qwen_spaces"), out
    assert out["answer"] == qvq_text("Editable.")
