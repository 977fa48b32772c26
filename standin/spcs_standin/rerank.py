"""Reranking services: three documented wire formats over one relevance model.

Kinds (PLATFORM.md section 2, "rerankers"):

- ``openai-rerank``: vLLM serving a reranker, ``POST /v1/rerank`` (also ``/rerank`` and
  ``/v2/rerank``), Jina/Cohere format ``{"model", "query", "documents": [str], "top_n"}``
  -> ``{"id", "model", "results": [{"index", "document": {"text"}, "relevance_score"}],
  "usage": {"total_tokens"}}``, results best first;
- ``tei-rerank``: text-embeddings-inference, ``POST /rerank`` ``{"query", "texts": [str]}``
  -> ``[{"index", "score"}]`` best first;
- ``registry-cross-encoder``: a cross-encoder in the Model Registry, rows
  ``[i, {"text": query, "text_pair": document}]`` -> ``[i, {"label", "score"}]`` (the
  Hugging Face text-classification signature), on ``/predict`` unless told otherwise.

The relevance of a document is the cosine between the embeddings of the query and of the
document, from the service's embedder (the real all-MiniLM-L6-v2, or the fast hash
embedder), so a test can compute the expected score itself. A document list longer than
``faults.max_batch`` is refused the way each server refuses it: 422 with a validation
message (Jina/Cohere servers validate the list with pydantic), 413 ``Validation`` (TEI's
``--max-client-batch-size``), 413 for too many rows (registry).

Handlers return ``(status, body)``; ``services.Service.handle`` wraps them into a Reply.
"""

from . import chat
from .embedders import get_embedder

KINDS = ("openai-rerank", "tei-rerank", "registry-cross-encoder")
OPENAI_PATHS = ("/v1/rerank", "/rerank", "/v2/rerank")


def relevance(embedder, query, documents):
    """Cosine of the query's embedding with each document's (the vectors are unit length)."""
    vectors = get_embedder(embedder).encode([query] + list(documents))
    q = vectors[0]
    return [sum(a * b for a, b in zip(q, v)) for v in vectors[1:]]


def pair_tokens(query, documents):
    """Tokens a cross-encoder reads: the query once per document, plus the document."""
    q = chat.count_tokens(query)
    return sum(q + chat.count_tokens(d) for d in documents)


def _best_first(scores):
    return sorted(range(len(scores)), key=lambda i: -scores[i])


def _strings(value):
    return isinstance(value, list) and all(isinstance(t, str) for t in value)


def openai_rerank(service, path, body):
    """vLLM's ``/v1/rerank`` (Jina/Cohere format)."""
    if path not in OPENAI_PATHS:
        return 404, {"error": {"message": "Not found: %s" % path}}
    query, documents = body.get("query"), body.get("documents")
    if not isinstance(query, str) or not _strings(documents):
        return 400, {"error": {"message": "'query' must be a string and 'documents' a list of strings",
                               "type": "BadRequestError", "code": 400}}
    if service.embedding_batch_too_large(len(documents)):
        return 422, {"detail": [{"type": "too_long", "loc": ["body", "documents"],
                                 "msg": "List should have at most %d items after validation, not %d" % (
                                     service.faults.max_batch, len(documents))}]}
    scores = relevance(service.embedder, query, documents) if documents else []
    service._count_items(len(documents))
    service._sleep(len(documents))
    order = _best_first(scores)
    top_n = body.get("top_n")
    if isinstance(top_n, int) and top_n > 0:
        order = order[:top_n]
    return 200, {"id": "rerank-%d" % service.counters["requests"], "model": service.model_name,
                 "results": [{"index": i, "document": {"text": documents[i]}, "relevance_score": scores[i]}
                             for i in order],
                 "usage": {"total_tokens": pair_tokens(query, documents)}}


def tei_rerank(service, path, body):
    """text-embeddings-inference's ``/rerank``."""
    if path != "/rerank":
        return 404, {"error": "Not found: %s" % path, "error_type": "NotFound"}
    query, texts = body.get("query"), body.get("texts")
    if not isinstance(query, str) or not _strings(texts):
        return 422, {"error": "Failed to deserialize the JSON body: 'query' must be a string and 'texts' a "
                              "list of strings", "error_type": "Validation"}
    if not texts:
        return 400, {"error": "`texts` cannot be empty", "error_type": "Empty"}
    if service.embedding_batch_too_large(len(texts)):
        return 413, {"error": "batch size %d > maximum allowed batch size %d" % (
            len(texts), service.faults.max_batch), "error_type": "Validation"}
    scores = relevance(service.embedder, query, texts)
    service._count_items(len(texts))
    service._sleep(len(texts))
    return 200, [{"index": i, "score": scores[i]} for i in _best_first(scores)]


def cross_encoder_rows(service, rows):
    """A registry cross-encoder over ``(text, text_pair)`` rows; rows may share or differ in query."""
    pairs = []
    for index, value in rows:
        if not isinstance(value, dict) or not isinstance(value.get("text"), str) \
                or not isinstance(value.get("text_pair"), str):
            return 400, {"message": "Each row must be {\"text\": str, \"text_pair\": str}."}
        pairs.append((index, value["text"], value["text_pair"]))
    if service.embedding_batch_too_large(len(pairs)):
        return 413, {"message": "Too many rows in one request."}
    scores = {}
    for query in dict.fromkeys(q for _, q, _ in pairs):  # one encoding of each distinct query
        mine = [(i, d) for i, q, d in pairs if q == query]
        scores.update(zip((i for i, _ in mine), relevance(service.embedder, query, [d for _, d in mine])))
    service._count_items(len(pairs))
    service._sleep(len(pairs))
    return 200, {"data": [[i, {"label": "LABEL_0", "score": scores[i]}] for i, _, _ in pairs]}
