"""The loopback guard (tests/loopback.py): refused before connecting, recorded, and failing the test.

No test here sends anything anywhere: every non-loopback attempt is stopped by
the audit hook before the ``connect``/``getaddrinfo`` system call, which the
first test proves from the kernel's own socket table.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import g4f.debug
import pytest

from tests import loopback
from tests.loopback import provoked

ROOT = Path(__file__).resolve().parent.parent


def _remote_entries(hex_address: str) -> list[str]:
    """Lines of /proc/self/net/tcp whose remote address is ``hex_address`` (any state)."""
    with open("/proc/self/net/tcp") as table:
        return [line for line in table.read().splitlines()[1:] if line.split()[2].startswith(hex_address + ":")]


def test_a_connect_outside_loopback_is_refused_before_the_system_call():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)  # a real connect would leave a SYN_SENT entry behind at once
    try:
        refusal = r"^tests talk to loopback only: connect to 10\.0\.0\.1:80 refused$"
        with provoked() as seen, pytest.raises(PermissionError, match=refusal):
            sock.connect(("10.0.0.1", 80))
        assert _remote_entries("0100000A") == []  # 10.0.0.1, as the kernel writes it: never asked to connect
        with pytest.raises(OSError) as unconnected:
            sock.getpeername()
        assert unconnected.value.errno == 107  # ENOTCONN
    finally:
        sock.close()
    assert seen == [("connect", "10.0.0.1", 80)]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1"])
def test_loopback_addresses_pass(host):
    assert loopback.is_loopback(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as listener:
        listener.bind((host, 0))
        listener.listen(1)
        with socket.create_connection(listener.getsockname()[:2], timeout=2):
            pass


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.1", "169.254.169.254", "8.8.8.8", "::ffff:8.8.8.8",
                                  "2001:db8::1", "0.0.0.0", "localhost", ""])
def test_what_is_not_a_loopback_address(host):
    assert not loopback.is_loopback(host)


async def test_aiohttp_is_refused_and_recorded():
    async with aiohttp.ClientSession() as session:
        with provoked() as seen, pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.get("http://192.168.1.1:8080/", timeout=aiohttp.ClientTimeout(total=5))
    assert isinstance(caught.value.os_error, PermissionError)
    assert str(caught.value.os_error) == "tests talk to loopback only: connect to 192.168.1.1:8080 refused"
    assert seen == [("connect", "192.168.1.1", 8080)]


def test_a_name_lookup_is_refused_without_a_query():
    with provoked() as seen, pytest.raises(socket.gaierror, match="lookup of 'pypi.org' refused"):
        socket.getaddrinfo("pypi.org", 443)
    assert seen == [("getaddrinfo", "pypi.org", 443)]


def test_invalid_names_fail_like_dns_without_a_query():
    """RFC 6761: ``.invalid`` never resolves; the guard says so itself and records nothing."""
    with provoked() as seen, pytest.raises(socket.gaierror) as caught:
        socket.getaddrinfo("no-such-space.invalid", 80)
    assert caught.value.errno == socket.EAI_NONAME
    assert seen == []


def test_localhost_and_literals_resolve_locally():
    assert {info[4][0] for info in socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET)} == {"127.0.0.1"}
    assert {info[4][0] for info in socket.getaddrinfo("10.0.0.1", 80, socket.AF_INET)} == {"10.0.0.1"}


def test_g4f_version_check_is_off_in_the_test_process():
    assert g4f.debug.version_check is False


INNER = textwrap.dedent('''
    import socket
    import threading

    def test_connects_outside_and_swallows_the_error():
        try:
            socket.create_connection(("169.254.169.254", 80), timeout=1)
        except OSError:
            pass

    def test_a_thread_looks_a_name_up():
        def lookup():
            try:
                socket.getaddrinfo("pypi.org", 443)
            except OSError:
                pass
        worker = threading.Thread(target=lookup)
        worker.start()
        worker.join()

    def test_stays_home():
        socket.getaddrinfo("localhost", 80)
''')


def test_a_test_that_leaves_loopback_fails_even_when_it_swallows_the_error(tmp_path):
    """A pytest run with only the guard as a plugin: the two offenders fail, the third passes."""
    (tmp_path / "test_inner.py").write_text(INNER)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.loopback",
         "-p", "no:xdist", "-o", "addopts=", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "FAILED test_inner.py::test_connects_outside_and_swallows_the_error - " in out, out
    assert "FAILED test_inner.py::test_a_thread_looks_a_name_up - " in out, out
    assert out.count("E           AssertionError: left loopback: connect 169.254.169.254:80\n") == 1, out
    assert out.count("E           AssertionError: left loopback: getaddrinfo pypi.org:443\n") == 1, out
    assert "2 failed, 1 passed in " in out, out
    assert " error" not in out, out  # failed in the call, not reported again at teardown


def test_a_child_with_the_preamble_is_guarded_and_says_so(tmp_path):
    from tests.loopback import child_preamble

    script = child_preamble() + textwrap.dedent('''
        import socket, g4f.debug
        print(g4f.debug.version_check)
        try:
            socket.create_connection(("10.0.0.1", 80), timeout=1)
        except OSError as error:
            print(type(error).__name__)
    ''')
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "PermissionError"]
    assert result.stderr.strip().splitlines()[-1] == "left loopback: connect 10.0.0.1:80"
