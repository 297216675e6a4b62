"""Benchmarks: what the plugin adds on top of a Space, against the physical floor.

    python bench/run.py [--quick] [--out bench/out]

Starts the local Gradio test Space (QVQ shape, Gradio 5, no sleeps) on
127.0.0.1 and measures, side by side in one run:

1. wire bytes per answer of n = 1,000 / 10,000 / 100,000 characters: our
   queue/data path versus Gradio's /call path (same server, same answer);
2. client CPU seconds: our provider through g4f versus raw aiohttp reading
   the same queue/data stream with ``json.loads`` per line;
3. overhead to the first chunk: median over 50 requests, ours minus raw;
4. start-up cost: ``python -c pass`` and ``import g4f`` with and without the
   installed plugin (its ``.pth`` hook), and ``from g4f.client import Client;
   import g4f.models`` with plugins on versus ``G4F_LOAD_PLUGINS=''``
   (registration itself), medians over 20 alternating runs
   (``--startup-only`` measures just these);
5. concurrency: 200 concurrent streams of n = 10,000 against one server;
6. a new process's time to the first chunk through a relay adding 100 ms per
   round trip, with the disk config cache cold (``/config`` first) and warm;
7. latency over TLS with an added round trip: ours, gradio_client and the
   floor, calls 2-20 of one process and a new process's first call, and the
   connections each opened (:mod:`bench.latency`, also runnable alone).

``--only lifecycle`` runs row 6 alone, ``--only latency`` row 7.

Every figure is a ratio or difference measured in the same run (shared,
noisy machines). Prints a table; writes ``results.json`` and ``results.png``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.offline import prepare_g4f_home  # noqa: E402

os.environ.update(prepare_g4f_home(Path(tempfile.mkdtemp(prefix="g4fqs-bench-"))))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import aiohttp  # noqa: E402

from bench import latency  # noqa: E402
from bench.wire import CountingProxy, DelayRelay, measure, via_call  # noqa: E402
from tests.apps.fakemodel import qvq_answer  # noqa: E402
from tests.servers import GradioServer, ensure_gradio  # noqa: E402

SIZES = (1_000, 10_000, 100_000)


def prompt(n: int) -> str:
    return f"LONG:{n} DELAY:0"


# -- the two client paths ------------------------------------------------------


async def ours_through_g4f(url: str, n: int, first_chunk: list | None = None) -> str:
    """Our provider as a g4f user streams it (AsyncClient, stream=True)."""
    from g4f.client import AsyncClient

    from g4f_qwen_spaces import Qwen_QVQ_72B

    os.environ[Qwen_QVQ_72B.url_env] = url
    client = AsyncClient(provider=Qwen_QVQ_72B)
    start = time.perf_counter()
    parts = []
    stream = client.chat.completions.create(
        model="qvq-72b", messages=[{"role": "user", "content": prompt(n)}], stream=True
    )
    if asyncio.iscoroutine(stream):
        stream = await stream
    async for chunk in stream:
        content = chunk.choices[0].delta.content if chunk.choices else None
        if content:
            if first_chunk is not None and not parts:
                first_chunk.append(time.perf_counter() - start)
            parts.append(content)
    return "".join(parts)


async def raw_baseline(url: str, n: int, first_chunk: list | None = None, prefix="/gradio_api", fn_index=1) -> str:
    """The floor: join, then read queue/data lines and json.loads each, nothing else."""
    start = time.perf_counter()
    session_hash = secrets.token_hex(6)
    final = None
    async with aiohttp.ClientSession() as session:
        body = {"data": [None, prompt(n)], "fn_index": fn_index, "session_hash": session_hash, "event_data": None}
        async with session.post(f"{url}{prefix}/queue/join", json=body) as response:
            await response.json()
        async with session.get(f"{url}{prefix}/queue/data", params={"session_hash": session_hash}) as response:
            async for line in response.content:
                if not line.startswith(b"data: "):
                    continue
                message = json.loads(line[6:])
                kind = message.get("msg")
                if kind == "process_generating" and first_chunk is not None and not first_chunk:
                    first_chunk.append(time.perf_counter() - start)
                if kind == "process_completed":
                    final = message["output"]["data"][0]
                    break
    return final


# -- measurements -----------------------------------------------------------------


def spread(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


async def wire_bytes(server: GradioServer, sizes) -> list[dict]:
    rows = []
    async with CountingProxy(server.port) as proxy:
        for n in sizes:
            expected = qvq_answer(None, None, prompt(n))
            ours, text = await measure(proxy, lambda url: ours_through_g4f(url, n))
            assert text == expected, f"our text differs at n={n}"
            call, data = await measure(proxy, lambda url: via_call(url, "/gradio_api", "generate", [None, prompt(n)]))
            assert data[0] == expected, f"/call text differs at n={n}"
            rows.append(
                {
                    "n": n,
                    "answer_chars": len(expected),
                    "ours_bytes": ours,
                    "call_bytes": call,
                    "ours_bytes_per_char": ours / len(expected),
                    "call_bytes_per_char": call / len(expected),
                    "call_over_ours": call / ours,
                }
            )
            print(f"  wire n={n:>7,}: ours {ours:>12,} B  /call {call:>14,} B  ratio {call / ours:6.1f}x", flush=True)
    return rows


async def cpu(server: GradioServer, sizes, repeat: int) -> list[dict]:
    rows = []
    await ours_through_g4f(server.url, 100)  # warm imports and the config cache
    for n in sizes:
        expected = qvq_answer(None, None, prompt(n))
        ours_t, raw_t = [], []
        for _ in range(repeat):
            t0 = time.process_time()
            assert await raw_baseline(server.url, n) == expected
            raw_t.append(time.process_time() - t0)
            t0 = time.process_time()
            assert await ours_through_g4f(server.url, n) == expected
            ours_t.append(time.process_time() - t0)
        ratio = statistics.median(ours_t) / statistics.median(raw_t)
        rows.append({"n": n, "ours_cpu_s": spread(ours_t), "raw_cpu_s": spread(raw_t), "ratio": ratio})
        print(f"  cpu  n={n:>7,}: ours {statistics.median(ours_t):.3f} s  raw {statistics.median(raw_t):.3f} s  ratio {ratio:.2f}x", flush=True)
    return rows


async def first_chunk(server: GradioServer, requests: int) -> dict:
    await ours_through_g4f(server.url, 100)
    ours, raw = [], []
    for _ in range(requests):
        mark: list = []
        await raw_baseline(server.url, 200, mark)
        raw.append(mark[0])
        mark = []
        await ours_through_g4f(server.url, 200, mark)
        ours.append(mark[0])
    diffs = [o - r for o, r in zip(ours, raw)]
    result = {
        "requests": requests,
        "ours_ms": spread([x * 1000 for x in ours]),
        "raw_ms": spread([x * 1000 for x in raw]),
        "overhead_ms_median": (statistics.median(ours) - statistics.median(raw)) * 1000,
        "paired_diff_ms": spread([d * 1000 for d in diffs]),
    }
    print(f"  first chunk: ours {result['ours_ms']['median']:.1f} ms  raw {result['raw_ms']['median']:.1f} ms  overhead {result['overhead_ms_median']:.1f} ms", flush=True)
    return result


FIRST_CHUNK_CHILD = r"""
import asyncio, json, time
async def main():
    import g4f.debug
    g4f.debug.version_check = False
    from g4f.client import AsyncClient
    from g4f_qwen_spaces import Qwen_QVQ_72B
    client = AsyncClient(provider=Qwen_QVQ_72B)
    t0 = time.perf_counter()
    stream = client.chat.completions.create(
        model="qvq-72b", messages=[{"role": "user", "content": "LONG:200 DELAY:0"}], stream=True)
    if asyncio.iscoroutine(stream):
        stream = await stream
    first = None
    async for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - t0
    print(json.dumps({"first_s": first}))
asyncio.run(main())
"""


def new_process_first_chunk(server: GradioServer, runs: int, out: Path) -> dict:
    """A new process's time from its call to the first chunk, config cache cold vs warm.

    Each run is a fresh interpreter (g4f's AsyncClient, streaming) talking to
    the Space through a relay that adds 100 ms to every round trip; the clock
    starts at the call (interpreter start and ``import g4f`` are row 4's).
    Cold: the disk cache folder is removed first; warm: it holds the config
    from the previous run. Runs alternate so both see the same machine noise.
    """
    import shutil

    home = out / "lifecycle-home"
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, **prepare_g4f_home(home), PYTHONPATH=str(ROOT))
    folder = home / "cache" / "g4f_qwen_spaces"

    async def relayed() -> dict:
        async with DelayRelay(server.port, 0.05) as relay:
            env["G4F_QWEN_QVQ_72B_URL"] = relay.url

            def child() -> float:
                done = subprocess.run([sys.executable, "-c", FIRST_CHUNK_CHILD], env=env, capture_output=True,
                                      text=True, timeout=120)
                if done.returncode:
                    raise RuntimeError(done.stderr[-2000:])
                return json.loads(done.stdout.strip().splitlines()[-1])["first_s"]

            await asyncio.to_thread(child)  # warm the page cache and the Space
            cold, warm = [], []
            for _ in range(runs):
                shutil.rmtree(folder, ignore_errors=True)
                cold.append(await asyncio.to_thread(child))
                warm.append(await asyncio.to_thread(child))
            return {"cold": cold, "warm": warm}

    times = asyncio.run(relayed())
    result = {
        "runs": runs,
        "added_rtt_ms": 100,
        "cold_ms": spread([x * 1000 for x in times["cold"]]),
        "warm_ms": spread([x * 1000 for x in times["warm"]]),
    }
    result["saved_ms_median"] = result["cold_ms"]["median"] - result["warm_ms"]["median"]
    print(f"  new process first chunk (+100 ms RTT): cold {result['cold_ms']['median']:.0f} ms  "
          f"warm {result['warm_ms']['median']:.0f} ms  saved {result['saved_ms_median']:.0f} ms", flush=True)
    return result


CONCURRENCY_SCRIPT = r"""
import asyncio, json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import bench.run as b
async def main(url, streams, n):
    await b.ours_through_g4f(url, 100)
    expected = b.qvq_answer(None, None, b.prompt(n))
    times, errors = [], []
    async def one():
        t0 = time.perf_counter()
        try:
            text = await b.ours_through_g4f(url, n)
            if text != expected:
                errors.append("text differs")
        except Exception as error:
            errors.append(repr(error))
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(streams)))
    wall = time.perf_counter() - t0
    times.sort()
    print(json.dumps({"streams": streams, "n": n, "wall_s": wall, "p50_s": statistics.median(times),
        "p99_s": times[min(len(times) - 1, int(len(times) * 0.99))], "errors": len(errors),
        "error_samples": errors[:3], "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
asyncio.run(main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


def concurrency(server: GradioServer, streams: int, n: int) -> dict:
    """In a process of its own, so peak RSS is the client's alone."""
    out = subprocess.run(
        [sys.executable, "-c", CONCURRENCY_SCRIPT, str(ROOT), server.url, str(streams), str(n)],
        capture_output=True, text=True, env=os.environ, timeout=900,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  concurrency {streams}×{n:,}: wall {result['wall_s']:.1f} s  p50 {result['p50_s']:.2f} s  p99 {result['p99_s']:.2f} s  "
          f"peak RSS {result['peak_rss_mb']:.0f} MB  errors {result['errors']}", flush=True)
    return result


#: What a g4f user's program does first; registration runs inside it.
CLIENT_MODELS = "from g4f.client import Client; import g4f.models"


def startup(runs: int, g4f_version: str, out: Path) -> dict:
    """python -c pass / import g4f, with the plugin's .pth and without (same venv)."""
    venv = out / f"venv-g4f-{g4f_version}"
    python = venv / "bin" / "python"
    wheel_dir = out / "wheel"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(wheel_dir), str(ROOT)],
                   check=True, capture_output=True)
    wheel = max(wheel_dir.glob("g4f_qwen_spaces-*.whl"), key=lambda p: p.stat().st_mtime)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"g4f=={g4f_version}", "pillow"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--force-reinstall", "--no-deps", str(wheel)], check=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    pth = site / "g4f_qwen_spaces_hook.pth"
    aside = site / "g4f_qwen_spaces_hook.pth.off"

    plugins_on = {k: v for k, v in os.environ.items() if k != "G4F_LOAD_PLUGINS"}
    plugins_off = {**plugins_on, "G4F_LOAD_PLUGINS": ""}

    def timed(code: str, env: dict = plugins_on) -> tuple[float, float]:
        """Wall and CPU (user+sys of the child) seconds of one interpreter run."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        # cwd: the output folder, not the checkout (whose package and egg-info
        # would shadow the installed ones through sys.path's '').
        subprocess.run([str(python), "-c", code], check=True, env=env, capture_output=True, cwd=str(out))
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    result = {}
    def without_pth(code: str) -> tuple[float, float]:
        pth.rename(aside)
        try:
            return timed(code)
        finally:
            aside.rename(pth)

    cases = (
        ("pass", "python_c_pass", without_pth),
        ("import g4f", "import_g4f", without_pth),
        (CLIENT_MODELS, "client_models", lambda code: timed(code, plugins_off)),
    )
    for code, key, off in cases:
        timed(code)  # warm the page cache
        off(code)
        with_, without = [], []
        for index in range(runs):
            # Alternate, and swap the order every other pair (ABBA): always
            # running one side first biases it by milliseconds on this machine.
            if index % 2 == 0:
                with_.append(timed(code))
                without.append(off(code))
            else:
                without.append(off(code))
                with_.append(timed(code))
        row = {}
        for index, measure_name in ((0, "wall"), (1, "cpu")):
            w = statistics.median(x[index] for x in with_)
            wo = statistics.median(x[index] for x in without)
            row[measure_name] = {
                "with_ms": spread([x[index] * 1000 for x in with_]),
                "without_ms": spread([x[index] * 1000 for x in without]),
                "delta_ms": (w - wo) * 1000,
                "delta_pct": (w - wo) / wo * 100,
            }
        row.update(delta_ms=row["wall"]["delta_ms"], delta_pct=row["wall"]["delta_pct"], runs=runs)
        result[key] = row
        print(f"  start-up {key}: wall with {row['wall']['with_ms']['median']:.1f} ms without "
              f"{row['wall']['without_ms']['median']:.1f} ms delta {row['wall']['delta_ms']:+.2f} ms "
              f"({row['wall']['delta_pct']:+.1f} %); cpu delta {row['cpu']['delta_ms']:+.2f} ms "
              f"({row['cpu']['delta_pct']:+.1f} %)", flush=True)
    return result


def startup_rows(startup_results: dict) -> list[str]:
    rows = []
    for key, label, on, off, goal in (
        ("python_c_pass", "`python -c pass`", "with hook", "without", "≤ 1 ms"),
        ("import_g4f", "`import g4f`", "with hook", "without", "≤ 5 %"),
        ("client_models", "`from g4f.client import Client; import g4f.models`", "plugins on",
         "`G4F_LOAD_PLUGINS=''`", "≤ 1 %"),
    ):
        r = startup_results[key]["wall"]
        rows.append(
            f"| start-up {label} (median of {startup_results[key]['runs']}) | | {r['with_ms']['median']:.1f} ms "
            f"{on} | {r['without_ms']['median']:.1f} ms {off} | {r['delta_ms']:+.1f} ms ({r['delta_pct']:+.2f} %) | {goal} |"
        )
    return rows


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wire = results["wire_bytes"]
    cpu_rows = results["client_cpu"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = [r["n"] for r in wire]
    left.loglog(ns, [r["ours_bytes"] for r in wire], "o-", label="ours: queue/data diffs")
    left.loglog(ns, [r["call_bytes"] for r in wire], "s-", label="/call: full text per event")
    left.set_xlabel("answer length n (characters)")
    left.set_ylabel("bytes received")
    left.set_title("Wire bytes (linear vs quadratic)")
    left.legend()
    ns = [r["n"] for r in cpu_rows]
    right.loglog(ns, [r["ours_cpu_s"]["median"] for r in cpu_rows], "o-", label="ours through g4f")
    right.loglog(ns, [r["raw_cpu_s"]["median"] for r in cpu_rows], "s-", label="raw aiohttp + json.loads")
    right.set_xlabel("answer length n (characters)")
    right.set_ylabel("client CPU seconds (median)")
    right.set_title("Client CPU")
    right.legend()
    figure.suptitle(f"g4f-qwen-spaces benchmark, {results['date']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def markdown(results: dict) -> str:
    """The README's table."""
    lines = [
        f"Measured {results['date']} on {results['machine']['cpus']} cores, {results['machine']['memory_gb']} GB, "
        f"Python {results['machine']['python']}, g4f {results['machine']['g4f']}, local Gradio {results['gradio']} "
        "(QVQ-shaped app, no sleeps).",
        "",
        "| what | n | ours | baseline | ratio / difference | goal |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["wire_bytes"]:
        lines.append(
            f"| wire bytes (B/char) | {r['n']:,} | {r['ours_bytes']:,} B ({r['ours_bytes_per_char']:.1f}) | "
            f"/call {r['call_bytes']:,} B ({r['call_bytes_per_char']:.1f}) | /call is {r['call_over_ours']:.1f}× ours | "
            f"{'≤ 1/10 of /call' if r['n'] == 10_000 else 'flat B/char'} |"
        )
    for r in results["client_cpu"]:
        lines.append(
            f"| client CPU s (median) | {r['n']:,} | {r['ours_cpu_s']['median']:.3f} | raw {r['raw_cpu_s']['median']:.3f} | "
            f"{r['ratio']:.2f}× | {'≤ 1.3×' if r['n'] == 100_000 else ''} |"
        )
    f = results["first_chunk"]
    lines.append(
        f"| first chunk (median of {f['requests']}) | 200 | {f['ours_ms']['median']:.1f} ms | raw {f['raw_ms']['median']:.1f} ms | "
        f"{f['overhead_ms_median']:+.1f} ms | ≤ 5 ms |"
    )
    lines.extend(startup_rows(results["startup"]))
    life = results.get("new_process_first_chunk")
    if life:
        lines.append(
            f"| first chunk of a new process, +100 ms per round trip (median of {life['runs']}) | 200 | "
            f"warm cache {life['warm_ms']['median']:.0f} ms | cold cache {life['cold_ms']['median']:.0f} ms | "
            f"{-life['saved_ms_median']:+.0f} ms | ≥ 1 round trip (100 ms) less |"
        )
    if results.get("latency"):
        lines.extend(latency.markdown_rows(results["latency"], results["date"]))
    c = results.get("concurrency")
    if not c:
        return "\n".join(lines) + "\n"
    lines.append(
        f"| {c['streams']} concurrent streams | {c['n']:,} | wall {c['wall_s']:.1f} s, p50 {c['p50_s']:.1f} s, p99 {c['p99_s']:.1f} s | "
        f"peak RSS {c['peak_rss_mb']:.0f} MB | {c['errors']} errors | 0 errors |"
    )
    return "\n".join(lines) + "\n"


def machine() -> dict:
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "g4f": version("g4f"),
        "aiohttp": version("aiohttp"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--only", choices=["lifecycle", "latency"],
                        help="run one row only (printed, written to <out>/<row>.json)")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up rows")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d"), "machine": machine()}
    print(f"machine: {results['machine']}", flush=True)
    if args.startup_only:
        results["startup"] = startup(5 if args.quick else 60, results["machine"]["g4f"], out)
        (out / "startup.json").write_text(json.dumps(results, indent=2))
        print("\n".join(startup_rows(results["startup"])))
        return 0
    ensure_gradio("5")
    if args.only == "latency":
        sys.argv = [sys.argv[0], "--out", str(out)] + (["--quick"] if args.quick else [])
        return latency.main()
    if args.only == "lifecycle":
        with GradioServer.start("qvq_space", "5", "--delay", "0") as server:
            results["gradio"] = server.version
            results["new_process_first_chunk"] = new_process_first_chunk(server, 3 if args.quick else 10, out)
        (out / "lifecycle.json").write_text(json.dumps(results, indent=2))
        return 0
    with GradioServer.start("qvq_space", "5", "--delay", "0", "--concurrency", "256") as server:
        results["gradio"] = server.version
        results["wire_bytes"] = asyncio.run(wire_bytes(server, SIZES))
        results["client_cpu"] = asyncio.run(cpu(server, SIZES, 1 if args.quick else 3))
        results["first_chunk"] = asyncio.run(first_chunk(server, 10 if args.quick else 50))
        results["concurrency"] = concurrency(server, 50 if args.quick else 200, 10_000)
        results["new_process_first_chunk"] = new_process_first_chunk(server, 3 if args.quick else 10, out)
    with GradioServer.start("qvq_space", "5", "--delay", "0") as server:
        results["latency"] = asyncio.run(latency.measure(server, 2 if args.quick else 7, 20, 0.1, out))
        latency.report(results["latency"])
    results["startup"] = startup(5 if args.quick else 60, results["machine"]["g4f"], out)
    wire10k = next(r for r in results["wire_bytes"] if r["n"] == 10_000)
    cpu100k = next(r for r in results["client_cpu"] if r["n"] == 100_000)
    flat = [r["ours_bytes_per_char"] for r in results["wire_bytes"]]
    results["goals"] = {
        "bytes_linear (B/char max/min <= 1.25)": max(flat) / min(flat) <= 1.25,
        "bytes <= 1/10 of /call at 10k": wire10k["call_over_ours"] >= 10,
        "cpu <= 1.3x raw at 100k": cpu100k["ratio"] <= 1.3,
        "first chunk overhead <= 5 ms": results["first_chunk"]["overhead_ms_median"] <= 5,
        "python -c pass delta <= 1 ms": results["startup"]["python_c_pass"]["delta_ms"] <= 1,
        "import g4f delta <= 5 %": results["startup"]["import_g4f"]["delta_pct"] <= 5,
        "client+models delta <= 1 % (plugins on vs off)": results["startup"]["client_models"]["delta_pct"] <= 1,
        "concurrency errors == 0": results["concurrency"]["errors"] == 0,
        "warm cache saves >= 1 round trip (100 ms)": results["new_process_first_chunk"]["saved_ms_median"] >= 100,
        **latency.goals(results["latency"]),
    }
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(markdown(results))
    plot(results, out / "results.png")
    print("\ngoals:")
    for goal, met in results["goals"].items():
        print(f"  {'met ' if met else 'MISS'}  {goal}")
    print(f"\nwrote {out / 'results.json'} and {out / 'results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
