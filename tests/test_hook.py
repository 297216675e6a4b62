"""The start-up hook's post-import callbacks, on throw-away modules (no g4f involved)."""
from __future__ import annotations

import importlib
import sys
import uuid

import pytest

import g4f_qwen_spaces_hook as hook

PROBE = """
import sys
DEPTH = len(__import__("inspect").stack())
SEEN_INITIALIZING = __import__("g4f_qwen_spaces_hook").initializing(sys.modules[__name__])
{extra}
"""


@pytest.fixture
def make_module(tmp_path, monkeypatch):
    """``make_module(extra_code)`` -> the name of a new importable module (removed afterwards)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def make(extra: str = "") -> str:
        name = f"g4fqs_probe_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(PROBE.format(extra=extra))
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)


def depth_when_imported(name: str) -> int:
    importlib.invalidate_caches()
    return int(importlib.import_module(name).DEPTH)


def test_a_callback_runs_once_after_the_module_has_run(make_module):
    name = make_module()
    calls: list = []
    hook.when_imported(name, lambda module: calls.append((module.__name__, hook.initializing(module))))
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    assert calls == [(name, False)]
    assert module.SEEN_INITIALIZING is True  # the callback waited for the module's code
    importlib.import_module(name)
    assert len(calls) == 1


def test_an_already_imported_module_gets_its_callback_at_once(make_module):
    name = make_module()
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    calls: list = []
    hook.when_imported(name, calls.append)
    assert calls == [module]


def test_a_module_that_fails_to_import_gets_no_callback(make_module):
    name = make_module(extra="raise RuntimeError('broken module')")
    calls: list = []
    hook.when_imported(name, calls.append)
    importlib.invalidate_caches()
    with pytest.raises(RuntimeError, match="broken module"):
        importlib.import_module(name)
    assert calls == [] and name not in sys.modules


def test_a_reload_is_not_seen_but_asking_again_registers_at_once(make_module):
    """``importlib.reload`` runs no callback (it never marks the spec); ``when_imported`` again does."""
    name = make_module()
    calls: list = []

    def callback(module):
        calls.append(module)

    hook.when_imported(name, callback)
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    importlib.reload(module)
    assert calls == [module]
    hook.when_imported(name, callback)  # what g4f_qwen_spaces.register() does for each layer
    assert calls == [module, module]


def test_a_watched_module_runs_at_the_depth_it_would_without_the_hook(make_module):
    """No frame of ours under the module's code (an extra one cost 16 ms in import g4f)."""
    plain, watched = make_module(), make_module()
    hook.when_imported(watched, lambda module: None)
    assert depth_when_imported(watched) == depth_when_imported(plain)


def test_a_failing_callback_is_logged_and_the_import_still_succeeds(make_module, caplog):
    name = make_module()

    def broken(module):
        raise ValueError("plugin bug")

    hook.when_imported(name, broken)
    importlib.invalidate_caches()
    with caplog.at_level("WARNING", logger="g4f_qwen_spaces"):
        module = importlib.import_module(name)
    assert module.__name__ == name
    assert [r.getMessage() for r in caplog.records] == [
        f"g4f plugin registration for {name} failed: ValueError('plugin bug')"
    ]
