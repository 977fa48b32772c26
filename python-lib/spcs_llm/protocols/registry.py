"""Model Registry services (``ModelVersion.create_service(..., ingress_enabled=True)``).

Each method is at ``/<method>`` with ``_`` turned into ``-``; bodies use the row format.
"""

import logging

from ..errors import MalformedResponseError
from ..wire.urls import method_path
from . import prompt_formats
from .answer_checks import float_vector, optional_str, parses_answer
from .base import ChatProtocol, Completion, EmbeddingProtocol, Embeddings
from .dss_messages import to_openai_messages, to_text_turns
from .dss_settings import parse_call_settings
from .openai_compat import parse_chat_completion
from .registry_rows import column, decode_rows, encode_rows, maybe_json

logger = logging.getLogger(__name__)

DEFAULT_MAX_COMPLETION_TOKENS = 1024


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
        ignored = parse_call_settings(settings).given()
        prompt = self.format(to_text_turns(messages))
        if ignored:
            logger.debug("Settings %s cannot be sent to a text-generation pipeline service", ignored)
        return self.path, encode_rows([{"inputs": prompt}])

    @parses_answer
    def parse_chat(self, payload, request=None):
        prompt = request["data"][0][1]["inputs"] if request else None
        out = maybe_json(column(decode_rows(payload, 1)[0], "outputs"))
        if isinstance(out, list) and out and isinstance(out[0], list):
            out = out[0]  # num_return_sequences > 1 nests one level deeper
        if isinstance(out, list) and out and isinstance(out[0], dict):
            text = optional_str(out[0].get("generated_text"), "The text-generation answer's generated_text") or ""
        elif isinstance(out, str):
            text = out
        else:
            raise MalformedResponseError("The text-generation answer 'outputs' has no generated_text.")
        if prompt and text.startswith(prompt):
            text = text[len(prompt):]  # pipelines return the prompt too unless return_full_text=False
        return Completion(text=text.strip(), finish_reason="STOP")

    def embed_request(self, texts):
        return self.path, encode_rows([{"inputs": t} for t in texts])

    @parses_answer
    def parse_embeddings(self, payload, count):
        vectors = [_vector(maybe_json(column(row, "outputs"))) for row in decode_rows(payload, count)]
        return Embeddings(vectors)


class RegistryOpenAIChatProtocol(ChatProtocol):
    """``REGISTRY_OPENAI_CHAT``: a registry model logged with ``OPENAI_CHAT_SIGNATURE`` (``__call__``)."""

    name = "REGISTRY_OPENAI_CHAT"

    def __init__(self, method=None):
        self.path = method_path(method or "__call__")

    def chat_request(self, messages, settings):
        call = parse_call_settings(settings)
        if call.tools:
            logger.debug("The OpenAI chat signature has no tools column; tools are not sent")
        # Every column of the signature must be given: unset settings take the signature's defaults
        # (and "no limit" on output tokens becomes its default limit).
        row = {
            "messages": to_openai_messages(messages, allow_images=True),
            "temperature": _float_or(call.temperature, 1.0),
            "max_completion_tokens": call.max_output_tokens or DEFAULT_MAX_COMPLETION_TOKENS,
            "stop": list(call.stop_sequences),
            "n": 1,
            "stream": False,
            "top_p": _float_or(call.top_p, 1.0),
            "frequency_penalty": _float_or(call.frequency_penalty, 0.0),
            "presence_penalty": _float_or(call.presence_penalty, 0.0),
        }
        return self.path, encode_rows([row])

    @parses_answer
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

    @parses_answer
    def parse_embeddings(self, payload, count):
        vectors = [_vector(maybe_json(column(row, "output"))) for row in decode_rows(payload, count)]
        return Embeddings(vectors)


def _vector(value):
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    return float_vector(value, "An embedding in the registry answer")


def _float_or(value, default):
    return default if value is None else float(value)

