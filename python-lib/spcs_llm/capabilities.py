"""Which client serves which LLM Mesh capability: the library's twin of ``llm.py``'s classes.

For tools that run outside DSS (the doctor): they obtain a model by capability, as DSS
does, without importing DSS's base classes.
"""

from .chat import ChatClient
from .embedding import EmbeddingClient
from .reranking import RerankingClient

CLIENTS = {"chat": ChatClient, "embedding": EmbeddingClient, "reranking": RerankingClient}


def client_for(capability, settings, transport=None):
    """A configured client of ``capability`` ("chat", "embedding", ...)."""
    return CLIENTS[capability](settings, transport)
