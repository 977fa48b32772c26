"""Stand-in for ``dataiku.llm.python``: the three base classes DSS finds our models by.

DSS provides the real ones. They add nothing our classes rely on: DSS instantiates the
class, calls ``set_config`` once, then ``process`` / ``process_stream`` / ``aprocess`` /
``aprocess_stream``.
"""

from .custom.base_embedding_model import BaseEmbeddingModel  # noqa: F401


class BaseLLM(object):
    """Chat / completion models."""


class BaseRerankingModel(object):
    """Reranking models."""
