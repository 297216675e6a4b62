"""tests/mutants/results.py: mutmut's verdicts saved with the checkout and seeded back."""
from __future__ import annotations

import json

from tests.mutants import results

SSE = "g4f_qwen_spaces/space/sse.py.meta"


def meta(codes, hashes=None):
    return {"exit_code_by_key": codes, "hash_by_function_name": hashes or {"feed": "abc"},
            "type_check_error_by_key": {}, "durations_by_key": {"m.a": 1.5},
            "estimated_durations_by_key": {}}


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), "utf-8")


def test_verdicts_go_to_the_file_and_come_back_where_mutmut_has_none(tmp_path):
    mutants, saved = tmp_path / "mutants", tmp_path / "results.json"
    write(mutants / SSE, meta({"m.b": 0, "m.a": 1, "m.c": None}))
    write(mutants / "g4f_qwen_spaces/other/x.py.meta", meta({"m.x": 1}))  # not one of the two packages
    assert results.save(mutants, saved) == 2
    assert json.loads(saved.read_text("utf-8")) == {
        SSE: {"exit_code_by_key": {"m.a": 1, "m.b": 0, "m.c": None}, "hash_by_function_name": {"feed": "abc"}}
    }
    fresh = tmp_path / "fresh"
    assert results.load(fresh, saved) == 2
    seeded = json.loads((fresh / SSE).read_text("utf-8"))
    assert seeded["exit_code_by_key"] == {"m.a": 1, "m.b": 0}
    assert seeded["hash_by_function_name"] == {"feed": "abc"}
    assert seeded["durations_by_key"] == {} and seeded["type_check_error_by_key"] == {}


def test_loading_keeps_what_mutants_already_holds(tmp_path):
    mutants, saved = tmp_path / "mutants", tmp_path / "results.json"
    a, b, c = (f"g4f_qwen_spaces.space.sse.xǁSSEParserǁfeed__mutmut_{n}" for n in (1, 2, 3))
    other = "g4f_qwen_spaces.space.sse.x_decode_json__mutmut_1"
    hashes = {"xǁSSEParserǁfeed": "same", "x_decode_json": "old"}
    write(mutants / SSE, meta({a: 1, b: 0, other: 1}, hashes))
    results.save(mutants, saved)
    now = {"xǁSSEParserǁfeed": "same", "x_decode_json": "new"}
    write(mutants / SSE, meta({a: 0, b: None, c: None, other: None}, now))
    # b only: a has a verdict of its own, and decode_json's code changed since its verdict
    assert results.load(mutants, saved) == 1
    data = json.loads((mutants / SSE).read_text("utf-8"))
    assert data["exit_code_by_key"] == {a: 0, b: 0, c: None, other: None}
    assert data["hash_by_function_name"] == now  # mutmut's own hashes stand
    assert data["durations_by_key"] == {"m.a": 1.5}


def test_loading_without_a_results_file_does_nothing(tmp_path):
    assert results.load(tmp_path / "mutants", tmp_path / "missing.json") == 0
    assert not (tmp_path / "mutants").exists()


def test_mutmuts_runs_take_the_cheapest_tests_first(tmp_path):
    from types import SimpleNamespace

    from tests.mutants import loopback

    stats = tmp_path / "mutmut-stats.json"
    stats.write_text(json.dumps({"duration_by_test": {"t::slow": 3.0, "t::quick": 0.01, "t::mid": 0.5}}))
    measured = loopback.durations(stats)
    items = [SimpleNamespace(nodeid=n) for n in ("t::slow", "t::new", "t::mid", "t::quick", "t::other")]
    loopback.cheapest_first(items, measured)
    assert [i.nodeid for i in items] == ["t::new", "t::other", "t::quick", "t::mid", "t::slow"]
    assert loopback.durations(tmp_path / "missing.json") == {}
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert loopback.durations(tmp_path / "bad.json") == {}
