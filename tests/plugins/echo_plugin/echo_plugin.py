"""A trivial g4f provider, registered only through its ``g4f.providers`` entry point."""
from g4f.providers.base_provider import AsyncGeneratorProvider, ProviderModelMixin

ANSWER = "Hello from the echo plugin."


class Echo_Plugin_Test(AsyncGeneratorProvider, ProviderModelMixin):
    label = "Echo plugin (test)"
    url = "http://127.0.0.1:9"
    working = True
    supports_stream = True
    default_model = "echo-plugin-model"
    models = [default_model]
    model_aliases = {}

    @classmethod
    async def create_async_generator(cls, model, messages, **kwargs):
        for piece in ("Hello ", "from the ", "echo plugin."):
            yield piece
