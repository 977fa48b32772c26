"""DSS entry point: one class per LLM Mesh capability, each a thin adapter over python-lib.

DSS picks the class by its base class when the admin adds a model of that capability to
the Custom LLM connection: ``SPCSChatModel`` (chat), ``SPCSEmbeddingModel`` (text
embedding), ``SPCSRerankingModel`` (reranking). All logic lives in ``spcs_llm``.
"""

from dataiku.llm.python import BaseLLM

try:
    from dataiku.llm.python import BaseEmbeddingModel
except ImportError:  # some DSS 14 builds expose it only here
    try:
        from dataiku.llm.python.custom.base_embedding_model import BaseEmbeddingModel
    except ImportError:  # a DSS build without embedding models: chat must still load
        BaseEmbeddingModel = object
try:
    from dataiku.llm.python import BaseRerankingModel
except ImportError:  # a DSS build without reranking models: chat and embedding must still load
    BaseRerankingModel = object

from spcs_llm.chat import ChatClient
from spcs_llm.embedding import EmbeddingClient
from spcs_llm.reranking import RerankingClient
from spcs_llm.settings import parse_settings


class SPCSChatModel(BaseLLM):
    """A chat model hosted in Snowpark Container Services."""

    def set_config(self, config, plugin_config):
        self.client = ChatClient(parse_settings(config, plugin_config))

    def process(self, query, settings, trace):
        return self.client.complete(query, settings, trace)

    def process_stream(self, query, settings, trace):
        yield from self.client.stream(query, settings, trace)

    async def aprocess(self, query, settings, trace):
        return await self.client.run_async(self.client.complete, query, settings, trace)

    async def aprocess_stream(self, query, settings, trace):
        async for item in self.client.iterate_async(self.client.stream(query, settings, trace)):
            yield item


class SPCSEmbeddingModel(BaseEmbeddingModel):
    """A text embedding model hosted in Snowpark Container Services."""

    def set_config(self, config, plugin_config):
        self.client = EmbeddingClient(parse_settings(config, plugin_config))

    def process(self, query, settings, trace):
        return self.client.embed(query, settings, trace)

    async def aprocess(self, query, settings, trace):
        return await self.client.run_async(self.client.embed, query, settings, trace)


class SPCSRerankingModel(BaseRerankingModel):
    """A reranking model (cross-encoder) hosted in Snowpark Container Services."""

    def set_config(self, config, plugin_config):
        self.client = RerankingClient(parse_settings(config, plugin_config))

    def process(self, query, settings, trace):
        return self.client.rerank(query, settings, trace)

    async def aprocess(self, query, settings, trace):
        return await self.client.run_async(self.client.rerank, query, settings, trace)
