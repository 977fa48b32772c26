"""Model services behind the ingress, each speaking one documented wire format.

Kinds: ``openai`` (``/v1/chat/completions`` with SSE, ``/v1/embeddings``),
``registry-text-generation`` (``/predict``, ``inputs`` -> ``outputs`` JSON text),
``registry-legacy-embedding`` (``/predict``, ``inputs`` -> ``outputs`` vector as text),
``registry-openai-chat`` (``/--call--``, OpenAI chat signature),
``registry-sentence-transformers`` (``/encode``, ``sentence`` -> ``output``); rerankers in
``rerank.py`` (``openai-rerank``, ``tei-rerank``, ``registry-cross-encoder``).
"""

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from . import chat, pipelines, rerank
from .embedders import get_embedder
from .faults import Faults

KINDS = ("openai", "registry-text-generation", "registry-legacy-embedding", "registry-openai-chat",
         "registry-sentence-transformers", "registry-pipeline", "tgi-native") + rerank.KINDS


class Reply:
    """What a handler wants sent: a JSON body, or a stream of SSE events."""

    def __init__(self, status=200, body=None, events=None, headers=None):
        self.status = status
        self.body = body
        self.events = events  # iterable of (delay_seconds, dict or "[DONE]")
        self.headers = headers or {}


@dataclass
class Timing:
    """Fixed service time, so speed can be measured against a known limit."""

    latency: float = 0.0  # per request
    per_item: float = 0.0  # per embedded text or registry row
    time_to_first_token: float = 0.0
    token_delay: float = 0.0
    # Requests served at once (0: no limit); the rest queue. A GPU Model Registry service
    # runs one inference worker by default (snowflake-ml ``num_workers``), so it serves
    # one request at a time however many arrive.
    workers: int = 0


@dataclass
class Service:
    """One SPCS service with a public endpoint."""

    name: str
    kind: str
    embedder: str = "deterministic"
    method: str = None  # registry method path override, e.g. "/predict"
    model_name: str = "standin-model"
    task: str = None  # for "registry-pipeline": a key of pipelines.TASKS
    timing: Timing = field(default_factory=Timing)
    faults: Faults = field(default_factory=Faults)
    suspended: bool = False
    resume_at: float = None  # auto-resume time (monotonic), if suspended with a delay
    record: int = 200  # how many requests to keep for inspection
    streams: bool = True  # False: answers "stream": true with one JSON body, as some servers do
    # Dialects of real servers (PLATFORM.md section 2), all off by default:
    sends_done: bool = True  # False: a stream ends after its finish chunk, no [DONE] (transformers serve)
    batch_limit_status: int = 413  # 422: a batch over faults.max_batch gets infinity's validation error
    unknown_fields: tuple = ()  # chat fields refused with 422 "Unexpected fields" (transformers serve: top_k)
    counts_characters: bool = False  # embeddings' usage.prompt_tokens counts characters (infinity)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError("unknown service kind %r" % self.kind)
        self.requests = deque(maxlen=self.record)
        # in_flight: requests inside the service; serving: those past the worker queue;
        # connections: TCP connections accepted by its ingress (fewer than requests with keep-alive)
        self.counters = {"requests": 0, "items": 0, "in_flight": 0, "max_in_flight": 0, "serving": 0,
                         "max_serving": 0, "connections": 0}
        self._lock = threading.Lock()
        self._workers = threading.Semaphore(self.timing.workers) if self.timing.workers else None
        self.port = None

    # -- life cycle --------------------------------------------------------------------

    def suspend(self, auto_resume_after=None):
        self.suspended = True
        self.resume_at = time.monotonic() + auto_resume_after if auto_resume_after is not None else None

    def resume(self):
        self.suspended = False
        self.resume_at = None

    def status(self):
        """READY, PENDING (resuming) or SUSPENDED, as SYSTEM$GET_SERVICE_STATUS reports it."""
        if not self.is_suspended():
            return "READY"
        return "PENDING" if self.resume_at is not None else "SUSPENDED"

    def is_suspended(self):
        if self.suspended and self.resume_at is not None and time.monotonic() >= self.resume_at:
            self.resume()
        return self.suspended

    # -- requests ----------------------------------------------------------------------

    def connected(self):
        with self._lock:
            self.counters["connections"] += 1

    def note(self, path, body, headers, user=None):
        with self._lock:
            self.counters["requests"] += 1
            self.requests.append({"path": path, "body": body, "headers": headers, "user": user})

    def enter(self):
        with self._lock:
            self.counters["in_flight"] += 1
            self.counters["max_in_flight"] = max(self.counters["max_in_flight"], self.counters["in_flight"])

    def leave(self):
        with self._lock:
            self.counters["in_flight"] -= 1

    def handle(self, path, body):
        """The Reply for an authenticated request (faults are applied by the server)."""
        if self.kind == "openai":
            if path == "/v1/chat/completions":
                return self._openai_chat(body)
            if path == "/v1/embeddings":
                return self._openai_embeddings(body)
            return Reply(404, {"error": {"message": "Not found: %s" % path}})
        if self.kind == "tgi-native":
            return self._tgi_native(path, body)
        if self.kind == "openai-rerank":
            return Reply(*rerank.openai_rerank(self, path, body))
        if self.kind == "tei-rerank":
            return Reply(*rerank.tei_rerank(self, path, body))
        expected = self.method or {"registry-openai-chat": "/--call--", "registry-pipeline": "/--call--",
                                   "registry-sentence-transformers": "/encode"}.get(self.kind, "/predict")
        if path != expected:
            return Reply(404, {"message": "Method %s not found; this service exposes %s." % (path, expected)})
        rows = _rows(body)
        if rows is None:
            return Reply(400, {"message": "Request body must be {\"data\": [[index, ...], ...]}."})
        handler = {
            "registry-text-generation": self._text_generation,
            "registry-legacy-embedding": self._legacy_embedding,
            "registry-openai-chat": self._registry_openai_chat,
            "registry-sentence-transformers": self._sentence_transformers,
            "registry-pipeline": self._pipeline,
            "registry-cross-encoder": lambda r: Reply(*rerank.cross_encoder_rows(self, r)),
        }[self.kind]
        return handler(rows)

    def set_workers(self, workers):
        """Serve this many requests at once from now on (0: no limit), as a service scaled out or in does.

        Requests already queued finish under the old limit.
        """
        with self._lock:
            self.timing.workers = workers
            self._workers = threading.Semaphore(workers) if workers else None

    def embedding_batch_too_large(self, count):
        return self.faults.max_batch and count > self.faults.max_batch

    def _batch_refusal(self, inputs):
        """413, or the 422 pydantic gives a list over its max_length, echoing every input as infinity does."""
        if self.batch_limit_status == 422:
            return Reply(422, {"detail": [{
                "type": "too_long", "loc": ["body", "input"], "input": list(inputs),
                "msg": "List should have at most %d items after validation, not %d" % (self.faults.max_batch,
                                                                                       len(inputs)),
                "ctx": {"field_type": "List", "max_length": self.faults.max_batch, "actual_length": len(inputs)}}]})
        return Reply(413, {"error": {"message": "Batch of %d inputs exceeds the limit of %d" % (
            len(inputs), self.faults.max_batch)}})

    def _sleep(self, items=0):
        delay = self.timing.latency + self.timing.per_item * items
        workers = self._workers  # the limit when the request arrived (set_workers may change it)
        if workers is not None:
            with workers:  # queued behind the requests being served
                self._count_serving(1)
                try:
                    time.sleep(delay)
                finally:
                    self._count_serving(-1)
        elif delay:
            time.sleep(delay)

    def _count_serving(self, step):
        with self._lock:
            self.counters["serving"] += step
            self.counters["max_serving"] = max(self.counters["max_serving"], self.counters["serving"])

    def _count_items(self, n):
        with self._lock:
            self.counters["items"] += n

    # -- OpenAI-compatible -------------------------------------------------------------

    def _openai_chat(self, body):
        unknown = sorted(set(body) & set(self.unknown_fields))
        if unknown:
            return Reply(422, {"detail": "Unexpected fields in the request: {%s}" % ", ".join(repr(k) for k in unknown)})
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return Reply(400, {"error": {"message": "'messages' must be a non-empty list", "type": "invalid_request_error"}})
        kind, value = chat.respond(messages, body.get("tools"), body.get("tool_choice"), body.get("response_format"))
        p_tokens = chat.prompt_tokens(messages)
        if kind == "tool_calls":
            text, finish, tool_calls = "", "tool_calls", value
        else:
            text, finish = chat.apply_limits(value, body.get("max_tokens") or body.get("max_completion_tokens"),
                                             body.get("stop"))
            tool_calls = None
        tokens = chat.tokens_of(text) if text else []
        usage = {"prompt_tokens": p_tokens, "completion_tokens": len(tokens) + (len(tool_calls) if tool_calls else 0)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        usage.update(self.faults.usage_override or {})  # a server reporting odd counts
        ident = "chatcmpl-" + uuid.uuid4().hex[:12]
        if body.get("stream") and self.streams:
            return Reply(events=self._chat_events(ident, tokens, tool_calls, finish, usage,
                                                  (body.get("stream_options") or {}).get("include_usage")))
        self._sleep()
        if self.timing.time_to_first_token or self.timing.token_delay:
            time.sleep(self.timing.time_to_first_token + self.timing.token_delay * max(len(tokens) - 1, 0))
        message = {"role": "assistant", "content": text or None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        return Reply(body={"id": ident, "object": "chat.completion", "created": int(time.time()),
                           "model": self.model_name,
                           "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                           "usage": usage})

    def _chat_events(self, ident, tokens, tool_calls, finish, usage, include_usage):
        base = {"id": ident, "object": "chat.completion.chunk", "created": int(time.time()), "model": self.model_name}
        first_delay = self.timing.latency + self.timing.time_to_first_token
        yield first_delay, dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                "finish_reason": None}])
        for i, tok in enumerate(tokens):
            yield (self.timing.token_delay if i else 0.0), dict(
                base, choices=[{"index": 0, "delta": {"content": tok}, "finish_reason": None}])
        for i, call in enumerate(tool_calls or []):
            args = call["function"]["arguments"]
            half = len(args) // 2
            yield 0.0, dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                {"index": i, "id": call["id"], "type": "function",
                 "function": {"name": call["function"]["name"], "arguments": args[:half]}}]}, "finish_reason": None}])
            yield 0.0, dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                {"index": i, "function": {"arguments": args[half:]}}]}, "finish_reason": None}])
        yield 0.0, dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": finish}])
        if include_usage:
            yield 0.0, dict(base, choices=[], usage=usage)
        if self.sends_done:
            yield 0.0, "[DONE]"

    def _openai_embeddings(self, body):
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
            return Reply(400, {"error": {"message": "'input' must be a string or a list of strings"}})
        if self.embedding_batch_too_large(len(inputs)):
            return self._batch_refusal(inputs)
        if self.faults.refuse_text is not None and self.faults.refuse_text in inputs:
            return Reply(400, {"error": {"message": "Input validation error: input %d cannot be processed by this "
                                                    "model" % inputs.index(self.faults.refuse_text),
                                         "type": "invalid_request_error"}})
        vectors = get_embedder(self.embedder).encode(inputs)
        self._count_items(len(inputs))
        self._sleep(len(inputs))
        if self.counts_characters:
            tokens = sum(len(t) for t in inputs)
        else:
            tokens = sum(chat.count_tokens(t) for t in inputs)
        return Reply(body={"object": "list", "model": self.model_name,
                           "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
                           "usage": dict({"prompt_tokens": tokens, "total_tokens": tokens},
                                         **(self.faults.usage_override or {}))})

    # -- Model Registry ----------------------------------------------------------------

    def _text_generation(self, rows):
        out = []
        for index, value in rows:
            prompt = _column(value, "inputs")
            if not isinstance(prompt, str):
                return Reply(400, {"message": "Column 'inputs' must be a string."})
            answer = "Generated answer to a prompt of %d characters." % len(prompt)
            # The text-generation pipeline returns the prompt followed by the new text.
            out.append([index, {"outputs": json.dumps([{"generated_text": prompt + " " + answer}])}])
        self._count_items(len(rows))
        self._sleep(len(rows))
        return Reply(body={"data": out})

    def _legacy_embedding(self, rows):
        texts = [_column(v, "inputs") for _, v in rows]
        if not all(isinstance(t, str) for t in texts):
            return Reply(400, {"message": "Column 'inputs' must be a string."})
        if self.embedding_batch_too_large(len(texts)):
            return Reply(413, {"message": "Too many rows in one request."})
        vectors = get_embedder(self.embedder).encode(texts)
        self._count_items(len(texts))
        self._sleep(len(texts))
        return Reply(body={"data": [[index, {"outputs": json.dumps(v)}] for (index, _), v in zip(rows, vectors)]})

    def _sentence_transformers(self, rows):
        texts = [_column(v, "sentence") for _, v in rows]
        if not all(isinstance(t, str) for t in texts):
            return Reply(400, {"message": "Column 'sentence' must be a string."})
        if self.embedding_batch_too_large(len(texts)):
            return Reply(413, {"message": "Too many rows in one request."})
        vectors = get_embedder(self.embedder).encode(texts)
        self._count_items(len(texts))
        self._sleep(len(texts))
        return Reply(body={"data": [[index, {"output": v}] for (index, _), v in zip(rows, vectors)]})

    def _registry_openai_chat(self, rows):
        out = []
        for index, value in rows:
            messages = _column(value, "messages")
            if not isinstance(messages, list) or not messages:
                return Reply(400, {"message": "Column 'messages' must be a non-empty list."})
            _, text = chat.respond(messages)
            text, finish = chat.apply_limits(text, _column(value, "max_completion_tokens"), _column(value, "stop"))
            usage = {"prompt_tokens": chat.prompt_tokens(messages), "completion_tokens": len(chat.tokens_of(text))}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            out.append([index, {"id": "chatcmpl-" + uuid.uuid4().hex[:12], "object": "chat.completion",
                                "created": int(time.time()), "model": self.model_name,
                                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                             "logprobs": None, "finish_reason": finish}],
                                "usage": usage}])
        self._count_items(len(rows))
        self._sleep(len(rows))
        return Reply(body={"data": out})


    def _pipeline(self, rows):
        out = []
        for index, value in rows:
            if not isinstance(value, dict):
                return Reply(400, {"message": "Each row must be an object of input columns."})
            try:
                status, result = pipelines.TASKS[self.task](value)
            except (KeyError, TypeError, AttributeError) as exc:
                return Reply(400, {"message": "Bad input for %s: %s" % (self.task, exc)})
            if status != 200:
                return Reply(status, {"message": result})
            out.append([index, result])
        self._count_items(len(rows))
        self._sleep(len(rows))
        return Reply(body={"data": out})

    # -- native TGI / text-embeddings-inference APIs (plain JSON, no rows) ---------------

    def _tgi_native(self, path, body):
        if path == "/generate":
            prompt = body.get("inputs")
            if not isinstance(prompt, str):
                return Reply(422, {"error": "inputs must be a string", "error_type": "validation"})
            params = body.get("parameters") or {}
            text, _ = chat.apply_limits("Native answer to %d characters." % len(prompt),
                                        params.get("max_new_tokens"), params.get("stop"))
            self._sleep()
            return Reply(body={"generated_text": text, "details": {
                "finish_reason": "eos_token", "generated_tokens": len(chat.tokens_of(text)),
                "prefill_tokens": chat.count_tokens(prompt)}})
        if path == "/embed":
            inputs = body.get("inputs")
            inputs = [inputs] if isinstance(inputs, str) else inputs
            if not isinstance(inputs, list) or not inputs:
                return Reply(422, {"error": "inputs must be a string or a list", "error_type": "validation"})
            vectors = get_embedder(self.embedder).encode(inputs)
            self._count_items(len(inputs))
            self._sleep(len(inputs))
            return Reply(body=vectors)
        return Reply(404, {"error": "Not found: %s" % path})


# The inputs of snowflake-ml's all-columns OpenAI chat signature, in signature order
# (openai_signatures.OPENAI_CHAT_SIGNATURE; response_format came last, in 1.47).
OPENAI_CHAT_INPUTS = ("messages", "temperature", "max_completion_tokens", "stop", "n", "stream", "top_p",
                      "frequency_penalty", "presence_penalty", "response_format")


def _rows(body):
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not data:
        return None
    rows = []
    for row in data:
        if not isinstance(row, list) or len(row) < 2 or not isinstance(row[0], int):
            return None
        rows.append((row[0], row[1] if len(row) == 2 else row[1:]))
    return rows


def _column(value, name):
    if isinstance(value, dict):
        return value.get(name)
    if isinstance(value, list):
        # One value per signature input, then the params, in signature order, as a service
        # function sends them (SVC!METHOD or CREATE FUNCTION): the text is the first input.
        order = OPENAI_CHAT_INPUTS if name in OPENAI_CHAT_INPUTS else (name,)
        at = order.index(name)
        return value[at] if at < len(value) else None
    return value  # a single positional column
