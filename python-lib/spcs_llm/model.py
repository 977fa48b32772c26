"""The facade ``llm.py`` delegates to: one configured SPCS model.

``SPCSModel`` ties together the transport (HTTP, auth, retries), the protocol (wire
format of the mode) and the cost accountant, and shapes answers as DSS expects them.
"""

import logging
from contextlib import contextmanager

from .costs import CostAccountant
from .embedding_batcher import EmbeddingBatcher
from .errors import InvalidInputError
from .protocols import for_settings
from .protocols.dss_messages import parse_messages
from .tokens import estimate_tokens
from .transport import Transport

logger = logging.getLogger(__name__)


class SPCSModel:
    """A chat or embedding model served by Snowpark Container Services."""

    def __init__(self, settings, transport=None):
        self.settings = settings
        self.protocol = for_settings(settings)
        self.transport = transport or Transport(settings)
        self.costs = CostAccountant(settings.costs)
        self.batcher = EmbeddingBatcher(
            self._embed_batch, self.protocol.max_embedding_batch or settings.embedding_batch_size,
            settings.embedding_max_request_bytes, settings.max_concurrent_requests, settings.coalesce_embeddings,
            settings.coalesce_wait_seconds)

    @property
    def max_parallelism(self):
        return self.settings.transport.max_parallelism

    # -- completions -----------------------------------------------------------------

    def complete(self, query, settings, trace=None):
        """A DSS completion response dict for ``query`` (``process``)."""
        return self._complete(parse_messages(query), settings, trace)

    def _complete(self, messages, settings, trace):
        path, body = self.protocol.chat_request(messages, settings or {})
        ticket = self.costs.start()
        completion = None
        try:
            with _span(trace, "spcs-completion", self._span_attributes(path)) as span:
                payload = self.transport.post_json(path, body)
                completion = self.protocol.parse_chat(payload, body)
                _set(span, "outputs", {"finishReason": completion.finish_reason})
        finally:
            response = self._completion_response(messages, completion, ticket)
        return response

    def stream(self, query, settings, trace=None):
        """Yield DSS ``{"chunk": ...}`` items as text arrives, then one ``{"footer": ...}``."""
        messages = parse_messages(query)
        if not self.protocol.supports_streaming:
            response = self._complete(messages, settings, trace)
            if response["text"]:
                yield {"chunk": {"text": response["text"]}}
            yield {"footer": {k: v for k, v in response.items() if k != "text"}}
            return
        path, body = self.protocol.chat_request(messages, settings or {}, stream=True)
        parser = self.protocol.stream_parser()
        ticket = self.costs.start()
        completion = None
        try:
            with _span(trace, "spcs-completion-stream", self._span_attributes(path)):
                for payload in self.transport.stream_sse(path, body):
                    text = parser.feed(payload)
                    if text:
                        yield {"chunk": {"text": text}}
                completion = parser.result()
        finally:
            footer = self._completion_response(messages, completion, ticket)
        footer.pop("text")
        yield {"footer": footer}

    def _completion_response(self, messages, completion, ticket):
        """Token counts (server's or estimated), cost, and the DSS keys. Always closes the ticket."""
        if completion is None:  # the call failed: charge its busy time, no tokens
            self.costs.finish(ticket)
            return {}
        estimated = completion.prompt_tokens is None or completion.completion_tokens is None
        prompt_tokens = completion.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(estimate_tokens(m.text) for m in messages)
        completion_tokens = completion.completion_tokens
        if completion_tokens is None:
            completion_tokens = estimate_tokens(completion.text)
        cost = self.costs.finish(ticket, prompt_tokens, completion_tokens)
        response = {
            "text": completion.text,
            "promptTokens": prompt_tokens,
            "completionTokens": completion_tokens,
            "tokenCountsAreEstimated": estimated,
            "estimatedCost": cost,
        }
        if completion.finish_reason:
            response["finishReason"] = completion.finish_reason
        if completion.tool_calls:
            response["toolCalls"] = completion.tool_calls
        return response

    # -- embeddings ------------------------------------------------------------------

    def embed(self, query, settings=None, trace=None):
        """``process_embeddings``: ``{"text"}`` -> ``{"embedding"}``; ``{"queries"}`` -> ``{"responses"}``."""
        if not isinstance(query, dict):
            raise InvalidInputError("The embedding query must be a dict with 'text' or 'queries'.")
        single = "queries" not in query
        items = [query] if single else query.get("queries")
        if not isinstance(items, list) or not items:
            raise InvalidInputError("The embedding query has no texts ('queries' is empty).")
        texts = [_embedding_text(item, i, single) for i, item in enumerate(items)]
        ticket = self.costs.start()
        vectors, tokens, estimated = None, 0, True
        try:
            with _span(trace, "spcs-embedding", self._span_attributes(None, texts=len(texts))):
                vectors, tokens, estimated = self.embed_texts(texts)
        finally:
            cost = self.costs.finish(ticket, tokens if vectors is not None else 0)
        common = {"promptTokens": tokens, "tokenCountsAreEstimated": estimated, "estimatedCost": cost}
        if single:
            return dict(embedding=vectors[0], **common)
        return dict(responses=[{"embedding": v} for v in vectors], **common)

    def embed_texts(self, texts):
        """Vectors for ``texts`` in order, batched; returns (vectors, prompt tokens, estimated?)."""
        if not self.protocol.supports_embeddings:
            raise self.protocol._unsupported("embeddings")
        return self.batcher.embed(texts)

    def _embed_batch(self, texts):
        """One request for ``texts`` (the batcher splits a batch the service finds too large)."""
        path, body = self.protocol.embed_request(texts)
        result = self.protocol.parse_embeddings(self.transport.post_json(path, body), len(texts))
        if result.prompt_tokens is None:
            return result.vectors, sum(estimate_tokens(t) for t in texts), True
        return result.vectors, result.prompt_tokens, False

    def _span_attributes(self, path, **extra):
        attrs = {"spcs.mode": self.settings.mode, "spcs.endpoint": self.settings.endpoint_url,
                 "spcs.auth": self.settings.auth_mode}
        if path:
            attrs["spcs.path"] = path
        attrs.update(("spcs." + k, v) for k, v in extra.items())
        return attrs

    def close(self):
        self.batcher.close()
        self.transport.close()


def _embedding_text(item, i, single):
    where = "the text" if single else "queries[%d].text" % i
    if not isinstance(item, dict):
        raise InvalidInputError("%s: each embedding query must be an object with 'text'." % where)
    text = item.get("text")
    if text is None:
        raise InvalidInputError("%s is missing (None): nothing to embed." % where)
    if not isinstance(text, str):
        raise InvalidInputError("%s must be a string, got %s." % (where, type(text).__name__))
    if not text.strip():
        raise InvalidInputError("%s is empty or whitespace: nothing to embed." % where)
    return text


@contextmanager
def _span(trace, name, attributes):
    if trace is None or not hasattr(trace, "subspan"):
        yield None
        return
    with trace.subspan(name) as span:
        span.attributes.update(attributes)
        yield span


def _set(span, key, values):
    if span is not None:
        getattr(span, key).update(values)
