"""Stand-in for the older home of ``BaseEmbeddingModel`` (some DSS 14 builds)."""


class BaseEmbeddingModel(object):
    """Text embedding models."""
