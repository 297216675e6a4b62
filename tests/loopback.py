"""Tests talk to loopback only: a guard that refuses any other address before a packet leaves.

An audit hook (PEP 578) sees every ``socket.connect`` (blocking or not,
asyncio's included) and every ``socket.getaddrinfo`` of this process before
the system call is made. A connection to an address outside 127.0.0.0/8 and
``::1``, or a name lookup other than ``localhost``, is refused there (an
``OSError``, so nothing is sent), and recorded in :data:`REFUSED`; the
autouse fixture in tests/conftest.py fails the test during which one was
recorded, whichever thread made it (a refusal alone could pass unnoticed: a
client reports it as "cannot reach" and a test that expects that would pass).

Names under ``.invalid`` (RFC 6761: never resolvable) are answered here
as "not found" without asking the resolver, so the "DNS failure" path of
the client is tested without a DNS query. Unix sockets are not network.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Generator
from typing import Any

import pytest

__all__ = ["REFUSED", "is_loopback", "refused_since", "provoked", "child_preamble", "install",
           "pytest_runtest_call", "loopback_only"]

#: What the guard refused, in order: ("connect" | "getaddrinfo", host, port).
REFUSED: list[tuple[str, str, int]] = []
_LOCK = threading.Lock()
_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback(host: object) -> bool:
    """127.0.0.0/8, ::1 or ::ffff:127.x.y.z (a name is not an address)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _refuse(kind: str, host: str, port: int) -> None:
    with _LOCK:
        REFUSED.append((kind, host, port))


def _port(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return
        if isinstance(address, tuple) and address and not is_loopback(address[0]):
            host, port = str(address[0]), _port(address[1] if len(address) > 1 else 0)
            _refuse("connect", host, port)
            raise PermissionError(f"tests talk to loopback only: connect to {host}:{port} refused")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is None or not isinstance(host, str):
            return
        name = host.lower()
        if name in _NAMES or _literal(name):
            return
        if name.endswith((".invalid", ".invalid.")):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        _refuse("getaddrinfo", host, _port(args[1]))
        raise socket.gaierror(socket.EAI_NONAME, f"tests talk to loopback only: lookup of {host!r} refused")


def child_preamble() -> str:
    """Python source to put first in a child's script: the same guard in the child, g4f's version
    check off, and at exit a ``left loopback: …`` line on stderr for the parent to assert absent."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return (
        f"import sys as _s, atexit as _a; _s.path.append({root!r}); import tests.loopback as _l\n"
        "_a.register(lambda: _l.REFUSED and print(_l._complaint(_l.REFUSED), file=_s.stderr))\n"
        "import g4f.debug as _d; _d.version_check = False\n"
    )


@contextlib.contextmanager
def provoked() -> Generator[list[tuple[str, str, int]], None, None]:
    """For the guard's own tests: what the block provokes is handed over and forgotten."""
    start = len(REFUSED)
    seen: list[tuple[str, str, int]] = []
    try:
        yield seen
    finally:
        with _LOCK:
            seen.extend(REFUSED[start:])
            del REFUSED[start:]


def refused_since(start: int) -> list[tuple[str, str, int]]:
    with _LOCK:
        return REFUSED[start:]


_installed = False


def install() -> None:
    """Install the guard once per process (audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        _installed = True
        sys.addaudithook(_audit)


install()


#: Refusals up to this index already failed a test's call phase.
_reported = 0


def _complaint(refused: list[tuple[str, str, int]]) -> str:
    return "left loopback: " + "; ".join(f"{kind} {host}:{port}" for kind, host, port in refused)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """The test itself fails (not only its teardown) when it tried to leave loopback."""
    global _reported
    start = len(REFUSED)
    result = yield
    refused = refused_since(start)
    if refused:
        _reported = start + len(refused)
        raise AssertionError(_complaint(refused))
    return result


@pytest.fixture(autouse=True)
def loopback_only() -> Generator[None, None, None]:
    """Set-up and teardown too: a stray thread's attempt fails the test it ran in."""
    start = len(REFUSED)
    yield
    refused = refused_since(max(start, _reported))
    assert not refused, _complaint(refused)
