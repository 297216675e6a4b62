"""Session-scoped pytest fixtures serving the test Spaces from real Gradio servers.

Import into tests/conftest.py with ``from tests.gradio_fixtures import *``
(or list ``"tests.gradio_fixtures"`` in ``pytest_plugins``).

Fixtures (each value is a running :class:`tests.servers.GradioServer`: use
``.url``, ``.version``, ``.api_prefix``, ``.config()``):

``qvq_server``              QVQ app, params ["5", "6"], ids gradio5 / gradio6
``qwen2_server``            Qwen2 app, params ["4", "6"], ids gradio4 / gradio6
                            (chatbot: tuples on 4, messages with content parts on 6)
``qwen2_server_messages5``  Qwen2 app on gradio 5 with ``--chatbot-type messages``
                            (messages whose content is a plain string)
``gradio_server_factory``   ``factory(app, version, *args)`` -> cached server per
                            (app, version, args); ``factory.fresh(...)`` -> a new
                            uncached one (use that if the test kills it);
                            ``factory.prefetch([(app, version, args), ...])``.

Servers start lazily (the first test that needs one) and are stopped at the end
of the session.  On the first request, every server the collected tests need
(through the three fixed fixtures) is started in parallel threads.  Do not
``kill()`` a shared server; a killed cached server is restarted on the next
``factory(...)`` call, but a parametrised fixture keeps handing out its object.
"""

from __future__ import annotations

import pytest

from tests.servers import POOL, GradioServer, ServerPool

__all__ = [
    "gradio_pool",
    "gradio_server_factory",
    "qvq_server",
    "qwen2_server",
    "qwen2_server_messages5",
]

QVQ = "qvq_space"
QWEN2 = "qwen2_space"

# fixture name -> (app, version or None when parametrised, args)
_FIXED = {
    "qvq_server": (QVQ, None, ()),
    "qwen2_server": (QWEN2, None, ()),
    "qwen2_server_messages5": (QWEN2, "5", ("--chatbot-type", "messages")),
}

_prefetched = False


def _wanted_specs(session) -> list[tuple]:
    """Servers needed by the collected (and not deselected) tests."""
    specs = []
    for item in getattr(session, "items", ()) or ():
        names = getattr(item, "fixturenames", ())
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        for name, (app, version, args) in _FIXED.items():
            if name not in names:
                continue
            version = version or params.get(name)
            if version is None:
                continue
            spec = (app, str(version), args)
            if spec not in specs:
                specs.append(spec)
    return specs


def _get(request, app: str, version: str, args=()) -> GradioServer:
    global _prefetched
    if not _prefetched:
        _prefetched = True
        POOL.prefetch(_wanted_specs(request.session))
    return POOL.get(app, version, *args)


@pytest.fixture(scope="session")
def gradio_pool():
    """The process-wide :class:`ServerPool`; stops every server at session end."""
    global _prefetched
    _prefetched = False
    yield POOL
    POOL.close()


class GradioServerFactory:
    def __init__(self, pool: ServerPool) -> None:
        self.pool = pool

    def __call__(self, app: str, version: str, *args: str) -> GradioServer:
        return self.pool.get(app, version, *args)

    def fresh(self, app: str, version: str, *args: str) -> GradioServer:
        return self.pool.fresh(app, version, *args)

    def prefetch(self, specs) -> None:
        self.pool.prefetch(specs)


@pytest.fixture(scope="session")
def gradio_server_factory(gradio_pool) -> GradioServerFactory:
    """``factory("qvq_space", "5", "--show-error")`` -> running server (cached)."""
    return GradioServerFactory(gradio_pool)


@pytest.fixture(scope="session", params=["5", "6"], ids=["gradio5", "gradio6"])
def qvq_server(request, gradio_pool) -> GradioServer:
    return _get(request, QVQ, request.param)


@pytest.fixture(scope="session", params=["4", "6"], ids=["gradio4", "gradio6"])
def qwen2_server(request, gradio_pool) -> GradioServer:
    return _get(request, QWEN2, request.param)


@pytest.fixture(scope="session")
def qwen2_server_messages5(request, gradio_pool) -> GradioServer:
    return _get(request, QWEN2, "5", ("--chatbot-type", "messages"))
