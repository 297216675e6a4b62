"""What a provider needs of a Space's endpoint, and what differs when the app changed.

Spaces are rewritten (the QVQ Space was, in 2025): an endpoint can vanish,
be renamed or take other components. A provider declares the endpoint it
needs as an :class:`EndpointShape` (the ``api_name`` and, slot by slot, the
component kinds it can use); :meth:`EndpointShape.differences` lists exactly
what the live config does otherwise, for the doctor and for the call's
one-line :class:`~.errors.SpaceChangedError`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import Endpoint, SpaceConfig
from .errors import SpaceChangedError, excerpt

__all__ = ["EndpointShape", "advice"]

#: One slot: the component kinds (Gradio ``type`` names) a provider can use there.
Kinds = tuple[str, ...]


def _kinds(kinds: Kinds) -> str:
    return " or ".join(kinds)


def _article(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


@dataclass(frozen=True)
class EndpointShape:
    """An endpoint as a provider needs it: its name and its input and output kinds."""

    api_name: str
    inputs: tuple[Kinds, ...]
    outputs: tuple[Kinds, ...]

    def describe(self) -> str:
        """``generate(image, textbox) → markdown or textbox``."""
        ins = ", ".join(_kinds(k) for k in self.inputs)
        outs = ", ".join(_kinds(k) for k in self.outputs)
        if len(self.outputs) != 1:
            outs = f"({outs})"
        return f"{self.api_name}({ins}) → {outs}"

    def differences(self, config: SpaceConfig) -> list[str]:
        """What the live endpoint does otherwise, one short phrase each ([] = as needed)."""
        endpoint = config.find(self.api_name)
        if endpoint is None:
            found = ", ".join(config.api_names()) or "none"
            return [f"no endpoint named {self.api_name!r} (api_names found: {excerpt(found, 200)})"]
        return self._compare("input", self.inputs, [c.type for c in endpoint.inputs]) + self._compare(
            "output", self.outputs, [c.type for c in endpoint.outputs]
        )

    @staticmethod
    def _compare(side: str, wanted: tuple[Kinds, ...], found: list[str]) -> list[str]:
        if len(found) != len(wanted):
            return [
                f"{side}s are ({', '.join(found) or 'none'}), expected "
                f"({', '.join(_kinds(k) for k in wanted)})"
            ]
        return [
            f"{side} {index} is {_article(kind)}, expected {_kinds(kinds)}"
            for index, (kind, kinds) in enumerate(zip(found, wanted, strict=True), 1)
            if kind not in kinds
        ]

    def resolve(self, config: SpaceConfig, env: str = "") -> Endpoint:
        """The endpoint, or :class:`SpaceChangedError` saying what differs and what to do."""
        differences = self.differences(config)
        endpoint = config.find(self.api_name)
        if endpoint is not None and not differences:
            return endpoint
        raise SpaceChangedError(
            f"The Space at {config.base_url} changed its app: {'; '.join(differences)}. "
            f"Needed: {self.describe()}. {advice(env)}",
            differences=differences,
            url=config.base_url,
        )


def advice(env: str) -> str:
    """What a user can do about a Space whose app changed."""
    where = env or "the provider's URL variable"
    return (
        f"Set {where} to a copy that still serves it (a duplicate made before the change), "
        "or report it to g4f-qwen-spaces"
    )
