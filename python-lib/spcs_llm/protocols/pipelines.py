"""Hugging Face pipeline tasks served from the Snowflake Model Registry (``__call__`` by default).

Each task builds one row from the conversation and renders the row it gets back as the
completion text. Tasks needing more than one input take them from the conversation:

- ``question-answering``: the question is the last user message, the context the system
  message(s); or the user message is JSON ``{"question": ..., "context": ...}``.
- ``zero-shot-classification``: the text is the last user message, the labels come from
  the ``candidateLabels`` setting; or the user message is JSON
  ``{"sequences": ..., "candidate_labels": [...]}``.
- ``table-question-answering``: the query is the last user message, the table (JSON, column
  -> list of values) the system message; or the user message is JSON ``{"query", "table"}``.
- ``text-classification``: an optional second text from JSON ``{"text": ..., "text_pair": ...}``.
- ``zero-shot-image-classification``: the image is the last user message's image part, the
  labels come from ``candidateLabels`` or from its text as JSON ``{"candidate_labels": [...]}``.
"""

import json
from dataclasses import dataclass
from typing import Callable

from ..wire import json_codec
from ..errors import InvalidInputError, MalformedResponseError
from ..wire.urls import method_path
from .answer_checks import expect_list, expect_object, parses_answer
from .base import ChatProtocol, Completion
from .dss_messages import Image
from .dss_settings import parse_call_settings
from .registry_rows import decode_rows, encode_rows, maybe_json


@dataclass(frozen=True)
class Task:
    """A pipeline task: how to build its row and how to render its answer."""

    task: str
    build: Callable  # (messages, labels) -> row dict
    render: Callable  # (row dict) -> text


def _last_user(messages):
    for m in reversed(messages):
        if m.role == "user":
            if m.images and not m.text:
                continue
            return m
    raise InvalidInputError("The conversation has no user message with text.")


def _system(messages):
    return "\n".join(m.text for m in messages if m.role == "system").strip()


def _json_message(text):
    """The user message as a JSON object, if it is one."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            value = json_codec.loads(stripped)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return None


def _given_text(given, key, task):
    """Field ``key`` of a JSON user message, which must be text (absent: None)."""
    value = given.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInputError("%s: the message's JSON field '%s' must be text, got %s."
                                % (task, key, "null" if value is None else type(value).__name__))
    return value


def _labels(value, task):
    """Candidate labels: a list of texts, or one text of comma-separated labels (as the pipeline takes them)."""
    if isinstance(value, str):
        value = [label.strip() for label in value.split(",") if label.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(label, str) for label in value):
        raise InvalidInputError("%s: 'candidate_labels' must be a list of texts, got %s."
                                % (task, type(value).__name__))
    return list(value)


def _text_only(messages, task):
    for m in messages:
        if m.images:
            raise InvalidInputError("The %s task accepts text only, but a %s message contains an image." % (task, m.role))


def _single(column, task):
    def build(messages, labels):
        _text_only(messages, task)
        text = _last_user(messages).text
        given = _json_message(text)
        if given is not None and column in given:
            return {column: _given_text(given, column, task)}
        return {column: text}
    return build


def _question_answering(messages, labels):
    _text_only(messages, "question-answering")
    text = _last_user(messages).text
    given = _json_message(text) or {}
    question = _given_text(given, "question", "question-answering") if given else text
    context = _given_text(given, "context", "question-answering") or _system(messages)
    if not question or not context:
        raise InvalidInputError(
            "question-answering needs a question and a context: put the context in a system message and ask the "
            "question as the user message, or send the user message as JSON {\"question\": ..., \"context\": ...}.")
    return {"question": question, "context": context}


def _zero_shot(messages, labels):
    _text_only(messages, "zero-shot-classification")
    text = _last_user(messages).text
    given = _json_message(text) or {}
    sequences = _given_text(given, "sequences", "zero-shot-classification") if given else text
    candidates = _labels(given.get("candidate_labels") or list(labels or []), "zero-shot-classification")
    if not sequences or not candidates:
        raise InvalidInputError(
            "zero-shot-classification needs candidate labels: set 'candidateLabels' (comma-separated) on the model, "
            "or send the user message as JSON {\"sequences\": ..., \"candidate_labels\": [...]}.")
    return {"sequences": sequences, "candidate_labels": list(candidates)}


def _table_question_answering(messages, labels):
    _text_only(messages, "table-question-answering")
    text = _last_user(messages).text
    given = _json_message(text) or {}
    query = _given_text(given, "query", "table-question-answering") if given else text
    table = given.get("table")
    if table is None and _system(messages):
        try:
            table = json_codec.loads(_system(messages))
        except ValueError:
            raise InvalidInputError("table-question-answering: the system message must be the table as JSON "
                                    "({\"column\": [values], ...}).") from None
    if not query or not isinstance(table, dict) or not table:
        raise InvalidInputError(
            "table-question-answering needs a query and a table: put the table as JSON ({\"column\": [values]}) in "
            "a system message and the question in the user message, or send JSON {\"query\": ..., \"table\": {...}}.")
    try:
        return {"query": query, "table": json.dumps(table)}
    except RecursionError:
        raise InvalidInputError("table-question-answering: the table is nested too deeply.") from None


def _text_classification(messages, labels):
    _text_only(messages, "text-classification")
    text = _last_user(messages).text
    given = _json_message(text)
    if given is not None and "text" in given:
        row = {"text": _given_text(given, "text", "text-classification")}
        if _given_text(given, "text_pair", "text-classification"):
            row["text_pair"] = given["text_pair"]
        return row
    return {"text": text}


def _zero_shot_image(messages, labels):
    message = None
    for m in reversed(messages):
        if m.role == "user" and m.images:
            message = m
            break
    if message is None:
        raise InvalidInputError("zero-shot-image-classification needs an image: add an inline image to the user "
                                "message (a multipart message).")
    image = message.images[-1]
    if not isinstance(image, Image):
        raise InvalidInputError("zero-shot-image-classification needs the image's bytes, but the message gives it by "
                                "URL (IMAGE_URI): send the image inline (IMAGE_INLINE) instead. The plugin does not "
                                "fetch URLs.")
    given = _json_message(message.text) or {}
    candidates = _labels(given.get("candidate_labels") or list(labels or []), "zero-shot-image-classification")
    if not candidates and message.text.strip() and not given:
        candidates = [c.strip() for c in message.text.split(",") if c.strip()]
    if not candidates:
        raise InvalidInputError("zero-shot-image-classification needs candidate labels: set 'candidateLabels', or "
                                "write them in the message's text as JSON {\"candidate_labels\": [...]}.")
    return {"image": image.data, "candidate_labels": list(candidates)}


# -- renderers: the row a service returns -> completion text -----------------------------


def _column(name, *alternatives):
    def get(row):
        for key in (name,) + alternatives:
            if isinstance(row, dict) and key in row:
                return maybe_json(row[key])
        raise MalformedResponseError("The registry answer has no output column '%s' (columns: %s). Check "
                                     "'modelHandlingMode'." % (name, ", ".join(sorted(row)) if isinstance(row, dict)
                                                              else type(row).__name__))
    return get


def _as_json(value):
    return json.dumps(value, ensure_ascii=False)


def _pick(items, keys):
    picked = []
    for i, item in enumerate(expect_list(items, "The pipeline answer")):
        item = expect_object(item, "The pipeline answer's item %d" % i)
        picked.append({k: item[k] for k in keys if k in item})
    return picked


def _render_fill_mask(row):
    out = _column("outputs")(row)
    return _as_json(_pick(out if isinstance(out, list) else [out], ("sequence", "score", "token", "token_str")))


def _render_entities(row):
    out = _column("outputs")(row)
    return _as_json(_pick(out if isinstance(out, list) else [out], ("entity", "entity_group", "word", "score",
                                                                     "start", "end")))


def _render_question_answering(row):
    if isinstance(row, dict) and "answer" in row:
        return str(row["answer"])
    answers = _column("outputs", "answers")(row)
    return _as_json(_pick(answers, ("answer", "score", "start", "end")))


def _render_text_classification(row):
    if isinstance(row, dict) and "label" in row:
        return _as_json({"label": row["label"], "score": row.get("score")})
    return _as_json(_pick(_column("outputs", "labels")(row), ("label", "score")))


def _render_table_question_answering(row):
    if not isinstance(row, dict) or "answer" not in row:
        raise MalformedResponseError("The table-question-answering answer has no 'answer' column.")
    # coordinates and cells are lists, which some services send as JSON text
    return _as_json({k: (maybe_json(row[k]) if k in ("coordinates", "cells") else row[k])
                     for k in ("answer", "coordinates", "cells", "aggregator") if k in row})


def _render_zero_shot(row):
    labels = expect_list(_column("labels")(row), "The classification answer's labels")
    scores = expect_list(_column("scores")(row), "The classification answer's scores")
    return _as_json([{"label": label, "score": score} for label, score in zip(labels, scores)])


def _render_image_labels(row):
    if isinstance(row, dict) and "scores" in row:
        return _render_zero_shot(row)
    labels = _column("labels", "outputs")(row)
    return _as_json(_pick(labels, ("label", "score")))


TASKS = {
    "REGISTRY_FILL_MASK": Task("fill-mask", _single("inputs", "fill-mask"), _render_fill_mask),
    "REGISTRY_TOKEN_CLASSIFICATION": Task("token-classification", _single("inputs", "token-classification"),
                                          _render_entities),
    "REGISTRY_QUESTION_ANSWERING": Task("question-answering", _question_answering, _render_question_answering),
    "REGISTRY_SUMMARIZATION": Task("summarization", _single("documents", "summarization"),
                                   lambda row: str(_column("summary_text")(row))),
    "REGISTRY_TABLE_QUESTION_ANSWERING": Task("table-question-answering", _table_question_answering,
                                              _render_table_question_answering),
    "REGISTRY_TEXT_CLASSIFICATION": Task("text-classification", _text_classification, _render_text_classification),
    "REGISTRY_TEXT2TEXT_GENERATION": Task("text2text-generation", _single("inputs", "text2text-generation"),
                                          lambda row: str(_column("generated_text")(row))),
    "REGISTRY_TRANSLATION": Task("translation", _single("inputs", "translation"),
                                 lambda row: str(_column("translation_text")(row))),
    "REGISTRY_ZERO_SHOT_CLASSIFICATION": Task("zero-shot-classification", _zero_shot, _render_zero_shot),
    "REGISTRY_ZERO_SHOT_IMAGE_CLASSIFICATION": Task("zero-shot-image-classification", _zero_shot_image,
                                                    _render_image_labels),
}


class PipelineTaskProtocol(ChatProtocol):
    """A registry service of one Hugging Face pipeline task, used as a completion model."""


    def __init__(self, mode, method=None, candidate_labels=()):
        self.name = mode
        self.task = TASKS[mode]
        self.path = method_path(method or "__call__")
        self.candidate_labels = tuple(candidate_labels or ())

    def chat_request(self, messages, settings):
        # A pipeline task takes no sampling settings, but a malformed one is refused in every mode.
        parse_call_settings(settings)
        return self.path, encode_rows([self.task.build(messages, self.candidate_labels)])

    @parses_answer
    def parse_chat(self, payload, request=None):
        row = decode_rows(payload, 1)[0]
        return Completion(text=self.task.render(row), finish_reason="STOP")
