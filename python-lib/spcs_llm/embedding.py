"""Embedding models: DSS embedding queries in, vectors in input order out.

``EmbeddingClient.embed`` answers ``process`` of the embedding class: ``{"text"}`` ->
``{"embedding"}``, ``{"queries": [...]}`` -> ``{"responses": [...]}``, with prompt tokens
and cost. Batching, fan-out and coalescing live in ``embedding_batcher``; this module sends
one request per batch it is handed.
"""

from .client import ModelClient
from .batching.embedding_batcher import EmbeddingBatcher
from .errors import InvalidInputError
from .modes import EMBEDDING
from .tokens import count_or_estimate, estimate_tokens


class EmbeddingClient(ModelClient):
    """A text embedding model served by Snowpark Container Services."""

    capability = EMBEDDING

    def __init__(self, settings, transport=None):
        super().__init__(settings, transport)
        self.batcher = EmbeddingBatcher(
            self._embed_batch, settings.embedding_batch_size, settings.embedding_max_request_bytes,
            settings.max_concurrent_requests, settings.coalesce_embeddings, settings.coalesce_wait_seconds)

    def embed(self, query, settings=None, trace=None):
        """The DSS embedding response for ``query`` (one text or a list of queries)."""
        single, texts = embedding_texts(query)
        with self.bill() as bill:
            with self.span(trace, "spcs-embedding", texts=len(texts)):
                vectors, tokens, estimated = self.embed_texts(texts)
            bill.tokens(tokens)
        common = {"promptTokens": tokens, "tokenCountsAreEstimated": estimated, "estimatedCost": bill.cost}
        if single:
            return dict(embedding=vectors[0], **common)
        return dict(responses=[{"embedding": v} for v in vectors], **common)

    def embed_texts(self, texts):
        """Vectors for ``texts`` in order, batched; returns (vectors, prompt tokens, estimated?)."""
        return self.batcher.embed(texts)

    def _embed_batch(self, texts):
        """One request for ``texts`` (the batcher splits a batch the service finds too large)."""
        path, body = self.protocol.embed_request(texts)
        result = self.protocol.parse_embeddings(self.transport.post_json(path, body), len(texts))
        tokens, estimated = count_or_estimate(result.prompt_tokens, lambda: sum(estimate_tokens(t) for t in texts),
                                              texts)
        return result.vectors, tokens, estimated

    def close(self):
        self.batcher.close()
        super().close()


def embedding_texts(query):
    """(single?, texts) of a DSS embedding query, validated; errors name the offending item."""
    if not isinstance(query, dict):
        raise InvalidInputError("The embedding query must be a dict with 'text' or 'queries'.")
    single = "queries" not in query
    items = [query] if single else query.get("queries")
    if not isinstance(items, list) or not items:
        raise InvalidInputError("The embedding query has no texts ('queries' is empty).")
    return single, [_embedding_text(item, i, single) for i, item in enumerate(items)]


def _embedding_text(item, i, single):
    where = "the text" if single else "queries[%d].text" % i
    if not isinstance(item, dict):
        raise InvalidInputError("%s: each embedding query must be an object with 'text'." % where)
    text = item.get("text")
    if text is None:
        raise InvalidInputError("%s is missing (None): nothing to embed." % where)
    if not isinstance(text, str):
        raise InvalidInputError("%s must be a string, got %s." % (where, type(text).__name__))
    if not text.strip():
        raise InvalidInputError("%s is empty or whitespace: nothing to embed." % where)
    return text
