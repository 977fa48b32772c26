"""The OpenAI HTTP API that vLLM, TGI, Ollama and text-embeddings-inference containers speak.

Chat: ``POST /v1/chat/completions`` (SSE when streaming, usage in the last chunk).
Embeddings: ``POST /v1/embeddings`` with a list ``input``; ``data[i].index`` gives the order.
"""

import json

from ..wire import json_codec
from ..errors import MalformedResponseError
from .answer_checks import (expect_list, expect_object, float_vector, is_number, optional_list, optional_object,
                            optional_str, parses_answer)
from .base import ChatProtocol, Completion, EmbeddingProtocol, Embeddings, dss_finish_reason
from .rerank import OpenAIRerankProtocol
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


def dss_tool_calls(openai_calls, where="tool_calls"):
    """DSS ``toolCalls`` for OpenAI ``tool_calls``; ``MalformedResponseError`` names a malformed one."""
    calls = []
    for i, call in enumerate(optional_list(openai_calls, where)):
        call = expect_object(call, "%s[%d]" % (where, i))
        fn = optional_object(call.get("function"), "%s[%d].function" % (where, i))
        name = optional_str(fn.get("name"), "%s[%d].function.name" % (where, i))
        if not name:
            raise MalformedResponseError("%s[%d] has no function name." % (where, i))
        args = fn.get("arguments")
        calls.append({
            "type": "function",
            "id": optional_str(call.get("id"), "%s[%d].id" % (where, i)),
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args or {})},
        })
    return calls


@parses_answer
def parse_chat_completion(payload):
    """A ``Completion`` from an OpenAI ``chat.completion`` object."""
    payload = expect_object(payload, "The chat answer")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedResponseError("The chat answer has no choices[0].message.")
    choice = expect_object(choices[0], "The chat answer's choices[0]")
    message = optional_object(choice.get("message"), "The chat answer's choices[0].message")
    usage = optional_object(payload.get("usage"), "The chat answer's usage")
    return Completion(
        text=_content_text(message.get("content"), "choices[0].message.content"),
        tool_calls=dss_tool_calls(message.get("tool_calls"), "choices[0].message.tool_calls"),
        finish_reason=dss_finish_reason(optional_str(choice.get("finish_reason"), "choices[0].finish_reason")),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
    )


def _content_text(content, where):
    """A message's text: a string, null, or (some servers) a list of content parts."""
    if content is None or isinstance(content, str):
        return content or ""
    parts = expect_list(content, "The chat answer's %s" % where)
    texts = [optional_str(p.get("text"), "%s[%d].text" % (where, i)) for i, p in enumerate(parts)
             if isinstance(p, dict)]  # parts without text (images...) carry nothing for DSS
    return "".join(t for t in texts if t)


class ChatStreamParser:
    """Folds OpenAI ``chat.completion.chunk`` events into text deltas and a final ``Completion``."""

    def __init__(self):
        self._text = []
        self._tools = {}
        self._finish = None
        self._usage = {}

    @parses_answer
    def feed(self, payload):
        """Consume one SSE data payload (str, or a whole decoded answer); return its new text."""
        if not isinstance(payload, str):  # the server answered with JSON, not a stream
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
        event = expect_object(event, "A stream event")
        if event.get("error"):
            raise MalformedResponseError("The service reported an error mid-stream: %s" % event["error"])
        usage = optional_object(event.get("usage"), "A stream event's usage")
        if usage:
            self._usage = usage
        delta_text = ""
        for i, choice in enumerate(optional_list(event.get("choices"), "A stream event's choices")):
            choice = expect_object(choice, "A stream event's choices[%d]" % i)
            delta = optional_object(choice.get("delta"), "A stream event's choices[%d].delta" % i)
            content = optional_str(delta.get("content"), "A stream event's delta.content")
            if content:
                delta_text += content
            for j, call in enumerate(optional_list(delta.get("tool_calls"), "A stream event's delta.tool_calls")):
                self._merge_tool_call(expect_object(call, "A stream event's delta.tool_calls[%d]" % j))
            finish = optional_str(choice.get("finish_reason"), "A stream event's finish_reason")
            if finish:
                self._finish = dss_finish_reason(finish)
        if delta_text:
            self._text.append(delta_text)
        return delta_text

    def finished(self):
        """Whether a finish reason arrived: the answer is whole even if no ``[DONE]`` follows."""
        return self._finish is not None

    def _merge_tool_call(self, call):
        index = call.get("index", len(self._tools))
        if not is_number(index) or index != int(index):
            raise MalformedResponseError("A stream event's tool call index is not an integer (got %s)."
                                         % type(index).__name__)
        slot = self._tools.setdefault(int(index), {"type": "function", "id": None,
                                                   "function": {"name": "", "arguments": ""}})
        call_id = optional_str(call.get("id"), "A stream event's tool call id")
        if call_id:
            slot["id"] = call_id
        fn = optional_object(call.get("function"), "A stream event's tool call function")
        name = optional_str(fn.get("name"), "A stream event's tool call function.name")
        if name:
            slot["function"]["name"] += name
        arguments = optional_str(fn.get("arguments"), "A stream event's tool call function.arguments")
        if arguments:
            slot["function"]["arguments"] += arguments

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

    @parses_answer
    def parse_embeddings(self, payload, count):
        payload = expect_object(payload, "The embeddings answer")
        items = payload.get("data")
        if not isinstance(items, list):
            raise MalformedResponseError("The embeddings answer has no data[].embedding.")
        indexed = []
        for i, item in enumerate(items):
            item = expect_object(item, "The embeddings answer's data[%d]" % i)
            index = item.get("index", i)
            if not is_number(index):
                raise MalformedResponseError("The embeddings answer's data[%d].index is not a number." % i)
            indexed.append((index, i, item.get("embedding")))
        indexed.sort(key=lambda entry: entry[:2])
        vectors = [float_vector(vector, "The embedding data[%d].embedding" % i) for _, i, vector in indexed]
        if len(vectors) != count:
            raise MalformedResponseError("Asked for %d embeddings, got %d." % (count, len(vectors)))
        usage = optional_object(payload.get("usage"), "The embeddings answer's usage")
        return Embeddings(vectors, usage.get("prompt_tokens"))
