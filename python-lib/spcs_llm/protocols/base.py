"""What a wire protocol provides, and the neutral result types they return."""

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


class Protocol:
    """A model service's wire format. Pure: builds bodies and parses answers, no I/O.

    ``chat_request(messages, settings)`` -> (path, body); ``parse_chat(payload, request)`` ->
    ``Completion``; ``embed_request(texts)`` -> (path, body); ``parse_embeddings(payload,
    count)`` -> ``Embeddings``. Streaming protocols also give ``stream_request`` and
    ``StreamParser``.
    """

    name = "?"
    supports_chat = True
    supports_embeddings = True
    supports_streaming = False
    #: Largest number of texts one embedding request may carry (None: the batch size setting).
    max_embedding_batch = None

    def chat_request(self, messages, settings):
        raise self._unsupported("completions")

    def parse_chat(self, payload, request=None):
        raise self._unsupported("completions")

    def embed_request(self, texts):
        raise self._unsupported("embeddings")

    def parse_embeddings(self, payload, count):
        raise self._unsupported("embeddings")

    def _unsupported(self, what):
        return InvalidInputError(
            "modelHandlingMode %s does not support %s. Pick a mode that matches the deployed model "
            "(see the README's table of modes)." % (self.name, what))


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
