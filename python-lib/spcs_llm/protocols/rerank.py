"""Wire formats of reranking services (cross-encoders), pure: build a request, parse its answer.

Each protocol gives ``rerank_request(query, documents)`` -> (path, body) and
``parse_rerank(payload, count)`` -> ``Ranking``, the score of each document of that request
in request order. Sorting, splitting large lists and merging belong to the caller.

- ``OpenAIRerankProtocol`` (``OPENAI_COMPATIBLE``): vLLM's ``POST /v1/rerank``, the
  Jina/Cohere format ``{"model", "query", "documents", "top_n"}`` ->
  ``{"results": [{"index", "relevance_score"}], "usage"}``;
- ``TEIRerankProtocol`` (``TEXT_EMBEDDINGS_INFERENCE``): text-embeddings-inference's
  ``POST /rerank`` ``{"query", "texts"}`` -> ``[{"index", "score"}]``;
- ``CrossEncoderProtocol`` (``REGISTRY_CROSS_ENCODER``): a cross-encoder in the Model
  Registry, one row ``{"text": query, "text_pair": document}`` per document -> ``score``.

``CUSTOM`` reranking lives with the other custom templates in ``custom.py``.
"""

import math
import reprlib

from ..errors import InvalidInputError, MalformedResponseError
from ..wire.urls import method_path
from .answer_checks import parses_answer
from .base import Ranking, RerankProtocol
from .registry_rows import decode_rows, encode_rows, maybe_json


def scores_from_results(results, count, score_keys, where):
    """Scores in request order from ``[{"index", <score key>}, ...]``; every index exactly once."""
    if not isinstance(results, list):
        raise MalformedResponseError("The reranking answer has no list of results (%s)." % where)
    scores = [None] * count
    for item in results:
        index = item.get("index") if isinstance(item, dict) else None
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise MalformedResponseError("A reranking result has no valid 'index' for %d documents (%s)."
                                         % (count, where))
        if scores[index] is not None:
            raise MalformedResponseError("The reranking answer scores document %d twice (%s)." % (index, where))
        scores[index] = _score(next((item[k] for k in score_keys if k in item), None), where)
    missing = [i for i, s in enumerate(scores) if s is None]
    if missing:
        raise MalformedResponseError("The reranking answer has no score for %d of %d documents (first: %d) (%s)."
                                     % (len(missing), count, missing[0], where))
    return scores


def _shown(value):
    shown = reprlib.Repr()
    shown.maxstring = shown.maxother = 40
    return shown.repr(value)


def _score(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        # Shortened: a server may put a whole document where the score belongs.
        raise MalformedResponseError("A reranking score is not a finite number: %s (%s)." % (_shown(value), where))
    return float(value)


def _usage_tokens(usage):
    """Tokens a reranker reports: all of them are input, so ``prompt_tokens`` or else ``total_tokens``."""
    if not isinstance(usage, dict):
        return None
    for key in ("prompt_tokens", "total_tokens"):
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


class OpenAIRerankProtocol(RerankProtocol):
    """``OPENAI_COMPATIBLE``: ``POST /v1/rerank`` as vLLM (and Jina, Cohere, infinity) serve it.

    ``openai_compat.OpenAICompatibleProtocol`` inherits it, so one mode serves all three capabilities.
    """

    name = "OPENAI_COMPATIBLE"
    rerank_path = "/v1/rerank"

    def __init__(self, model_name=None):
        self.model_name = model_name

    def rerank_request(self, query, documents):
        # top_n = all: the caller merges several requests, so it needs every score.
        body = {"query": query, "documents": list(documents), "top_n": len(documents)}
        if self.model_name:
            body["model"] = self.model_name
        return self.rerank_path, body

    @parses_answer
    def parse_rerank(self, payload, count):
        results = payload.get("results") if isinstance(payload, dict) else None
        scores = scores_from_results(results, count, ("relevance_score", "score"), "results[].relevance_score")
        return Ranking(scores, _usage_tokens(payload.get("usage")))


class TEIRerankProtocol(RerankProtocol):
    """``TEXT_EMBEDDINGS_INFERENCE``: text-embeddings-inference's ``POST /rerank``."""

    name = "TEXT_EMBEDDINGS_INFERENCE"
    rerank_path = "/rerank"

    def rerank_request(self, query, documents):
        return self.rerank_path, {"query": query, "texts": list(documents)}

    @parses_answer
    def parse_rerank(self, payload, count):
        # TEI reports its token count in an x-compute-tokens header only: the caller estimates.
        return Ranking(scores_from_results(payload, count, ("score",), "[].score"))


class CrossEncoderProtocol(RerankProtocol):
    """``REGISTRY_CROSS_ENCODER``: ``(text, text_pair)`` rows in the registry row format."""

    name = "REGISTRY_CROSS_ENCODER"

    def __init__(self, method=None):
        self.path = method_path(method or "predict")

    def rerank_request(self, query, documents):
        return self.path, encode_rows([{"text": query, "text_pair": d} for d in documents])

    @parses_answer
    def parse_rerank(self, payload, count):
        return Ranking([_row_score(row) for row in decode_rows(payload, count)])


def _row_score(row):
    """The score of one output row: column ``score`` (text-classification signature) or the only column."""
    value = maybe_json(row)
    if isinstance(value, dict):
        if "score" in value:
            value = value["score"]
        elif len(value) == 1:
            value = next(iter(value.values()))
        else:
            raise MalformedResponseError("The cross-encoder answer has no output column 'score' (columns: %s). "
                                         "Check 'modelHandlingMode' and 'registryMethod'." % ", ".join(sorted(value)))
    value = maybe_json(value)
    if isinstance(value, list) and len(value) == 1:  # a one-label classification as a list of labels
        value = value[0].get("score") if isinstance(value[0], dict) else value[0]
    return _score(value, "row score")


def document_text(document, i):
    """The text of ``documents[i]`` (its TEXT parts joined); names the document when it has none."""
    if not isinstance(document, dict):
        raise InvalidInputError("documents[%d] must be an object with 'parts'." % i)
    return parts_text(document.get("parts"), "documents[%d].parts" % i)


def parts_text(parts, field):
    """TEXT parts joined (as Dataiku's own reranker does); ``InvalidInputError`` naming ``field`` if empty."""
    if parts is None:
        raise InvalidInputError("%s is missing: there is no text to rank." % field)
    if not isinstance(parts, list):
        raise InvalidInputError("%s must be a list of parts, got %s." % (field, type(parts).__name__))
    texts = []
    for j, part in enumerate(parts):
        if not isinstance(part, dict):
            raise InvalidInputError("%s[%d] must be an object with 'type' and 'text'." % (field, j))
        if part.get("type", "TEXT") != "TEXT":
            raise InvalidInputError("%s[%d] has type %r: a reranker reads text only." % (field, j, part.get("type")))
        text = part.get("text")
        if text is not None and not isinstance(text, str):
            raise InvalidInputError("%s[%d].text must be a string, got %s." % (field, j, type(text).__name__))
        texts.append(text or "")
    text = "".join(texts)
    if not text.strip():
        raise InvalidInputError("%s has no text: nothing to rank." % field)
    return text
