"""Chat models: DSS completion queries in, DSS completion responses (or streams) out.

``ChatClient.complete`` answers ``process``; ``ChatClient.stream`` answers
``process_stream``: text chunks as they arrive, then the tool calls of the answer as a
chunk of their own (DSS ignores ``toolCalls`` in a footer), then one footer with token
counts, cost and finish reason. Modes that cannot stream answer in one chunk.
"""

import logging

from .client import END, ModelClient
from .errors import RequestRejectedError
from .modes import CHAT
from .protocols.dss_messages import parse_messages
from .protocols.dss_settings import parse_call_settings
from .protocols.optional_params import OPTIONAL, refused_parameters, without
from .tokens import count_or_estimate, estimate_tokens, usage_count

logger = logging.getLogger(__name__)


class ChatClient(ModelClient):
    """A chat model served by Snowpark Container Services."""

    capability = CHAT

    def __init__(self, settings, transport=None):
        super().__init__(settings, transport)
        # Optional parameters this server refused as unknown: no longer sent to it.
        self.dropped_parameters = frozenset()

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
                for payload in self._stream_payloads(path, body, parser.finished):
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
                payload, body = self._post(path, body)
                completion = self.protocol.parse_chat(payload, body)
                if span is not None:
                    span.outputs.update({"finishReason": completion.finish_reason})
            response = _response(messages, completion, bill)
        response["estimatedCost"] = bill.cost
        return response

    # -- optional parameters the server does not know -----------------------------------

    def _post(self, path, body):
        """(answer, body sent): sent again once without the optional parameters the server refuses."""
        body = without(body, self.dropped_parameters)
        try:
            return self.transport.post_json(path, body), body
        except RequestRejectedError as exc:
            body = self._drop_refused(exc, body)
            return self.transport.post_json(path, body), body

    def _stream_payloads(self, path, body, is_complete):
        """``stream_sse``'s payloads; opened again once without refused optional parameters."""
        body = without(body, self.dropped_parameters)
        payloads = self.transport.stream_sse(path, body, is_complete)
        try:
            first = next(payloads, END)
        except RequestRejectedError as exc:
            payloads = self.transport.stream_sse(path, self._drop_refused(exc, body), is_complete)
            first = next(payloads, END)
        if first is END:
            return
        yield first
        for payload in payloads:
            yield payload

    def _drop_refused(self, exc, body):
        """``body`` without the optional parameters ``exc`` refuses as unknown; re-raises if none."""
        refused = refused_parameters(exc.server_message, body)
        if not refused:
            raise exc
        self.dropped_parameters = self.dropped_parameters | frozenset(refused)
        logger.warning(
            "The service at %s does not accept %s: %s. Sending this model's requests without it from now on, "
            "so the DSS setting %s has no effect on it.", self.settings.endpoint_url,
            ", ".join("'%s'" % k for k in refused), exc.server_message,
            ", ".join("'%s'" % OPTIONAL[k] for k in refused))
        return without(body, refused)


def _response(messages, completion, bill):
    """The DSS response keys for ``completion`` (cost added once the bill is settled)."""
    completion_tokens, completion_estimated = count_or_estimate(
        completion.completion_tokens, lambda: estimate_tokens(completion.text), [completion.text])
    # A counter that cannot count the answer (characters, not tokens) is not trusted for the prompt either.
    miscounted = usage_count(completion.completion_tokens) is not None and completion_estimated
    prompt_tokens, prompt_estimated = count_or_estimate(
        None if miscounted else completion.prompt_tokens, lambda: sum(estimate_tokens(m.text) for m in messages))
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
