"""The OpenAI HTTP API that vLLM, TGI, Ollama and text-embeddings-inference containers speak.

Chat: ``POST /v1/chat/completions`` (SSE when streaming, usage in the last chunk).
Embeddings: ``POST /v1/embeddings`` with a list ``input``; ``data[i].index`` gives the order.
"""

import json

from .. import json_codec
from ..errors import MalformedResponseError
from .base import Completion, Embeddings, Protocol, dss_finish_reason
from .dss_messages import to_openai_messages
from .dss_settings import parse_call_settings

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"

# CallSettings attribute -> OpenAI parameter, for settings that map one to one.
_DIRECT = (
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("top_k", "top_k"),  # a vLLM / TGI extension; OpenAI itself has no top_k
    ("presence_penalty", "presence_penalty"),
    ("frequency_penalty", "frequency_penalty"),
    ("logit_bias", "logit_bias"),
    ("log_probs", "logprobs"),
    ("top_log_probs", "top_logprobs"),
)


def sampling_params(settings, max_tokens_key="max_tokens"):
    """OpenAI sampling parameters for the DSS ``settings`` that are set (dict or ``CallSettings``)."""
    call = parse_call_settings(settings)
    params = {key: getattr(call, attr) for attr, key in _DIRECT if getattr(call, attr) is not None}
    if call.max_output_tokens is not None:
        params[max_tokens_key] = call.max_output_tokens
    if call.stop_sequences:
        params["stop"] = list(call.stop_sequences)
    return params


def tool_params(settings):
    """``tools``, ``tool_choice`` and ``response_format`` for the DSS settings (dict or ``CallSettings``)."""
    call = parse_call_settings(settings)
    params = {}
    if call.tools:
        params["tools"] = list(call.tools)
    choice = call.tool_choice
    if choice is not None:
        params["tool_choice"] = (choice.kind if choice.kind != "tool_name"
                                 else {"type": "function", "function": {"name": choice.name}})
    fmt = call.response_format
    if fmt is not None:
        if fmt.schema:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": fmt.schema, "strict": fmt.strict},
            }
        else:
            params["response_format"] = {"type": "json_object"}
    return params


def dss_tool_calls(openai_calls):
    """DSS ``toolCalls`` for OpenAI ``tool_calls``."""
    calls = []
    for call in openai_calls or []:
        fn = call.get("function") or {}
        args = fn.get("arguments")
        calls.append({
            "type": "function",
            "id": call.get("id"),
            "function": {"name": fn.get("name"), "arguments": args if isinstance(args, str) else json.dumps(args or {})},
        })
    return calls


def parse_chat_completion(payload):
    """A ``Completion`` from an OpenAI ``chat.completion`` object."""
    try:
        choice = payload["choices"][0]
        message = choice.get("message") or {}
    except (KeyError, IndexError, TypeError, AttributeError):
        raise MalformedResponseError("The chat answer has no choices[0].message.") from None
    usage = payload.get("usage") or {}
    content = message.get("content")
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return Completion(
        text=content or "",
        tool_calls=dss_tool_calls(message.get("tool_calls")),
        finish_reason=dss_finish_reason(choice.get("finish_reason")),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
    )


class ChatStreamParser:
    """Folds OpenAI ``chat.completion.chunk`` events into text deltas and a final ``Completion``."""

    def __init__(self):
        self._text = []
        self._tools = {}
        self._finish = None
        self._usage = {}

    def feed(self, payload):
        """Consume one SSE data payload (str, or a whole answer dict); return its new text."""
        if isinstance(payload, dict):  # the server did not stream
            done = parse_chat_completion(payload)
            self._text.append(done.text)
            self._finish = done.finish_reason
            self._usage = {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens}
            self._tools = {i: c for i, c in enumerate(done.tool_calls)}
            return done.text
        try:
            event = json_codec.loads(payload)
        except ValueError:
            raise MalformedResponseError("A stream event is not JSON.") from None
        if isinstance(event, dict) and event.get("error"):
            raise MalformedResponseError("The service reported an error mid-stream: %s" % event["error"])
        if event.get("usage"):
            self._usage = event["usage"]
        delta_text = ""
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                delta_text += delta["content"]
            for call in delta.get("tool_calls") or []:
                self._merge_tool_call(call)
            if choice.get("finish_reason"):
                self._finish = dss_finish_reason(choice["finish_reason"])
        if delta_text:
            self._text.append(delta_text)
        return delta_text

    def _merge_tool_call(self, call):
        slot = self._tools.setdefault(call.get("index", len(self._tools)),
                                      {"type": "function", "id": None, "function": {"name": "", "arguments": ""}})
        if call.get("id"):
            slot["id"] = call["id"]
        fn = call.get("function") or {}
        if fn.get("name"):
            slot["function"]["name"] += fn["name"]
        if fn.get("arguments"):
            slot["function"]["arguments"] += fn["arguments"]

    def result(self):
        """The whole answer once the stream is over."""
        return Completion(
            text="".join(self._text),
            tool_calls=[self._tools[i] for i in sorted(self._tools)],
            finish_reason=self._finish,
            prompt_tokens=self._usage.get("prompt_tokens"),
            completion_tokens=self._usage.get("completion_tokens"),
        )


class OpenAICompatibleProtocol(Protocol):
    """``OPENAI_COMPATIBLE``: custom containers speaking the OpenAI API."""

    name = "OPENAI_COMPATIBLE"
    supports_streaming = True

    def __init__(self, model_name=None):
        self.model_name = model_name

    def _base(self):
        return {"model": self.model_name} if self.model_name else {}

    def chat_request(self, messages, settings, stream=False):
        body = self._base()
        body["messages"] = to_openai_messages(messages, allow_images=True)
        call = parse_call_settings(settings)
        body.update(sampling_params(call))
        body.update(tool_params(call))
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return CHAT_PATH, body

    def parse_chat(self, payload, request=None):
        return parse_chat_completion(payload)

    def stream_parser(self):
        return ChatStreamParser()

    def embed_request(self, texts):
        body = self._base()
        body["input"] = list(texts)
        body["encoding_format"] = "float"
        return EMBEDDINGS_PATH, body

    def parse_embeddings(self, payload, count):
        try:
            items = payload["data"]
            ordered = sorted(items, key=lambda d: d.get("index", 0))
            vectors = [list(d["embedding"]) for d in ordered]
        except (KeyError, TypeError, AttributeError):
            raise MalformedResponseError("The embeddings answer has no data[].embedding.") from None
        if len(vectors) != count:
            raise MalformedResponseError("Asked for %d embeddings, got %d." % (count, len(vectors)))
        usage = payload.get("usage") or {}
        return Embeddings(vectors, usage.get("prompt_tokens"))
