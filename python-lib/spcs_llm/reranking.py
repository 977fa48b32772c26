"""Reranking: DSS's ``BaseRerankingModel`` calls, served by a cross-encoder in SPCS.

A query and its documents become one or more requests: the documents are cut by count
(``embeddingBatchSize``) and request size (``embeddingMaxRequestBytes``), the pieces are
sent concurrently (at most ``maxConcurrentRequests`` requests of this model in flight),
a piece the service refuses as too large is halved and sent again, and the scores are
merged and sorted best first. Tokens are the server's when it reports them, otherwise
estimated (and flagged as such).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from .client import ModelClient
from .batching.embedding_batcher import _merge, plan_batches  # a piece's scores merge as a batch's vectors do
from .errors import InvalidInputError, PayloadTooLargeError
from .modes import RERANKING
from .protocols.rerank import document_text, parts_text
from .tokens import count_or_estimate, estimate_tokens

logger = logging.getLogger(__name__)


def pair_tokens(query, documents):
    """Estimated tokens a cross-encoder reads: the query once per document, plus the document."""
    q = estimate_tokens(query)
    return sum(q + estimate_tokens(d) for d in documents)


def ranked(scores):
    """DSS's ``documents``: every input index with its score, best first (ties in input order)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return [{"index": i, "relevanceScore": scores[i]} for i in order]


def parse_rerank_query(query):
    """(query text, document texts) from DSS's ``{"queryParts", "documents": [{"parts"}]}``."""
    if not isinstance(query, dict):
        raise InvalidInputError("The reranking query must be an object with 'queryParts' and 'documents'.")
    text = parts_text(query.get("queryParts"), "queryParts")
    documents = query.get("documents")
    if documents is None:
        documents = []
    if not isinstance(documents, list):
        raise InvalidInputError("documents must be a list, got %s." % type(documents).__name__)
    return text, [document_text(d, i) for i, d in enumerate(documents)]


class RerankingClient(ModelClient):
    """A reranking model served by Snowpark Container Services."""

    capability = RERANKING

    def __init__(self, settings, transport=None):
        super().__init__(settings, transport)
        self.max_documents = self.protocol.max_documents or settings.embedding_batch_size
        slots = max(1, settings.max_concurrent_requests)
        self._pool = ThreadPoolExecutor(slots, thread_name_prefix="spcs-rerank")
        # Bounds this model's requests in flight, whether sent from the pool or the caller's thread.
        self._slots = threading.BoundedSemaphore(slots)

    def rerank(self, query, settings=None, trace=None):
        """The DSS reranking response for ``query``: documents best first, cost and usage."""
        text, documents = parse_rerank_query(query)
        if not documents:  # nothing to rank: no request, no cost
            return _response([], 0, False, 0.0)
        with self.bill() as bill:
            with self.span(trace, "spcs-reranking", documents=len(documents)) as span:
                scores, tokens, estimated = self.score(text, documents)
                if span is not None:
                    span.outputs.update({"promptTokens": tokens, "tokenCountsAreEstimated": estimated})
            bill.tokens(tokens)
        return _response(scores, tokens, estimated, bill.cost)

    def score(self, query, documents):
        """(score of each document in input order, prompt tokens, estimated?), over as many requests as needed."""
        plan = plan_batches([query + d for d in documents], self.max_documents,
                            self.settings.embedding_max_request_bytes)
        if len(plan) == 1:
            return self._send_counted(query, documents)
        futures = [self._pool.submit(self._send_counted, query, documents[a:b]) for a, b in plan]
        return _merge(f.result() for f in futures)  # submission order is input order

    def _send_counted(self, query, documents):
        with self._slots:
            return self._send(query, documents)

    def _send(self, query, documents):
        """One request; halved and sent again when the service refuses it as too large."""
        path, body = self.protocol.rerank_request(query, documents)
        try:
            ranking = self.protocol.parse_rerank(self.transport.post_json(path, body), len(documents))
        except PayloadTooLargeError:  # 413, or a 400/422 saying the list is too long (the transport tells)
            if len(documents) == 1:
                raise
            half = len(documents) // 2
            logger.info("A request of %d documents was refused as too large; splitting it", len(documents))
            return _merge([self._send(query, documents[:half]), self._send(query, documents[half:])])
        # A cross-encoder reads the query with each document: what a count is judged against.
        tokens, estimated = count_or_estimate(ranking.prompt_tokens, lambda: pair_tokens(query, documents),
                                              [query + d for d in documents])
        return ranking.scores, tokens, estimated

    def close(self):
        self._pool.shutdown(wait=False)
        super().close()


def _response(scores, tokens, estimated, cost):
    return {"documents": ranked(scores), "estimatedCost": cost, "tokenCountsAreEstimated": estimated,
            "totalUsage": {"promptTokens": tokens, "totalTokens": tokens, "estimatedCost": cost}}
