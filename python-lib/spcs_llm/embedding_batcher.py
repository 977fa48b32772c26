"""Embedding requests: batching by count and payload size, fan-out, and coalescing of small calls.

- A call's texts are cut into batches of at most ``embeddingBatchSize`` texts and
  ``embeddingMaxRequestBytes`` bytes, sent concurrently through a pool of
  ``maxParallelism`` workers (so the model never sees more requests at once), and put back
  in input order.
- Calls with fewer texts than a batch (DSS handing texts one at a time from many threads)
  are coalesced: the first such call opens a shared batch and, if other embedding calls are
  in flight, waits at most ``coalesceWindowMs`` (less if the batch fills up) for more texts
  before sending it. A call that arrives alone is sent at once.
No lock is held while a request is on the wire.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from .tokens import estimate_tokens

ROW_OVERHEAD_BYTES = 32  # JSON punctuation and the row index around each text


def plan_batches(texts, max_items, max_bytes):
    """[(start, end)] slices of ``texts`` within both limits (a single huge text gets its own batch)."""
    batches, start, size = [], 0, 0
    for i, text in enumerate(texts):
        cost = len(text.encode("utf-8")) + ROW_OVERHEAD_BYTES
        if i > start and (i - start >= max_items or size + cost > max_bytes):
            batches.append((start, i))
            start, size = i, 0
        size += cost
    if start < len(texts):
        batches.append((start, len(texts)))
    return batches


class _OpenBatch:
    """Texts gathered from several calls, sent together by the call that opened it."""

    def __init__(self):
        self.texts = []
        self.calls = 0
        self.full = threading.Event()
        self.done = threading.Event()
        self.result = None
        self.error = None


class EmbeddingBatcher:
    """Sends ``send(texts) -> (vectors, tokens, estimated)`` for every text of every call."""

    def __init__(self, send, max_items, max_bytes, parallelism, window_seconds):
        self._send = send
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.window = window_seconds
        self._pool = ThreadPoolExecutor(max(1, parallelism), thread_name_prefix="spcs-embed")
        self._lock = threading.Lock()
        self._open = None
        self._in_flight = 0
        self.requests = 0
        self.waits = 0  # how many coalesced batches waited for company

    def embed(self, texts):
        """(vectors in input order, prompt tokens, estimated?) for ``texts``."""
        with self._lock:
            self._in_flight += 1
            others = self._in_flight > 1
        try:
            if self.window > 0 and len(texts) < self.max_items:
                return self._coalesced(texts, others)
            return self._batched(texts)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _batched(self, texts):
        plan = plan_batches(texts, self.max_items, self.max_bytes)
        futures = [self._pool.submit(self._send_counted, texts[a:b]) for a, b in plan]
        vectors, tokens, estimated = [], 0, False
        for f in futures:  # in submission order, i.e. input order
            v, t, e = f.result()
            vectors.extend(v)
            tokens += t
            estimated = estimated or e
        return vectors, tokens, estimated

    def _send_counted(self, texts):
        with self._lock:
            self.requests += 1
        return self._send(texts)

    def _coalesced(self, texts, others):
        with self._lock:
            batch = self._open
            leader = batch is None
            if leader:
                batch = self._open = _OpenBatch()
            offset = len(batch.texts)
            batch.texts.extend(texts)
            batch.calls += 1
            if len(batch.texts) >= self.max_items:
                self._open = None  # closed: later calls open a new one
                batch.full.set()
        if leader:
            if others:
                self.waits += 1
                batch.full.wait(self.window)
            with self._lock:
                if self._open is batch:
                    self._open = None
            try:
                batch.result = self._batched(batch.texts)
            except BaseException as exc:  # every caller of the batch gets the error
                batch.error = exc
            finally:
                batch.done.set()
        else:
            batch.done.wait()
        if batch.error is not None:
            raise batch.error
        vectors, tokens, estimated = batch.result
        mine = vectors[offset:offset + len(texts)]
        if batch.calls == 1:
            return mine, tokens, estimated
        # Shared request: the server's count is shared out by each call's share of the text.
        own = sum(estimate_tokens(t) for t in texts)
        total = sum(estimate_tokens(t) for t in batch.texts) or 1
        return mine, int(round(tokens * own / float(total))), True

    def close(self):
        self._pool.shutdown(wait=False)
