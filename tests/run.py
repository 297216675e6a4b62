"""The tox environments' test command: ``python tests/run.py [pytest arguments]``.

Without arguments, two pytest runs: the fast layer alone (tests/conftest.py
spreads it over 4 processes, since most of its time is spent waiting on
deliberately hanging servers), then the server layers in one process (their
session fixtures start each Gradio server once), as ``$G4FQS_SERVER_LAYERS``
selects them (tox.ini sets it per environment). Both run even if the first
fails; the exit code is the first non-zero one. With arguments: one
``pytest`` run with exactly those.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

FAST = "not gradio and not dropin and not browser"
SERVERS = "gradio or dropin or browser"


def pytest(*args: str) -> int:
    """The environment's ``pytest`` script, not ``python -m pytest``: that would put the
    checkout on ``sys.path`` and the tests would import it instead of the installed wheel."""
    script = Path(sys.executable).with_name("pytest")
    return subprocess.call([str(script) if script.exists() else shutil.which("pytest") or "pytest", *args])


def main(argv: list[str]) -> int:
    if argv:
        return pytest(*argv)
    fast = pytest("-q", "-ra", "-m", FAST)
    servers = pytest("-q", "-ra", "-m", os.environ.get("G4FQS_SERVER_LAYERS") or SERVERS)
    return fast or servers


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
