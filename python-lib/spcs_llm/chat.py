"""Chat models: DSS completion queries in, DSS completion responses (or streams) out.

``ChatClient.complete`` answers ``process``; ``ChatClient.stream`` answers
``process_stream``: text chunks as they arrive, then the tool calls of the answer as a
chunk of their own (DSS ignores ``toolCalls`` in a footer), then one footer with token
counts, cost and finish reason. Modes that cannot stream answer in one chunk.
"""

import logging

from .client import ModelClient
from .modes import CHAT
from .protocols.dss_messages import parse_messages
from .protocols.dss_settings import parse_call_settings
from .tokens import count_or_estimate, estimate_tokens

logger = logging.getLogger(__name__)


class ChatClient(ModelClient):
    """A chat model served by Snowpark Container Services."""

    capability = CHAT

    def complete(self, query, settings, trace=None):
        """A DSS completion response dict for ``query``."""
        return self._complete(parse_messages(query), parse_call_settings(settings), trace)

    def stream(self, query, settings, trace=None):
        """Yield DSS ``{"chunk": ...}`` items as the answer arrives, then one ``{"footer": ...}``."""
        messages = parse_messages(query)
        settings = parse_call_settings(settings)
        if not self.protocol.supports_streaming:
            response = self._complete(messages, settings, trace)
            for item in _stream_items(response):
                yield item
            return
        path, body = self.protocol.chat_request(messages, settings, stream=True)
        parser = self.protocol.stream_parser()
        with self.bill() as bill:
            with self.span(trace, "spcs-completion-stream", path):
                for payload in self.transport.stream_sse(path, body):
                    text = parser.feed(payload)
                    if text:
                        yield {"chunk": {"text": text}}
                completion = parser.result()
            response = _response(messages, completion, bill)
        response["estimatedCost"] = bill.cost
        for item in _stream_items(response, text_sent=True):
            yield item

    def _complete(self, messages, settings, trace):
        """``settings``: the call's ``CallSettings``, validated once per call."""
        path, body = self.protocol.chat_request(messages, settings)
        with self.bill() as bill:
            with self.span(trace, "spcs-completion", path) as span:
                payload = self.transport.post_json(path, body)
                completion = self.protocol.parse_chat(payload, body)
                if span is not None:
                    span.outputs.update({"finishReason": completion.finish_reason})
            response = _response(messages, completion, bill)
        response["estimatedCost"] = bill.cost
        return response


def _response(messages, completion, bill):
    """The DSS response keys for ``completion`` (cost added once the bill is settled)."""
    prompt_tokens, prompt_estimated = count_or_estimate(
        completion.prompt_tokens, lambda: sum(estimate_tokens(m.text) for m in messages))
    completion_tokens, completion_estimated = count_or_estimate(
        completion.completion_tokens, lambda: estimate_tokens(completion.text))
    estimated = prompt_estimated or completion_estimated
    bill.tokens(prompt_tokens, completion_tokens)
    response = {
        "text": completion.text,
        "promptTokens": prompt_tokens,
        "completionTokens": completion_tokens,
        "totalTokens": prompt_tokens + completion_tokens,
        "tokenCountsAreEstimated": estimated,
    }
    if completion.finish_reason:
        response["finishReason"] = completion.finish_reason
    if completion.tool_calls:
        response["toolCalls"] = completion.tool_calls
    return response


def _stream_items(response, text_sent=False):
    """A whole response as stream items: its text, its tool calls as a chunk, then the footer."""
    if response["text"] and not text_sent:
        yield {"chunk": {"text": response["text"]}}
    if response.get("toolCalls"):
        yield {"chunk": {"toolCalls": response["toolCalls"]}}
    yield {"footer": {k: v for k, v in response.items() if k not in ("text", "toolCalls")}}
