"""``python -m g4f_qwen_spaces`` / ``g4f-plugins``: the doctor, and the editable-install hook.

The doctor answers "why don't I see the provider?": which plugins are
installed, where each one is registered in g4f, which Space URL each of our
providers uses and whether that Space answers. It exits non-zero when
anything is wrong, and prints JSON with ``--json``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import site
import sys
import sysconfig
from importlib import metadata
from pathlib import Path
from typing import Any

PTH_NAME = "g4f_qwen_spaces_hook.pth"
PTH_LINE = "import g4f_qwen_spaces_hook\n"

Report = dict[str, Any]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _hook_files() -> list[str]:
    folders = set(site.getsitepackages() + [site.getusersitepackages(), sysconfig.get_paths()["purelib"]])
    return sorted(str(Path(f) / PTH_NAME) for f in folders if (Path(f) / PTH_NAME).is_file())


def _import_layers() -> dict[str, str]:
    """Import each g4f layer module of the table; report the ones that cannot load here."""
    import importlib

    from .registry import LAYERS

    problems = {}
    for layer in LAYERS:
        try:
            importlib.import_module(layer.module)
        except Exception as error:  # noqa: BLE001 - reported, not raised
            problems[layer.key] = f"{type(error).__name__}: {error}"[:200]
    return problems


async def _probe(provider: Any, timeout: float) -> Report:
    """Check every copy in the provider's URL list; ``ok`` only when each one serves the endpoint."""
    from .space.errors import SpaceInputError

    try:
        urls = provider.space_urls()
    except SpaceInputError as error:
        return {"url": None, "ok": False, "error": str(error)}
    copies = [await _probe_url(provider, url, timeout) for url in urls]
    result: Report = {"url": urls[0], "override": bool(os.environ.get(provider.url_env)), "env": provider.url_env}
    result.update({k: v for k, v in copies[0].items() if k != "url"})
    result.update(ok=all(c["ok"] for c in copies), copies=copies)
    return result


async def _probe_url(provider: Any, url: str, timeout: float) -> Report:
    """Read one copy's live config and compare its endpoint with what the provider needs."""
    from .space import SpaceClient

    try:
        async with SpaceClient(url, timeout=timeout, url_hint=provider.url_env) as client:
            config = await client.config(refresh=True)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return {"url": url, "ok": False, "error": f"{type(error).__name__}: {error}"}
    return _compare(provider, url, config)


def _compare(provider: Any, url: str, config: Any) -> Report:
    """The copy's report: its endpoint, or exactly what differs and what a user can do."""
    from .space.errors import SpaceError
    from .space.shape import EndpointShape, advice

    shape = getattr(provider, "shape", None)
    if not isinstance(shape, EndpointShape) or not shape.api_name:  # a subclass without a shape
        try:
            endpoint = config.endpoint(provider.api_name)
        except SpaceError as error:
            return {"url": url, "ok": False, "gradio": config.version, "error": f"{type(error).__name__}: {error}"}
    else:
        try:
            endpoint = shape.resolve(config, provider.url_env)
        except SpaceError as error:
            return {
                "url": url, "ok": False, "gradio": config.version, "needs": shape.describe(),
                "differences": list(getattr(error, "differences", [])), "advice": advice(provider.url_env),
                "error": f"{type(error).__name__}: {error}",
            }
    return {"url": url, "ok": True, "gradio": config.version,
            "endpoint": f"{endpoint.api_name} (fn_index {endpoint.fn_index})"}


def diagnose(check_spaces: bool = True, timeout: float = 15.0) -> Report:
    """Everything the doctor knows, as plain data.

    Providers are looked up by their g4f name (the class's ``__name__``), the
    same rule registration applies, so any entry-point name works.
    """
    from . import registry

    report: Report = {
        "python": sys.version.split()[0],
        "g4f": _version("g4f"),
        "g4f_qwen_spaces": _version("g4f-qwen-spaces"),
        "G4F_LOAD_PLUGINS": os.environ.get("G4F_LOAD_PLUGINS"),
        "startup_hook": _hook_files(),
        "hook_loaded_at_startup": "g4f_qwen_spaces_hook" in sys.modules,
    }
    registry.activate()
    report["layers_unavailable"] = _import_layers()
    providers = []
    for entry in registry.entries():
        item: Report = {"name": entry.name, "target": entry.value, "distribution": entry.distribution}
        if entry.error:
            item["error"] = entry.error
        if entry.provider is not None and not entry.error:
            item["g4f_name"] = name = registry.g4f_name(entry.provider)
            item["registered_in"] = registry.status(name)
            if check_spaces and hasattr(entry.provider, "space_url"):
                item["space"] = asyncio.run(_probe(entry.provider, timeout))
        providers.append(item)
    report["providers"] = providers
    report["ok"] = _ok(report)
    return report


def _ok(report: Report) -> bool:
    if not report["providers"]:
        return False
    for item in report["providers"]:
        if "error" in item or not all(item.get("registered_in", {}).values()):
            return False
        if item.get("space", {}).get("ok") is False:
            return False
    return True


def _print(report: Report) -> None:
    mark = {True: "yes", False: "NO"}
    print(f"g4f {report['g4f']}  ·  g4f-qwen-spaces {report['g4f_qwen_spaces']}  ·  Python {report['python']}")
    hook = ", ".join(report["startup_hook"]) or "NOT INSTALLED (run: python -m g4f_qwen_spaces install-hook)"
    print(f"start-up hook: {hook}")
    if report["G4F_LOAD_PLUGINS"] is not None:
        print(f"G4F_LOAD_PLUGINS={report['G4F_LOAD_PLUGINS']!r}")
    for layer, problem in report["layers_unavailable"].items():
        print(f"layer {layer}: not available here ({problem})")
    if not report["providers"]:
        print("no g4f.providers entry points found (or none selected by G4F_LOAD_PLUGINS)")
    for item in report["providers"]:
        shown = item.get("g4f_name", item["name"])
        alias = f" (entry point {item['name']})" if shown != item["name"] else ""
        print(f"\n{shown}{alias}  = {item['target']}  [{item['distribution']}]")
        if "error" in item:
            print(f"  ERROR: {item['error']}")
        for layer, done in item.get("registered_in", {}).items():
            print(f"  {layer:<14} {mark[bool(done)]}")
        space = item.get("space")
        if space:
            where = space.get("url") or "-"
            if space.get("override"):
                where += f"  (from {space['env']})"
            print(f"  space          {where}")
            for copy in space.get("copies") or [space]:
                if len(space.get("copies") or ()) > 1:
                    print(f"    copy         {copy['url']}")
                if copy.get("ok"):
                    print(f"                 Gradio {copy['gradio']}, endpoint {copy['endpoint']}")
                elif "differences" in copy:
                    print(f"                 NOT OK: the app changed (Gradio {copy['gradio']})")
                    print(f"                 needed: {copy['needs']}")
                    for difference in copy["differences"]:
                        print(f"                   - {difference}")
                    print(f"                 what you can do: {copy['advice']}")
                else:
                    print(f"                 NOT OK: {copy.get('error')}")
    print("\nall good" if report["ok"] else "\nproblems found")


def install_hook(target: str | None = None) -> Path:
    """Write the start-up ``.pth`` (for editable installs, which do not carry it)."""
    folder = Path(target or sysconfig.get_paths()["purelib"])
    path = folder / PTH_NAME
    path.write_text(PTH_LINE)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="g4f-plugins", description="Check g4f provider plugins (g4f.providers entry points)."
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-network", action="store_true", help="do not contact the Spaces")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per Space probe")
    sub = parser.add_subparsers(dest="command")
    hook = sub.add_parser("install-hook", help="write the start-up .pth into site-packages (editable installs)")
    hook.add_argument("--target", help="folder to write to (default: this Python's site-packages)")
    args = parser.parse_args(argv)
    if args.command == "install-hook":
        print(install_hook(args.target))
        return 0
    report = diagnose(check_spaces=not args.no_network, timeout=args.timeout)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
