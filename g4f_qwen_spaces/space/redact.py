"""The secrets in use (HF tokens), and their removal from every text we emit.

A token is registered while a client that holds it is open. Error messages
(through :func:`~.errors.excerpt` and :class:`~.errors.SpaceError`) and every
record of the ``g4f_qwen_spaces`` logger are redacted against all of them, so
a Space that echoes a token back cannot get it into a message or a log.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter

__all__ = ["redact", "register_secret", "release_secret", "RedactingFilter", "MASK", "check_header_value"]

MASK = "***"
#: Shorter strings are not treated as secrets: masking them would garble text.
MIN_SECRET = 6

_active: Counter[str] = Counter()
_lock = threading.Lock()


def register_secret(secret: str) -> None:
    if len(secret) >= MIN_SECRET:
        with _lock:
            _active[secret] += 1


def release_secret(secret: str) -> None:
    with _lock:
        if _active.get(secret, 0) > 1:
            _active[secret] -= 1
        else:
            _active.pop(secret, None)


def redact(text: str) -> str:
    """``text`` with every active secret replaced by ``***``."""
    if not _active:
        return text
    with _lock:
        secrets = sorted(_active, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def check_header_value(value: str, what: str) -> None:
    """Refuse control characters (CR/LF split headers and requests) up front."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        from .errors import SpaceInputError

        raise SpaceInputError(f"{what} contains control characters (such as a line break); refused")


class RedactingFilter(logging.Filter):
    """Redacts the formatted message of each record (and drops its args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _active:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def install_filter(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
