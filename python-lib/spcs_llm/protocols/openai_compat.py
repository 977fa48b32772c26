"""The OpenAI HTTP API that vLLM, TGI, Ollama and text-embeddings-inference containers speak.

Chat: ``POST /v1/chat/completions`` (SSE when streaming, usage in the last chunk).
Embeddings: ``POST /v1/embeddings`` with a list ``input``; ``data[i].index`` gives the order.
"""

import json

from .. import json_codec
from ..errors import InvalidInputError, MalformedResponseError
from .base import ChatProtocol, Completion, EmbeddingProtocol, Embeddings, dss_finish_reason
from .rerank import OpenAIRerankProtocol
from .dss_messages import to_openai_messages

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"

# DSS setting -> OpenAI parameter, for settings that map one to one.
_DIRECT = (
    ("temperature", "temperature"),
    ("topP", "top_p"),
    ("topK", "top_k"),  # a vLLM / TGI extension; OpenAI itself has no top_k
    ("maxOutputTokens", "max_tokens"),
    ("presencePenalty", "presence_penalty"),
    ("frequencyPenalty", "frequency_penalty"),
    ("logitBias", "logit_bias"),
    ("logProbs", "logprobs"),
    ("topLogProbs", "top_logprobs"),
)


def output_token_limit(settings):
    """``maxOutputTokens``, or None when unset or 0 or less (DSS's "no limit")."""
    value = (settings or {}).get("maxOutputTokens")
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return int(value)


def sampling_params(settings, max_tokens_key="max_tokens"):
    """OpenAI sampling parameters for the DSS ``settings`` that are set."""
    settings = settings or {}
    params = {}
    for dss_key, key in _DIRECT:
        value = output_token_limit(settings) if dss_key == "maxOutputTokens" else settings.get(dss_key)
        if value is not None:
            params[max_tokens_key if key == "max_tokens" else key] = value
    stops = settings.get("stopSequences")
    if stops:
        params["stop"] = list(stops)
    return params


def tool_params(settings):
    """``tools``, ``tool_choice`` and ``response_format`` for the DSS settings."""
    settings = settings or {}
    params = {}
    tools = settings.get("tools")
    if tools:
        params["tools"] = [_tool(t, i) for i, t in enumerate(tools)]
    choice = settings.get("toolChoice")
    if choice:
        params["tool_choice"] = _tool_choice(choice)
    fmt = settings.get("responseFormat")
    if fmt and fmt.get("type") == "json":
        if fmt.get("schema"):
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": fmt["schema"], "strict": bool(fmt.get("strict"))},
            }
        else:
            params["response_format"] = {"type": "json_object"}
    return params


def _tool(tool, i):
    if not isinstance(tool, dict):
        raise InvalidInputError("settings.tools[%d] must be an object." % i)
    if tool.get("type", "function") != "function" or not (tool.get("function") or {}).get("name"):
        raise InvalidInputError("settings.tools[%d] must be a function tool with a name." % i)
    return {"type": "function", "function": tool["function"]}


def _tool_choice(choice):
    kind = choice.get("type") if isinstance(choice, dict) else choice
    if kind in ("auto", "required", "none"):
        return kind
    if kind == "tool_name" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise InvalidInputError("settings.toolChoice %r is not supported." % (choice,))


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


class OpenAICompatibleProtocol(ChatProtocol, EmbeddingProtocol, OpenAIRerankProtocol):
    """``OPENAI_COMPATIBLE``: custom containers speaking the OpenAI API (and vLLM's ``/v1/rerank``)."""

    name = "OPENAI_COMPATIBLE"
    supports_streaming = True

    def __init__(self, model_name=None):
        self.model_name = model_name

    def _base(self):
        return {"model": self.model_name} if self.model_name else {}

    def chat_request(self, messages, settings, stream=False):
        body = self._base()
        body["messages"] = to_openai_messages(messages, allow_images=True)
        body.update(sampling_params(settings))
        body.update(tool_params(settings))
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
