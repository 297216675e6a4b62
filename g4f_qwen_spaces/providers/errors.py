"""The Space client's errors as g4f error types: one class per kind, one translation.

The Space client (``..space``) raises its own family, rooted at
:class:`~..space.errors.SpaceError` and free of g4f. At the provider boundary
:func:`translate` re-raises each as a class that is *both* that kind and its
g4f parent, so ``except RateLimitError`` (g4f's retry layers, circuit
breakers) and ``except SpaceQuotaError`` (our users) both keep working.
"""
from __future__ import annotations

from g4f.errors import (
    G4FError,
    MissingAuthError,
    RateLimitError,
    ResponseError,
    ResponseStatusError,
)
from g4f.errors import (
    TimeoutError as G4FTimeoutError,
)

from ..space import errors as space
from ..space.redact import MASK

__all__ = ["translate", "redact_chain", "G4F_CLASSES"]


class SpaceError(space.SpaceError, ResponseError):
    """A Space call failed (g4f: ResponseError)."""


class SpaceConnectionError(space.SpaceConnectionError, ResponseError):
    """The Space could not be reached (g4f: ResponseError)."""


class SpaceStatusError(space.SpaceStatusError, ResponseStatusError):
    """An HTTP error, a refused redirect or an HTML page (g4f: ResponseStatusError)."""


class SpaceAsleepError(space.SpaceAsleepError, ResponseStatusError):
    """Still asleep, starting or building at the wake limit (g4f: ResponseStatusError)."""


class SpaceDownError(space.SpaceDownError, ResponseStatusError):
    """Paused, crashed, failed to build or being deleted (g4f: ResponseStatusError)."""


class SpaceAuthError(space.SpaceAuthError, MissingAuthError):
    """Private or gated Space (g4f: MissingAuthError)."""


class SpaceQuotaError(space.SpaceQuotaError, RateLimitError):
    """Queue full or quota exhausted (g4f: RateLimitError)."""


class SpaceAppError(space.SpaceAppError, ResponseError):
    """The Space's app raised (g4f: ResponseError)."""


class SpaceProtocolError(space.SpaceProtocolError, ResponseError):
    """Not Gradio's protocol (g4f: ResponseError)."""


class SpaceLimitError(space.SpaceLimitError, ResponseError):
    """Over a size bound (g4f: ResponseError)."""


class SpaceChangedError(space.SpaceChangedError, ResponseError):
    """The Space's app changed: the endpoint is gone or different (g4f: ResponseError)."""


class SpaceTimeoutError(space.SpaceTimeoutError, G4FTimeoutError):
    """Stall or deadline (g4f: TimeoutError)."""


class SpaceInputError(space.SpaceInputError, G4FError):
    """Bad request, refused before sending (g4f: G4FError, and ValueError)."""


#: Space kind -> its g4f-typed class (most specific kinds first).
G4F_CLASSES: dict[type[space.SpaceError], type[space.SpaceError]] = {
    space.SpaceLimitError: SpaceLimitError,
    space.SpaceChangedError: SpaceChangedError,
    space.SpaceConnectionError: SpaceConnectionError,
    space.SpaceAsleepError: SpaceAsleepError,
    space.SpaceDownError: SpaceDownError,
    space.SpaceStatusError: SpaceStatusError,
    space.SpaceAuthError: SpaceAuthError,
    space.SpaceQuotaError: SpaceQuotaError,
    space.SpaceAppError: SpaceAppError,
    space.SpaceProtocolError: SpaceProtocolError,
    space.SpaceTimeoutError: SpaceTimeoutError,
    space.SpaceInputError: SpaceInputError,
    space.SpaceError: SpaceError,
}


def translate(error: space.SpaceError) -> space.SpaceError:
    """The same error as its g4f-typed class (attributes, cause and traceback kept)."""
    if isinstance(error, G4FError):  # already g4f-typed (G4FError is Any to mypy)
        already: space.SpaceError = error
        return already
    kind = next(g4f for ours, g4f in G4F_CLASSES.items() if isinstance(error, ours))
    typed: space.SpaceError = kind.__new__(kind)
    typed.__dict__.update(error.__dict__)
    typed.args = error.args
    typed.__cause__ = error.__cause__
    typed.__suppress_context__ = True
    return typed.with_traceback(error.__traceback__)


def redact_chain(error: BaseException, token: str | None) -> None:
    """Remove the token from every message in an exception's chain, in place."""
    if not token:
        return
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(isinstance(a, str) and token in a for a in current.args):
            current.args = tuple(a.replace(token, MASK) if isinstance(a, str) else a for a in current.args)
        current = current.__cause__ or current.__context__
