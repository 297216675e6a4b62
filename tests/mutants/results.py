"""Keep mutmut's verdicts with the checkout, so a mutation run can go on where the last one stopped.

A full run over ``space/`` and ``providers/`` takes longer than one sitting on 2 cores,
and mutmut keeps its verdicts only in the git-ignored ``mutants/`` folder. This copies
them (mutant id -> exit code, and mutmut's hash of each function) to and from
``tests/mutants/results.json``::

    python tests/mutants/results.py load   # before `mutmut run`: seed mutants/*.meta
    python tests/mutants/results.py save   # after it: write the verdicts back

mutmut itself then decides what still holds: when it generates the mutants it keeps
a verdict only where the function's hash is unchanged and runs the rest (mutmut 3,
``create_mutants``). A verdict can only be kept for a function whose code is the
same; new tests can kill more, never fewer, so surviving mutants are worth re-running
by name after tests are added (``mutmut run <id>...``). ``load`` never overwrites a
verdict already in ``mutants/``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).with_name("results.json")
PACKAGES = ("g4f_qwen_spaces/space", "g4f_qwen_spaces/providers")


def _metas(mutants: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for meta in sorted((mutants / package).glob("*.py.meta")):
            found[meta.relative_to(mutants).as_posix()] = meta
    return found


def _function(key: str) -> str:
    """``pkg.mod.xǁClassǁmethod__mutmut_3`` -> ``xǁClassǁmethod``, as mutmut names it in its hashes."""
    return key.rpartition("__mutmut_")[0].rpartition(".")[2]


def save(mutants: Path = ROOT / "mutants", results: Path = RESULTS) -> int:
    """Write the verdicts in ``mutants/`` to ``results``; the number of mutants with one."""
    kept: dict[str, dict[str, Any]] = {}
    checked = 0
    for name, meta in _metas(mutants).items():
        data = json.loads(meta.read_text("utf-8"))
        codes = data.get("exit_code_by_key", {})
        checked += sum(code is not None for code in codes.values())
        kept[name] = {
            "exit_code_by_key": dict(sorted(codes.items())),
            "hash_by_function_name": dict(sorted(data.get("hash_by_function_name", {}).items())),
        }
    results.write_text(json.dumps(kept, indent=0, ensure_ascii=False) + "\n", "utf-8")
    return checked


def load(mutants: Path = ROOT / "mutants", results: Path = RESULTS) -> int:
    """Seed ``mutants/`` from ``results`` where it has no verdict yet; the number seeded."""
    if not results.exists():
        return 0
    seeded = 0
    for name, saved in json.loads(results.read_text("utf-8")).items():
        meta = mutants / name
        data: dict[str, Any] = {}
        if meta.exists():
            data = json.loads(meta.read_text("utf-8"))
        codes = data.setdefault("exit_code_by_key", {})
        hashes = data.setdefault("hash_by_function_name", {})
        was = saved["hash_by_function_name"]
        for key, code in saved["exit_code_by_key"].items():
            function = _function(key)
            # a verdict on other code is no verdict: seeded only where the hashes agree
            same = hashes.get(function, was.get(function)) == was.get(function)
            if code is not None and codes.get(key) is None and same:
                codes[key] = code
                seeded += 1
        for function, digest in was.items():
            hashes.setdefault(function, digest)
        for field in ("type_check_error_by_key", "durations_by_key", "estimated_durations_by_key"):
            data.setdefault(field, {})
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(data), "utf-8")
    return seeded


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("load", "save"))
    args = parser.parse_args(argv)
    if args.action == "save":
        print(f"{save()} verdicts written to {RESULTS.relative_to(ROOT)}")
    else:
        print(f"{load()} verdicts seeded into mutants/ from {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
