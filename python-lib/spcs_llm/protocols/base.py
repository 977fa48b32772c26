"""One contract per capability, and the neutral result types the wire formats return.

A wire format (one module per kind of service) subclasses the contracts of the
capabilities it serves: ``ChatProtocol`` (``chat_request`` / ``parse_chat``, and
``stream_parser`` when ``supports_streaming``), ``EmbeddingProtocol`` (``embed_request`` /
``parse_embeddings``) and ``RerankProtocol`` (``rerank_request`` / ``parse_rerank``). They
are pure: they build bodies and parse answers, and never do I/O.
"""

from dataclasses import dataclass, field
from typing import List, Optional

from ..errors import InvalidInputError


@dataclass
class Completion:
    """A parsed chat answer, before DSS shaping and cost."""

    text: str = ""
    tool_calls: List[dict] = field(default_factory=list)  # DSS shape
    finish_reason: Optional[str] = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None


@dataclass
class Embeddings:
    """Vectors in input order and the prompt tokens the server reported (None if it did not)."""

    vectors: List[List[float]]
    prompt_tokens: Optional[int] = None


@dataclass
class Ranking:
    """Scores of one request's documents in request order, and the tokens the server counted (None if not)."""

    scores: List[float]
    prompt_tokens: Optional[int] = None


class Protocol:
    """What every wire format has: a name and the capabilities it serves."""

    name = "?"
    supports_chat = False
    supports_streaming = False
    supports_embeddings = False
    supports_reranking = False

    def serves(self, capability):
        """Whether this format serves ``capability`` ("chat", "embedding" or "reranking")."""
        return {"chat": self.supports_chat, "embedding": self.supports_embeddings,
                "reranking": self.supports_reranking}[capability]

    def unsupported(self, what):
        """The error for a capability this mode does not serve."""
        return InvalidInputError(
            "modelHandlingMode %s does not support %s. Pick a mode that matches the deployed model "
            "(see the README's table of modes)." % (self.name, what))


class ChatProtocol(Protocol):
    """Chat: ``chat_request(messages, settings)`` -> (path, body); ``parse_chat`` -> ``Completion``.

    Streaming formats set ``supports_streaming``, accept ``stream=True`` in ``chat_request``
    and give a ``stream_parser()`` whose ``feed(payload)`` returns new text and whose
    ``result()`` returns the whole ``Completion``.
    """

    supports_chat = True

    def chat_request(self, messages, settings):
        raise NotImplementedError

    def parse_chat(self, payload, request=None):
        raise NotImplementedError


class EmbeddingProtocol(Protocol):
    """Embeddings: ``embed_request(texts)`` -> (path, body); ``parse_embeddings(payload, count)``."""

    supports_embeddings = True

    def embed_request(self, texts):
        raise NotImplementedError

    def parse_embeddings(self, payload, count):
        raise NotImplementedError


class RerankProtocol(Protocol):
    """Reranking: ``rerank_request(query, documents)`` -> (path, body); ``parse_rerank(payload, count)``."""

    supports_reranking = True
    #: Largest number of documents one request may carry (None: the ``embeddingBatchSize`` setting).
    max_documents = None

    def rerank_request(self, query, documents):
        raise NotImplementedError

    def parse_rerank(self, payload, count):
        raise NotImplementedError


FINISH_REASONS = {
    "stop": "STOP",
    "length": "LENGTH",
    "tool_calls": "TOOL_CALLS",
    "function_call": "TOOL_CALLS",
    "content_filter": "CONTENT_FILTER",
}


def dss_finish_reason(reason):
    """DSS's upper-case finish reason for an OpenAI one (unknown ones pass through upper-cased)."""
    if reason is None:
        return None
    return FINISH_REASONS.get(str(reason), str(reason).upper())
