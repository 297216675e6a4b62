"""Unit tests of the registry: each g4f registry shape with stand-in modules, stand-ins, the table.

No g4f import here except where a test says so: the g4f modules are built
with ``types.ModuleType`` in the shape each g4f release has.
"""
from __future__ import annotations

import types

import pytest

import g4f_qwen_spaces_hook as hook
from g4f_qwen_spaces import meta
from g4f_qwen_spaces.registry import LAYERS, discovery
from g4f_qwen_spaces.registry.layers import any_provider, hf_space, provider
from g4f_qwen_spaces.registry.layers._util import model_names, put_in
from g4f_qwen_spaces.registry.lazy import is_stand_in, resolve, stand_in


class Ours:
    __module__ = "plugin_pkg.mod"
    models = ["m-1", "m-2"]
    model_aliases = {"m": "m-1"}
    vision_models = ["m-1"]
    parent = "HuggingSpace"


Ours.__name__ = Ours.__qualname__ = "Qwen_Qwen_2_72B"


class G4fOwn:
    __module__ = "g4f.Provider.hf_space.Qwen_Qwen_2_72B"


G4fOwn.__name__ = "Qwen_Qwen_2_72B"


class Other:
    pass


def eager_module(*existing: type) -> types.ModuleType:
    """g4f 0.6.4.3 … 7.5: ``__map__`` is ``ProviderUtils.convert``; ``__providers__`` a list."""
    P = types.ModuleType("g4f.Provider")
    P.__map__ = {cls.__name__: cls for cls in existing}
    P.__providers__ = list(existing)
    P.ProviderUtils = type("ProviderUtils", (), {"convert": P.__map__})
    for cls in existing:
        setattr(P, cls.__name__, cls)
    return P


def lazy_module() -> types.ModuleType:
    """g4f 8.0: names listed, classes loaded into a dict on demand."""
    P = types.ModuleType("g4f.Provider")
    P._provider_names = ["Other"]
    P._loaded_providers = {}
    return P


def loader_module() -> types.ModuleType:
    """g4f 8.8: ``ProviderLoader`` with ``names``, ``loaded`` and ``ignored``."""
    P = types.ModuleType("g4f.Provider")
    P.ProviderLoader = type("ProviderLoader", (), {"names": ["Other"], "loaded": {}, "ignored": []})
    return P


# -- layer "provider": the three registry shapes ----------------------------------------------


def test_eager_shape_adds_to_map_list_and_attribute_once():
    P = eager_module(Other)
    for _ in range(2):
        provider.add_provider(P, "Qwen_Qwen_2_72B", Ours)
    assert provider.shape(P) == "eager"
    assert P.__map__ == {"Other": Other, "Qwen_Qwen_2_72B": Ours}
    assert P.ProviderUtils.convert["Qwen_Qwen_2_72B"] is Ours
    assert P.__providers__ == [Other, Ours]
    assert P.Qwen_Qwen_2_72B is Ours
    assert provider.check(P, "Qwen_Qwen_2_72B", Ours) is True


def test_eager_shape_replaces_g4fs_own_class_in_place():
    P = eager_module(G4fOwn, Other)
    provider.register(P, {"Qwen_Qwen_2_72B": Ours})
    assert P.__providers__ == [Ours, Other]
    assert P.__map__["Qwen_Qwen_2_72B"] is Ours and P.Qwen_Qwen_2_72B is Ours


def test_lazy_shape_appends_the_name_and_loads_the_class_once():
    P = lazy_module()
    for _ in range(2):
        provider.add_provider(P, "Qwen_Qwen_2_72B", Ours)
    assert provider.shape(P) == "lazy"
    assert P._provider_names == ["Other", "Qwen_Qwen_2_72B"]
    assert P._loaded_providers == {"Qwen_Qwen_2_72B": Ours}
    assert provider.check(P, "Qwen_Qwen_2_72B", Ours) is True
    assert provider.check(P, "Qwen_Qwen_2_72B", Other) is False


def test_loader_shape_adds_name_class_and_normalised_name_once():
    P = loader_module()
    for _ in range(2):
        provider.add_provider(P, "Qwen_Qwen_2_72B", Ours)
    loader = P.ProviderLoader
    assert provider.shape(P) == "loader"
    assert loader.names == ["Other", "Qwen_Qwen_2_72B"]
    assert loader.loaded == {"Qwen_Qwen_2_72B": Ours, "qwenqwen272b": Ours}
    assert loader.ignored == []
    assert provider.check(P, "Qwen_Qwen_2_72B", Ours) is True


def test_loader_shape_check_needs_the_name_listed():
    P = loader_module()
    P.ProviderLoader.loaded["Qwen_Qwen_2_72B"] = Ours  # loaded alone: __providers__ would miss it
    assert provider.check(P, "Qwen_Qwen_2_72B", Ours) is False


def test_unknown_registry_shape_is_refused():
    with pytest.raises(ValueError, match="unrecognised g4f.Provider registry"):
        provider.add_provider(types.ModuleType("g4f.Provider"), "X", Ours)


# -- the other layers, with stand-in modules --------------------------------------------------------


def test_hugging_space_layer_replaces_g4fs_child_and_clears_cached_models():
    HS = types.ModuleType("g4f.Provider.hf_space")
    HS.Qwen_Qwen_2_72B = G4fOwn
    HS.HuggingSpace = type("HuggingSpace", (), {"providers": [Other, G4fOwn], "models": ["cached"]})
    hf_space.register(HS, {"Qwen_Qwen_2_72B": Ours, "Other2": Other})
    assert HS.HuggingSpace.providers == [Other, Ours]  # Other2 has no HuggingSpace parent
    assert HS.Qwen_Qwen_2_72B is Ours
    assert HS.HuggingSpace.models == []
    assert hf_space.check(HS, "Qwen_Qwen_2_72B", Ours) is True


def test_any_provider_layer_puts_ours_first_in_the_model_map():
    AP = types.ModuleType("g4f.providers.any_provider")
    mixin = type("AnyModelProviderMixin", (), {
        "model_map": {"m-1": {"Other": "m-1"}}, "models": ["m-1"], "vision_models": []})
    AP.AnyModelProviderMixin = mixin
    AP.parents = {}
    for _ in range(2):
        any_provider.register(AP, {"Qwen_Qwen_2_72B": Ours})
    assert list(mixin.model_map["m-1"].items()) == [("Qwen_Qwen_2_72B", "m-1"), ("Other", "m-1")]
    assert mixin.model_map["m"] == {"Qwen_Qwen_2_72B": "m-1"}
    assert mixin.models == ["m-1", "m-2", "m"]
    assert mixin.vision_models == ["m-1"]
    assert AP.parents == {"HuggingSpace": ["Qwen_Qwen_2_72B"]}
    assert any_provider.check(AP, "Qwen_Qwen_2_72B", Ours) is True


def test_put_in_replaces_in_place_by_name_or_appends():
    listing: list = [Other, G4fOwn]
    assert put_in(listing, "Qwen_Qwen_2_72B", Ours) is True and listing == [Other, Ours]
    assert put_in(listing, "Qwen_Qwen_2_72B", Ours) is False and listing == [Other, Ours]
    assert put_in(listing, "Another", G4fOwn) is True and listing == [Other, Ours, G4fOwn]


def test_model_names_are_models_then_new_aliases():
    assert model_names(Ours) == ["m-1", "m-2", "m"]


# -- the table ------------------------------------------------------------------------------------


def test_the_layers_table_names_each_g4f_module_once_in_order():
    assert [(layer.key, layer.module) for layer in LAYERS] == [
        ("hugging_space", "g4f.Provider.hf_space"),
        ("provider", "g4f.Provider"),
        ("models", "g4f.models"),
        ("any_provider", "g4f.providers.any_provider"),
        ("gui", "g4f.gui.server.api"),
    ]


def test_hook_and_discovery_read_the_same_switch():
    assert hook.ENV == discovery.ENV == "G4F_LOAD_PLUGINS"


# -- stand-ins ------------------------------------------------------------------------------------


def test_stand_in_answers_declared_attributes_without_loading():
    loads: list = []
    held = stand_in("Qwen_Qwen_2_72B", "plugin_pkg.mod", {"models": ["m-1"], "working": True},
                    lambda: loads.append(1) or Ours)
    assert (held.__name__, held.__module__, held.models, held.working) == (
        "Qwen_Qwen_2_72B", "plugin_pkg.mod", ["m-1"], True)
    assert getattr(held, "__wrapped__", None) is None  # dunder probes do not load
    assert is_stand_in(held) and isinstance(held, type)
    assert repr(held) == "<g4f provider plugin_pkg.mod.Qwen_Qwen_2_72B (not loaded)>"
    assert loads == []


def test_stand_in_forwards_the_rest_to_the_class_loaded_once():
    class Real:
        parent = "HuggingSpace"

        @classmethod
        def who(cls) -> type:
            return cls

    loads: list = []
    held = stand_in("Real", "plugin_pkg.mod", {}, lambda: loads.append(1) or Real)
    assert held.parent == "HuggingSpace"
    assert held.who() is Real  # bound to the real class, so g4f's issubclass(cls, ...) sees it
    assert resolve(held) is Real and resolve(Real) is Real
    assert loads == [1]
    assert repr(held).endswith("(loaded)>")
    with pytest.raises(AttributeError):
        held.missing  # noqa: B018


def test_stand_in_copies_mutable_metadata():
    declared = {"models": ["a"], "model_aliases": {"x": "a"}}
    held = stand_in("X", "m", declared, lambda: Ours)
    held.models.append("b")
    held.model_aliases["y"] = "b"
    assert declared == {"models": ["a"], "model_aliases": {"x": "a"}}


# -- our own metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, declared", [("Qwen_QVQ_72B", meta.QWEN_QVQ_72B),
                                             ("Qwen_Qwen_2_72B", meta.QWEN_QWEN_2_72B)])
def test_declared_metadata_matches_the_classes(name, declared):
    from g4f_qwen_spaces import providers

    cls = getattr(providers, name)
    assert {key: getattr(cls, key, False if key == "hf_space" else None) for key in declared} == declared
