"""DSS entry point: adapts LLM Mesh calls to ``spcs_llm.SPCSModel``. Logic lives in python-lib."""

import asyncio

from dataiku.llm.python import BaseLLM

from spcs_llm.model import SPCSModel
from spcs_llm.settings import parse_settings

_END = object()


class MyLLM(BaseLLM):
    """A chat or embedding model hosted in Snowpark Container Services."""

    def set_config(self, config, plugin_config):
        self.model = SPCSModel(parse_settings(config, plugin_config))

    def get_max_parallelism(self):
        return self.model.max_parallelism

    def process(self, query, settings, trace):
        return self.model.complete(query, settings, trace)

    def process_stream(self, query, settings, trace):
        for item in self.model.stream(query, settings, trace):
            yield item

    def process_embeddings(self, query, settings, trace):
        return self.model.embed(query, settings, trace)

    async def aprocess(self, query, settings, trace):
        return await asyncio.to_thread(self.model.complete, query, settings, trace)

    async def aprocess_stream(self, query, settings, trace):
        items = self.model.stream(query, settings, trace)
        while True:
            item = await asyncio.to_thread(next, items, _END)
            if item is _END:
                return
            yield item
