"""A pytest plugin for mutmut's runs (``-p tests.mutants.loopback`` in ``[mutmut]`` of setup.cfg).

mutmut runs the fast layer in its own long-lived process and forks a child per
mutant. The first g4f call in a process starts g4f's version check, a thread
that connects to the package index; its socket opening or closing while a test
runs fails that test's ``socket_baseline`` check, which would count a mutant
as killed by chance. Tests talk to loopback only, so the check is turned off
before any test runs.
"""
from __future__ import annotations


def pytest_configure(config: object) -> None:
    import g4f.debug

    g4f.debug.version_check = False
