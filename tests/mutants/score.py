"""The mutation score per package, from mutmut's results and our list of equivalent mutants.

Run after ``tox -e mutmut`` (or ``mutmut run``) from the checkout's root::

    python tests/mutants/score.py            # per package
    python tests/mutants/score.py --modules  # and per module
    python tests/mutants/score.py --survivors  # the surviving mutants' ids

A mutant counts as killed when a test failed (or it timed out: a mutant
that makes a call hang is caught by the tests' deadline, or by mutmut's).
Mutants listed in ``tests/mutants/equivalent.txt`` (an id at the start of a
line, then the change and why no test can tell it apart) leave the count.
score = killed / (all - equivalent).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("space", "providers")
EQUIVALENT = Path(__file__).with_name("equivalent.txt")
#: mutmut 3's exit codes (mutmut.stats.status_by_exit_code), folded into what the score needs.
KILLED = {1, 3, 36, 24, -24, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None}


def kind(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in NOT_CHECKED:
        return "not checked"
    return "suspicious"


def equivalent_ids(path: Path = EQUIVALENT) -> set[str]:
    """Mutant ids at the start of a line (indented lines and ``#`` comments are the reasons)."""
    if not path.exists():
        return set()
    ids = set()
    for line in path.read_text("utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and "__mutmut_" in line:
            ids.add(line.split()[0])
    return ids


def results(mutants: Path = ROOT / "mutants") -> dict[str, dict[str, int | None]]:
    """{module path: {mutant id: exit code}} for the two packages."""
    found = {}
    for package in PACKAGES:
        for meta in sorted((mutants / "g4f_qwen_spaces" / package).glob("*.py.meta")):
            data = _read_json(meta)
            found[f"{package}/{meta.name[:-5]}"] = data.get("exit_code_by_key", {})
    return found


def _read_json(path: Path) -> dict:
    """A .meta file, read again if a running mutmut was rewriting it."""
    for attempt in range(20):
        try:
            return json.loads(path.read_text("utf-8"))
        except ValueError:
            if attempt == 19:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--modules", action="store_true", help="a line per module too")
    parser.add_argument("--survivors", action="store_true", help="list the mutants neither killed nor equivalent")
    parser.add_argument("--fail-under", type=float, default=0.0, metavar="PERCENT",
                        help="exit 1 when a package scores below PERCENT (or has mutants not checked)")
    parser.add_argument("--results", type=Path, default=ROOT / "mutants", metavar="DIR",
                        help="mutmut's folder (default: mutants/ in the checkout), or a copy of its .meta files")
    parser.add_argument("--fallback", type=Path, metavar="DIR", action="append", default=[],
                        help="an earlier run's results, used for the mutants this run did not check "
                             "(a run of chosen mutants after a full one); repeat for older runs")
    options = parser.parse_args(argv)
    equivalent = equivalent_ids()
    per_package: dict[str, Counter[str]] = {p: Counter() for p in PACKAGES}
    survivors = []
    header = f"{'':28} {'all':>5} {'killed':>6} {'surv.':>5} {'none':>5} {'equiv':>5} {'todo':>5} {'score':>7}"
    print(header)
    found = results(options.results)
    for fallback in options.fallback:
        for module, codes in results(fallback).items():
            current = found.setdefault(module, {})
            for mutant, code in codes.items():
                if current.get(mutant) is None:
                    current[mutant] = code
    for module, codes in found.items():
        counts: Counter[str] = Counter()
        for mutant, code in codes.items():
            if mutant in equivalent:
                counts["equivalent"] += 1
                continue
            status = kind(code)
            counts[status] += 1
            if status not in ("killed", "not checked"):
                survivors.append((mutant, status))
        counts["all"] = len(codes)
        per_package[module.split("/")[0]].update(counts)
        if options.modules and codes:
            print(line(module, counts))
    failed = False
    for package, counts in per_package.items():
        print(line(f"g4f_qwen_spaces/{package}/", counts))
        failed |= bool(options.fail_under) and (
            counts["not checked"] > 0 or score(counts) < options.fail_under
        )
    if options.survivors:
        for mutant, status in survivors:
            print(f"{status:10} {mutant}")
    return 1 if failed else 0


def score(counts: Counter[str]) -> float:
    """Killed as a percentage of the checked, non-equivalent mutants."""
    judged = counts["all"] - counts["equivalent"] - counts["not checked"]
    return 100 * counts["killed"] / judged if judged else 0.0


def line(name: str, counts: Counter[str]) -> str:
    judged = counts["all"] - counts["equivalent"] - counts["not checked"]
    shown = f"{score(counts):6.1f}%" if judged else "     -"
    return (
        f"{name:28} {counts['all']:5} {counts['killed']:6} {counts['survived']:5} "
        f"{counts['no tests']:5} {counts['equivalent']:5} {counts['not checked']:5} {shown:>7}"
    )


if __name__ == "__main__":
    sys.exit(main())
