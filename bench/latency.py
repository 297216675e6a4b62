"""Latency rows: ours, gradio_client and the floor, over TLS with an added round trip.

    python bench/latency.py [--quick] [--rtt-ms 100] [--runs N] [--out bench/out]

The Space is the local QVQ-shaped Gradio 5 app (tests/apps/qvq_space.py,
no sleeps). In front of it, as for a real Space on ``hf.space``:

    client --TLS--> DelayRelay (+RTT/2 each way, +1 RTT before a new
    connection's first byte: the TCP handshake) --> TLS terminator --> Gradio

so the TLS handshake crosses the delay too, and every client sees the same
network. The certificate is self-signed (made here with openssl, for
``IP:127.0.0.1``) and trusted by each client through ``SSL_CERT_FILE``
(aiohttp's and httpx's default contexts read it).

Each client runs in a process of its own (``bench/latency_child.py``), 20
sequential calls: call 1 is "a new process's first call" (TCP + TLS + join +
data; ours with the config already in its disk cache, gradio_client from
``Client(url)`` on, which reads the config first), calls 2-20 are the steady
rows. The relay counts the connections each process opened. Runs rotate the
order of the three clients. gradio_client runs in the Gradio 5 test venv
(gradio_client 1.13, the one that Gradio release ships).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wire import DelayRelay, Relay  # noqa: E402
from tests.apps.fakemodel import qvq_answer  # noqa: E402
from tests.offline import prepare_g4f_home  # noqa: E402
from tests.servers import GradioServer, ensure_gradio  # noqa: E402

CHILD = Path(__file__).with_name("latency_child.py")
MODES = ("floor", "ours", "gradio_client")
PROMPT = "LONG:200 DELAY:0"


class TlsTerminator(Relay):
    """TLS on the outside, plain HTTP to the Gradio server inside."""

    def __init__(self, target_port: int, context: ssl.SSLContext) -> None:
        super().__init__(target_port)
        self.context = context

    async def __aenter__(self):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(src, dst) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, ssl.SSLError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except asyncio.CancelledError:
            pass  # the bench is over (Python 3.11 would log a cancelled handler as an error)


class NetworkRelay(DelayRelay):
    """DelayRelay that also charges a new connection one round trip (the TCP handshake) and counts them."""

    def __init__(self, target_port: int, delay: float) -> None:
        super().__init__(target_port, delay)
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def due(self, now: float, opened: float, upstream: bool) -> float:
        # SYN, SYN-ACK: a connection's first byte upstream leaves one round trip late.
        later = opened + 3 * self.delay if upstream else 0.0
        return max(now + self.delay, later)

    async def _handle(self, reader, writer) -> None:
        self.accepted += 1
        await super()._handle(reader, writer)


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def run_child(python: str, mode: str, url: str, calls: int, env: dict) -> dict:
    done = subprocess.run([python, str(CHILD), mode, url, str(calls)], env=env, capture_output=True, text=True,
                          timeout=600, cwd=tempfile.gettempdir())
    if done.returncode:
        raise RuntimeError(f"{mode}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    steady_first = [c[0] * 1000 for r in runs for c in r["calls"][1:]]
    steady_last = [c[1] * 1000 for r in runs for c in r["calls"][1:]]
    return {
        "runs": len(runs),
        "steady_first_ms": statistics.median(steady_first),
        "steady_last_ms": statistics.median(steady_last),
        "new_first_ms": statistics.median(r["calls"][0][0] * 1000 for r in runs),
        "new_last_ms": statistics.median(r["calls"][0][1] * 1000 for r in runs),
        "connections": [r["connections"] for r in runs],
    }


async def measure(server: GradioServer, runs: int, calls: int, rtt: float, out: Path) -> dict:
    tls_dir = Path(tempfile.mkdtemp(prefix="g4fqs-tls-"))
    cert, key = certificate(tls_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    home = out / "latency-home"
    env = dict(os.environ, **prepare_g4f_home(home), SSL_CERT_FILE=str(cert), PYTHONPATH=str(ROOT))
    env.pop("SSL_CERT_DIR", None)
    pythons = {"ours": sys.executable, "floor": sys.executable, "gradio_client": str(ensure_gradio("5"))}
    expected = qvq_answer(None, None, PROMPT)
    results: dict = {mode: [] for mode in MODES}
    async with TlsTerminator(server.port, context) as tls, NetworkRelay(tls.port, rtt / 2) as relay:
        env["G4F_QWEN_QVQ_72B_URL"] = relay.url
        for mode in MODES:  # warm: page cache, our disk config cache, the Space
            await asyncio.to_thread(run_child, pythons[mode], mode, relay.url, 2, env)
        for index in range(runs):
            order = MODES[index % 3:] + MODES[: index % 3]
            for mode in order:
                relay.accepted = 0
                result = await asyncio.to_thread(run_child, pythons[mode], mode, relay.url, calls, env)
                await asyncio.sleep(0.2)
                result["connections"] = relay.accepted
                if result["text"] != expected:
                    raise RuntimeError(f"{mode}: wrong answer {result['text']!r:.200}")
                results[mode].append(result)
    rows = {mode: summarise(values) for mode, values in results.items()}
    return {"rtt_ms": rtt * 1000, "calls": calls, "prompt": PROMPT, "rows": rows,
            "raw": {mode: [r["calls"] for r in values] for mode, values in results.items()}}


def report(result: dict) -> None:
    rows = result["rows"]
    print(f"  latency over TLS, +{result['rtt_ms']:.0f} ms RTT, {result['calls']} calls per process:")
    for mode in MODES:
        r = rows[mode]
        print(f"    {mode:<14} calls 2-{result['calls']}: first {r['steady_first_ms']:7.1f} ms  last "
              f"{r['steady_last_ms']:7.1f} ms | new process: first {r['new_first_ms']:7.1f} ms  last "
              f"{r['new_last_ms']:7.1f} ms | connections {r['connections']}", flush=True)


def goals(result: dict) -> dict:
    rows = result["rows"]
    ours, floor, gc = rows["ours"], rows["floor"], rows["gradio_client"]
    out = {}
    for key, label in (("steady_first_ms", "steady first"), ("steady_last_ms", "steady last"),
                       ("new_first_ms", "new process first"), ("new_last_ms", "new process last")):
        out[f"{label}: ours <= 1.05 x floor"] = ours[key] <= 1.05 * floor[key]
        out[f"{label}: ours < gradio_client"] = ours[key] < gc[key]
    out["connections for 20 calls: ours <= floor"] = max(ours["connections"]) <= max(floor["connections"])
    return out


def markdown_rows(result: dict, date: str) -> list[str]:
    """Rows for the README's Benchmarks table."""
    rows = result["rows"]
    ours, floor, gc = rows["ours"], rows["floor"], rows["gradio_client"]
    rtt = f"{result['rtt_ms']:.0f} ms RTT"

    def cell(r: dict, key: str) -> str:
        return f"{r[key]:.0f} ms"

    lines = []
    for key, what in (("steady_first_ms", "first chunk"), ("steady_last_ms", "last chunk")):
        lines.append(
            f"| {what}, calls 2–{result['calls']} in one process, TLS + {rtt} (median of "
            f"{ours['runs']}×{result['calls'] - 1}) | 200 | {cell(ours, key)} | floor {cell(floor, key)}, "
            f"gradio_client {cell(gc, key)} | {ours[key] / floor[key]:.3f}× floor, "
            f"{ours[key] / gc[key]:.2f}× gradio_client | ≤ 1.05× floor, < gradio_client |"
        )
    for key, what in (("new_first_ms", "first chunk"), ("new_last_ms", "last chunk")):
        lines.append(
            f"| {what} of a new process's first call, TLS + {rtt} (median of {ours['runs']}) | 200 | "
            f"{cell(ours, key)} | floor {cell(floor, key)}, gradio_client {cell(gc, key)} | "
            f"{ours[key] / floor[key]:.3f}× floor, {ours[key] / gc[key]:.2f}× gradio_client | "
            "≤ 1.05× floor, < gradio_client |"
        )
    lines.append(
        f"| connections opened for {result['calls']} calls in one process (each run) | | "
        f"{', '.join(map(str, ours['connections']))} | floor {', '.join(map(str, floor['connections']))}, "
        f"gradio_client {', '.join(map(str, gc['connections']))} | | as few as the floor |"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--quick", action="store_true", help="2 runs instead of 7")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = args.runs or (2 if args.quick else 7)
    ensure_gradio("5")
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with GradioServer.start("qvq_space", "5", "--delay", "0") as server:
        result = asyncio.run(measure(server, runs, 20, args.rtt_ms / 1000, out))
        result["gradio"] = server.version
    result["date"] = date
    result["goals"] = goals(result)
    report(result)
    for goal, met in result["goals"].items():
        print(f"  {'met ' if met else 'MISS'}  {goal}")
    (out / "latency.json").write_text(json.dumps(result, indent=2))
    (out / "latency.md").write_text("\n".join(markdown_rows(result, date)) + "\n")
    print("\n".join(markdown_rows(result, date)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
