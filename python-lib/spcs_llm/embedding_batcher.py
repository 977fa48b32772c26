"""Embedding requests: batching by count and payload size, fan-out, and coalescing of small calls.

- A call's texts are cut into batches of at most ``embeddingBatchSize`` texts and
  ``embeddingMaxRequestBytes`` bytes, sent concurrently through a pool of
  ``maxParallelism`` workers (so the model never sees more requests at once), and put back
  in input order.
- Calls with fewer texts than a batch (DSS handing texts one at a time from many threads)
  are coalesced by natural batching: such a call joins the shared batch that is waiting for
  a free request slot, or opens one. A batch stops taking texts when a slot picks it up, so
  it never waits longer than a request would have waited anyway: with a free slot it goes
  at once, and when every slot is busy (``maxConcurrentRequests`` reached) the texts that
  arrive meanwhile travel together.
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
    """Texts gathered from several calls while waiting for a request slot."""

    def __init__(self):
        self.texts = []
        self.calls = 0
        self.started = False
        self.done = threading.Event()
        self.result = None
        self.error = None


class EmbeddingBatcher:
    """Sends ``send(texts) -> (vectors, tokens, estimated)`` for every text of every call."""

    def __init__(self, send, max_items, max_bytes, max_requests, coalesce=True):
        self._send = send
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.coalesce = coalesce
        self._pool = ThreadPoolExecutor(max(1, max_requests), thread_name_prefix="spcs-embed")
        # Bounds requests in flight, whether sent from the pool or from the caller's thread.
        self._slots = threading.BoundedSemaphore(max(1, max_requests))
        self._lock = threading.Lock()
        self._open = None
        self.requests = 0
        self.shared = 0  # requests that carried texts of more than one call

    def embed(self, texts):
        """(vectors in input order, prompt tokens, estimated?) for ``texts``."""
        if self.coalesce and len(texts) < self.max_items:
            return self._coalesced(texts)
        return self._batched(texts)

    def _batched(self, texts):
        plan = plan_batches(texts, self.max_items, self.max_bytes)
        if len(plan) == 1:  # one request: send it from the caller's thread, no hand-over
            return self._send_counted(texts)
        futures = [self._pool.submit(self._send_counted, texts[a:b]) for a, b in plan]
        return _merge(f.result() for f in futures)  # in submission order, i.e. input order

    def _send_counted(self, texts):
        with self._lock:
            self.requests += 1
        with self._slots:
            return self._send(texts)

    def _coalesced(self, texts):
        with self._lock:
            batch = self._open
            opened = batch is None or len(batch.texts) + len(texts) > self.max_items
            if opened:
                batch = self._open = _OpenBatch()
            offset = len(batch.texts)
            batch.texts.extend(texts)
            batch.calls += 1
        if opened:
            self._pool.submit(self._run, batch)
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

    def _run(self, batch):
        """In a request slot: close the batch to newcomers, then send it."""
        with self._lock:
            batch.started = True
            if self._open is batch:
                self._open = None
            texts = list(batch.texts)
            if batch.calls > 1:
                self.shared += 1
        try:
            results = []
            for a, b in plan_batches(texts, self.max_items, self.max_bytes):
                results.append(self._send_counted(texts[a:b]))
            batch.result = _merge(results)
        except BaseException as exc:  # every call of the batch gets the error
            batch.error = exc
        finally:
            batch.done.set()

    def close(self):
        self._pool.shutdown(wait=False)


def _merge(results):
    vectors, tokens, estimated = [], 0, False
    for v, t, e in results:
        vectors.extend(v)
        tokens += t
        estimated = estimated or e
    return vectors, tokens, estimated
