"""A pytest plugin for mutmut's runs (``-p tests.mutants.loopback`` in ``[mutmut]`` of setup.cfg).

mutmut runs the fast layer in its own long-lived process and forks a child per
mutant. The first g4f call in a process starts g4f's version check, a thread
that connects to the package index; its socket opening or closing while a test
runs fails that test's ``socket_baseline`` check, which would count a mutant
as killed by chance. Tests talk to loopback only, so the check is turned off
before any test runs.

mutmut 3 runs a mutant's tests with ``-x`` in the order of a set (a different
order in every process); this plugin runs them cheapest first, by the durations
mutmut measured (``mutmut-stats.json`` beside the tests it runs), so a mutant a
quick unit test kills does not wait for the slow loopback tests first.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATS = "mutmut-stats.json"


def pytest_configure(config: object) -> None:
    import g4f.debug

    g4f.debug.version_check = False


def durations(path: Path = Path(STATS)) -> dict[str, float]:
    """mutmut's measured duration per test id, or {} when there is none (its first run)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    found = data.get("duration_by_test") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def cheapest_first(items: list[Any], measured: dict[str, float]) -> None:
    """Order ``items`` by measured duration (unmeasured ones first; ties keep their order)."""
    items.sort(key=lambda item: measured.get(item.nodeid, 0.0))


def pytest_collection_modifyitems(session: object, config: object, items: list[Any]) -> None:
    measured = durations()
    if measured:
        cheapest_first(items, measured)
