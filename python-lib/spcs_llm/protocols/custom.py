"""``CUSTOM``: any service no preset covers, described by the admin.

The admin gives the method path, a request body template (JSON with ``{{placeholders}}``),
and JSONPath expressions to the answer text, the token counts and the vectors. With body
format ``ROWS`` the template is one row of the Snowflake row format (``{"data": [[0, row]]}``,
as Model Registry services and external / service functions take) and the paths apply to
each returned row; with ``JSON`` the template is the whole body and the paths apply to the
whole answer.

Placeholders for completions: ``{{prompt}}`` (the conversation as one prompt),
``{{messages}}`` (OpenAI-style list), ``{{last_user_message}}``, ``{{system}}``,
``{{temperature}}``, ``{{max_tokens}}``, ``{{top_p}}``, ``{{top_k}}``, ``{{stop}}``.
For embeddings: ``{{text}}`` (ROWS, one row per text) or ``{{texts}}`` (JSON, the list).
For reranking: ``{{query}}`` and ``{{documents}}`` (JSON, the list) or ``{{document}}`` (ROWS,
one row per document); the scores are found by ``customRerankScoresPath`` (JSON: every
score, in document order unless ``customRerankIndicesPath`` gives each score's document
index; ROWS: the score of each row) and the tokens by ``customPromptTokensPath``.
A string that is exactly one placeholder takes the value with its JSON type; inside a
longer string the value is written as text. Answers holding JSON as text (as pipeline
services do) are decoded first, so a path can reach inside them, e.g.
``$.outputs[0].generated_text``.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Optional

from jsonpath_ng.ext import parse as parse_jsonpath

from ..errors import ConfigError, InvalidInputError, MalformedResponseError
from ..wire.urls import method_path
from . import prompt_formats
from .answer_checks import float_vector, is_number, parses_answer
from .base import ChatProtocol, Completion, EmbeddingProtocol, Embeddings, Ranking, RerankProtocol
from .dss_messages import to_openai_messages, to_text_turns
from .dss_settings import parse_call_settings
from .registry_rows import decode_rows, encode_rows, maybe_json
from .rerank import scores_from_results

CHAT_PLACEHOLDERS = {"prompt", "messages", "last_user_message", "system", "temperature", "max_tokens", "top_p",
                     "top_k", "stop"}
EMBEDDING_PLACEHOLDERS = {"text", "texts"}
RERANK_PLACEHOLDERS = {"query", "documents", "document"}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class CustomSettings:
    """The admin's description of a custom service, validated."""

    body_format: str = "JSON"  # or "ROWS"
    chat_path: Optional[str] = None
    chat_template: Optional[object] = None  # parsed JSON
    answer_path: Optional[object] = None  # compiled JSONPath
    prompt_tokens_path: Optional[object] = None
    completion_tokens_path: Optional[object] = None
    embedding_path: Optional[str] = None
    embedding_template: Optional[object] = None
    vectors_path: Optional[object] = None
    prompt_format: str = "TEXT_GENERATION_OTHER"
    rerank_path: Optional[str] = None
    rerank_template: Optional[object] = None
    scores_path: Optional[object] = None  # compiled JSONPath
    score_indices_path: Optional[object] = None


def parse_custom_settings(config):
    """``CustomSettings`` from the ``custom*`` fields; ``ConfigError`` names the bad one."""
    body_format = (config.get("customBodyFormat") or "JSON").strip().upper()
    if body_format not in ("JSON", "ROWS"):
        raise ConfigError("customBodyFormat", "must be JSON or ROWS, got %r." % body_format)
    chat_template = _template(config, "customRequestTemplate", CHAT_PLACEHOLDERS)
    embedding_template = _template(config, "customEmbeddingRequestTemplate", EMBEDDING_PLACEHOLDERS)
    rerank_template = _template(config, "customRerankRequestTemplate", RERANK_PLACEHOLDERS)
    if chat_template is None and embedding_template is None and rerank_template is None:
        raise ConfigError("customRequestTemplate", "mode CUSTOM needs a request template for completions "
                                                   "('customRequestTemplate'), embeddings "
                                                   "('customEmbeddingRequestTemplate') or reranking "
                                                   "('customRerankRequestTemplate').")
    settings = CustomSettings(
        body_format=body_format,
        chat_template=chat_template,
        chat_path=_path(config, "customMethodPath") if chat_template is not None else None,
        answer_path=_jsonpath(config, "customAnswerPath", required=chat_template is not None),
        prompt_tokens_path=_jsonpath(config, "customPromptTokensPath"),
        completion_tokens_path=_jsonpath(config, "customCompletionTokensPath"),
        embedding_template=embedding_template,
        embedding_path=_path(config, "customEmbeddingMethodPath") if embedding_template is not None else None,
        vectors_path=_jsonpath(config, "customEmbeddingPath", required=embedding_template is not None),
        prompt_format=(config.get("customPromptFormat") or "TEXT_GENERATION_OTHER").strip(),
        rerank_template=rerank_template,
        rerank_path=_path(config, "customRerankMethodPath") if rerank_template is not None else None,
        scores_path=_jsonpath(config, "customRerankScoresPath", required=rerank_template is not None),
        score_indices_path=_jsonpath(config, "customRerankIndicesPath"),
    )
    if settings.prompt_format not in prompt_formats.FORMATS:
        raise ConfigError("customPromptFormat", "%r is not a known prompt format." % settings.prompt_format)
    if embedding_template is not None and body_format == "JSON" and "texts" not in _placeholders(embedding_template):
        raise ConfigError("customEmbeddingRequestTemplate", "with body format JSON, use {{texts}} for the list of "
                                                            "texts.")
    if embedding_template is not None and body_format == "ROWS" and "text" not in _placeholders(embedding_template):
        raise ConfigError("customEmbeddingRequestTemplate", "with body format ROWS, use {{text}} for each row's text.")
    if rerank_template is not None:
        _check_rerank_template(rerank_template, body_format)
    return settings


def _check_rerank_template(template, body_format):
    used = _placeholders(template)
    wanted = "documents" if body_format == "JSON" else "document"
    if "query" not in used or wanted not in used:
        raise ConfigError("customRerankRequestTemplate", "with body format %s, use {{query}} and {{%s}} (%s)." % (
            body_format, wanted, "the list of documents" if body_format == "JSON" else "each row's document"))


def _template(config, field, allowed):
    raw = config.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        template = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ConfigError(field, "is not valid JSON (%s)." % exc) from None
    unknown = _placeholders(template) - allowed
    if unknown:
        raise ConfigError(field, "has unknown placeholder(s) %s; known: %s." % (
            ", ".join("{{%s}}" % u for u in sorted(unknown)), ", ".join("{{%s}}" % a for a in sorted(allowed))))
    return template


def _placeholders(template):
    found = set()
    if isinstance(template, str):
        found.update(_PLACEHOLDER.findall(template))
    elif isinstance(template, dict):
        for k, v in template.items():
            found |= _placeholders(k) | _placeholders(v)
    elif isinstance(template, list):
        for v in template:
            found |= _placeholders(v)
    return found


def _path(config, field):
    raw = (config.get(field) or "").strip()
    if not raw:
        raise ConfigError(field, "is empty: enter the path the service answers on, e.g. /generate or predict.")
    return raw if raw.startswith("/") and "_" not in raw else method_path(raw)


def _jsonpath(config, field, required=False):
    raw = (config.get(field) or "").strip()
    if not raw:
        if required:
            raise ConfigError(field, "is empty: enter a JSONPath, e.g. $.choices[0].text or $.outputs.")
        return None
    try:
        return parse_jsonpath(raw)
    except Exception as exc:  # jsonpath-ng raises its parser error and plain exceptions (lexer)
        raise ConfigError(field, "is not a valid JSONPath (%s)." % exc) from None


def fill(template, values):
    """``template`` with its placeholders replaced by ``values`` (pure)."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template.strip())
        if whole:
            return values.get(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _as_text(values.get(m.group(1))), template)
    if isinstance(template, dict):
        return {fill(k, values): fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def _as_text(value):
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


class _DecodedObject(dict):
    """A JSON object that the answer held as text; ``source`` is that text."""

    source = ""


class _DecodedArray(list):
    """A JSON array that the answer held as text; ``source`` is that text."""

    source = ""


def _decode_nested(value):
    """``value`` with JSON text inside it decoded, so a JSONPath can reach into it (pure).

    Decoded text keeps its ``source``: an answer found there is returned as the service wrote it.
    """
    source = value if isinstance(value, str) and value.lstrip()[:1] in ("[", "{") else None
    if source is not None:
        value = maybe_json(source)
    if isinstance(value, dict):
        value = {k: _decode_nested(v) for k, v in value.items()}
        kind = _DecodedObject
    elif isinstance(value, list):
        value = [_decode_nested(v) for v in value]
        kind = _DecodedArray
    else:
        return value
    if source is None:
        return value
    decoded = kind(value)
    decoded.source = source
    return decoded


def _matches(path, value, what):
    """The values ``path`` finds in ``value``."""
    try:
        return [m.value for m in path.find(value)]
    except RecursionError:
        raise
    except Exception:  # jsonpath-ng raises what its filters raise (e.g. comparing text with a number)
        raise MalformedResponseError("'%s' (%s) cannot be applied to this answer." % (what, path)) from None


def _find(path, value, what):
    matches = _matches(path, _decode_nested(value), what)
    if not matches:
        raise MalformedResponseError("The answer has nothing at %s ('%s')." % (path, what))
    return matches[0]


def _first(path, value, what):
    return maybe_json(_find(path, value, what))


def _answer_text(path, value):
    """The text at ``customAnswerPath``: text verbatim (even if it reads as JSON), anything else as JSON."""
    found = _find(path, value, "customAnswerPath")
    if isinstance(found, str):
        return found
    if isinstance(found, (_DecodedObject, _DecodedArray)):
        return found.source
    return json.dumps(found, ensure_ascii=False)


class CustomProtocol(ChatProtocol, EmbeddingProtocol, RerankProtocol):
    """``CUSTOM``: request bodies from the admin's templates, answers found by JSONPath."""

    name = "CUSTOM"

    def __init__(self, custom):
        self.custom = custom
        self.supports_chat = custom.chat_template is not None
        self.supports_embeddings = custom.embedding_template is not None
        self.supports_reranking = custom.rerank_template is not None
        self.format = prompt_formats.formatter_for(custom.prompt_format)

    def chat_request(self, messages, settings):
        if not self.supports_chat:
            raise self.unsupported("completions (no 'customRequestTemplate')")
        call = parse_call_settings(settings)
        turns = to_text_turns(messages) if not any(m.images for m in messages) else None
        user = [m for m in messages if m.role == "user"]
        values = {
            "prompt": self.format(turns) if turns is not None else None,
            "messages": to_openai_messages(messages, allow_images=True),
            "last_user_message": user[-1].text if user else "",
            "system": "\n".join(m.text for m in messages if m.role == "system"),
            "temperature": call.temperature,
            "max_tokens": call.max_output_tokens,
            "top_p": call.top_p,
            "top_k": call.top_k,
            "stop": list(call.stop_sequences) or None,
        }
        if values["prompt"] is None and "prompt" in _placeholders(self.custom.chat_template):
            raise InvalidInputError("This custom template sends {{prompt}} as text, but the message contains an image.")
        row = fill(self.custom.chat_template, values)
        body = encode_rows([row]) if self.custom.body_format == "ROWS" else row
        return self.custom.chat_path, body

    @parses_answer
    def parse_chat(self, payload, request=None):
        value = decode_rows(payload, 1)[0] if self.custom.body_format == "ROWS" else payload
        c = self.custom
        return Completion(
            text=_answer_text(c.answer_path, value), finish_reason="STOP",
            prompt_tokens=_int_at(c.prompt_tokens_path, value),
            completion_tokens=_int_at(c.completion_tokens_path, value),
        )

    def embed_request(self, texts):
        if self.custom.body_format == "ROWS":
            return self.custom.embedding_path, encode_rows([fill(self.custom.embedding_template, {"text": t})
                                                            for t in texts])
        return self.custom.embedding_path, fill(self.custom.embedding_template, {"texts": list(texts)})

    @parses_answer
    def parse_embeddings(self, payload, count):
        path = self.custom.vectors_path
        if self.custom.body_format == "ROWS":
            vectors = [_first(path, row, "customEmbeddingPath") for row in decode_rows(payload, count)]
        else:
            vectors = [maybe_json(v) for v in _matches(path, payload, "customEmbeddingPath")]
            if len(vectors) == 1 and isinstance(vectors[0], list) and vectors[0] and isinstance(vectors[0][0], list):
                vectors = vectors[0]  # the path found the list of vectors itself
        if len(vectors) != count:
            raise MalformedResponseError("'customEmbeddingPath' found %d vectors for %d texts." % (len(vectors), count))
        return Embeddings([float_vector(v, "The vector at 'customEmbeddingPath'") for v in vectors])

    def rerank_request(self, query, documents):
        if not self.supports_reranking:
            raise self.unsupported("reranking (no 'customRerankRequestTemplate')")
        template = self.custom.rerank_template
        if self.custom.body_format == "ROWS":
            return self.custom.rerank_path, encode_rows([fill(template, {"query": query, "document": d})
                                                         for d in documents])
        return self.custom.rerank_path, fill(template, {"query": query, "documents": list(documents)})

    @parses_answer
    def parse_rerank(self, payload, count):
        c = self.custom
        if c.body_format == "ROWS":
            rows = decode_rows(payload, count)
            scores = [_first(c.scores_path, row, "customRerankScoresPath") for row in rows]
            tokens = [_int_at(c.prompt_tokens_path, row) for row in rows]
            total = sum(tokens) if tokens and None not in tokens else None
        else:
            scores = _all_at(c.scores_path, payload, "customRerankScoresPath")
            total = _int_at(c.prompt_tokens_path, payload)
        if c.score_indices_path is not None and c.body_format == "JSON":
            indices = _all_at(c.score_indices_path, payload, "customRerankIndicesPath")
            if len(indices) != len(scores):
                raise MalformedResponseError("'customRerankIndicesPath' found %d indices for %d scores."
                                             % (len(indices), len(scores)))
            results = [{"index": i, "score": s} for i, s in zip(indices, scores)]
        else:
            if len(scores) != count:
                raise MalformedResponseError("'customRerankScoresPath' found %d scores for %d documents."
                                             % (len(scores), count))
            results = [{"index": i, "score": s} for i, s in enumerate(scores)]
        return Ranking(scores_from_results(results, count, ("score",), "customRerankScoresPath"), total)


def _all_at(path, payload, what):
    """Every value at ``path``; one match holding a list stands for its items (e.g. ``$.scores``)."""
    found = [maybe_json(v) for v in _matches(path, _decode_nested(payload), what)]
    if len(found) == 1 and isinstance(found[0], list):
        return found[0]
    return found


def _int_at(path, value):
    """A token count at ``path``, or None when there is none or it is not a count."""
    if path is None:
        return None
    matches = _matches(path, value, "token count path")
    count = matches[0] if matches else None
    if not is_number(count) or not math.isfinite(count) or count < 0:
        return None
    return int(count)
