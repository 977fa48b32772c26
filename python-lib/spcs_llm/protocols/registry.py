"""Model Registry services (``ModelVersion.create_service(..., ingress_enabled=True)``).

Each method is at ``/<method>`` with ``_`` turned into ``-``; bodies use the row format.
"""

import logging
import math

from ..errors import MalformedResponseError
from ..urls import method_path
from . import prompt_formats
from .base import ChatProtocol, Completion, EmbeddingProtocol, Embeddings
from .dss_messages import to_openai_messages, to_text_turns
from .openai_compat import output_token_limit, parse_chat_completion
from .registry_rows import column, decode_rows, encode_rows, maybe_json

logger = logging.getLogger(__name__)


class LegacyTextGenerationProtocol(ChatProtocol, EmbeddingProtocol):
    """``TEXT_GENERATION_*``: a Hugging Face ``text-generation`` pipeline, ``inputs`` -> ``outputs``.

    For embeddings it behaves like the Java plugin's sample embedding model: ``inputs`` ->
    ``outputs`` holding the vector as a string.
    """

    def __init__(self, mode, method=None, chat_template=None):
        self.name = mode
        self.path = method_path(method or "predict")
        self.format = prompt_formats.formatter_for(mode, chat_template)

    def chat_request(self, messages, settings):
        prompt = self.format(to_text_turns(messages))
        ignored = sorted(k for k, v in (settings or {}).items() if v not in (None, [], {}))
        if ignored:
            logger.debug("Settings %s cannot be sent to a text-generation pipeline service", ignored)
        return self.path, encode_rows([{"inputs": prompt}])

    def parse_chat(self, payload, request=None):
        prompt = request["data"][0][1]["inputs"] if request else None
        out = maybe_json(column(decode_rows(payload, 1)[0], "outputs"))
        if isinstance(out, list) and out and isinstance(out[0], list):
            out = out[0]  # num_return_sequences > 1 nests one level deeper
        if isinstance(out, list) and out and isinstance(out[0], dict):
            text = out[0].get("generated_text", "")
        elif isinstance(out, str):
            text = out
        else:
            raise MalformedResponseError("The text-generation answer 'outputs' has no generated_text.")
        if prompt and text.startswith(prompt):
            text = text[len(prompt):]  # pipelines return the prompt too unless return_full_text=False
        return Completion(text=text.strip(), finish_reason="STOP")

    def embed_request(self, texts):
        return self.path, encode_rows([{"inputs": t} for t in texts])

    def parse_embeddings(self, payload, count):
        vectors = [_vector(maybe_json(column(row, "outputs"))) for row in decode_rows(payload, count)]
        return Embeddings(vectors)


class RegistryOpenAIChatProtocol(ChatProtocol):
    """``REGISTRY_OPENAI_CHAT``: a registry model logged with ``OPENAI_CHAT_SIGNATURE`` (``__call__``)."""

    name = "REGISTRY_OPENAI_CHAT"

    def __init__(self, method=None):
        self.path = method_path(method or "__call__")

    def chat_request(self, messages, settings):
        settings = settings or {}
        if settings.get("tools"):
            logger.debug("The OpenAI chat signature has no tools column; tools are not sent")
        row = {
            "messages": to_openai_messages(messages, allow_images=True),
            "temperature": _float_or(settings.get("temperature"), 1.0),
            "max_completion_tokens": output_token_limit(settings) or 1024,  # the column is required
            "stop": list(settings.get("stopSequences") or []),
            "n": 1,
            "stream": False,
            "top_p": _float_or(settings.get("topP"), 1.0),
            "frequency_penalty": _float_or(settings.get("frequencyPenalty"), 0.0),
            "presence_penalty": _float_or(settings.get("presencePenalty"), 0.0),
        }
        return self.path, encode_rows([row])

    def parse_chat(self, payload, request=None):
        row = decode_rows(payload, 1)[0]
        if not isinstance(row, dict):
            raise MalformedResponseError("The OpenAI-signature answer row is not an object.")
        answer = {k: maybe_json(v) for k, v in row.items()}
        choices = answer.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict) and "message" in choices[0]:
            return parse_chat_completion(answer)
        raise MalformedResponseError("The OpenAI-signature answer has no choices[0].message.")


class SentenceTransformersProtocol(EmbeddingProtocol):
    """``REGISTRY_SENTENCE_TRANSFORMERS``: ``encode``, ``sentence`` -> ``output`` (list of floats)."""

    name = "REGISTRY_SENTENCE_TRANSFORMERS"

    def __init__(self, method=None):
        self.path = method_path(method or "encode")

    def embed_request(self, texts):
        return self.path, encode_rows([{"sentence": t} for t in texts])

    def parse_embeddings(self, payload, count):
        vectors = [_vector(maybe_json(column(row, "output"))) for row in decode_rows(payload, count)]
        return Embeddings(vectors)


def _vector(value):
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    if not isinstance(value, list) or not value:
        raise MalformedResponseError("An embedding in the registry answer is not a list of numbers.")
    try:
        vector = [float(x) for x in value]
    except (TypeError, ValueError):
        raise MalformedResponseError("An embedding in the registry answer holds non-numbers.") from None
    if not all(math.isfinite(x) for x in vector):
        raise MalformedResponseError("An embedding in the registry answer holds NaN or infinity.")
    return vector


def _float_or(value, default):
    return default if value is None else float(value)

