"""Embedding requests: batching by count and payload size, fan-out, and coalescing of small calls.

- A call's texts are cut into batches of at most ``embeddingBatchSize`` texts and
  ``embeddingMaxRequestBytes`` bytes, sent concurrently through a pool of
  ``maxConcurrentRequests`` workers (so the model never sees more requests at once), and
  put back in input order.
- Calls with fewer texts than a batch (DSS handing texts one at a time from many threads)
  are coalesced, as a model server's dynamic batcher does: the first call opens a shared
  batch, later calls join it, and the opener sends it when it is full, when it holds as
  many calls as were seen at once lately (nobody else is coming), or when its wait for
  company has passed, whichever comes first. If every request slot is busy at that
  point, the batch keeps taking texts until a slot frees up. Callers settle into one
  request per round: on a GPU that serves one request at a time, that is what turns one
  request per text into one per round.
- Whether to wait for company at all is ``hold_policy``'s decision, from the latencies of
  the requests sent (``coalesceWaitMs`` automatic), or a fixed wait the admin set.
- A request refused for its size (413, or a 400/422 the transport reads as "list too
  long") is halved until accepted, and the batcher remembers the largest size that
  worked: later calls are cut to it and do not hit the service's limit again.
- A failure stays with its caller: when a shared request is refused for its content (a
  4xx other than auth or size), each call's texts are sent again on their own, so only
  the call whose text was refused fails. Transient and auth failures reach every call.
- A call cut into several requests stops at its first failure: its requests not yet sent
  are cancelled and their slots freed, so the next call does not queue behind dead work.
No lock is held while a request is on the wire.
"""

import logging
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from ..errors import PayloadTooLargeError, RequestRejectedError
from .hold_policy import HoldPolicy
from ..tokens import estimate_tokens

logger = logging.getLogger(__name__)

ROW_OVERHEAD_BYTES = 32  # JSON punctuation and the row index around each text
CALLER_WINDOW_SECONDS = 1.0  # how long a peak of concurrent callers is remembered
# Refusals that say nothing about the texts: who we are (401, 403, 407), where we sent
# them (404, 405), or the size (413, split instead). Resending each call alone cannot help.
NOT_ABOUT_CONTENT = frozenset((401, 403, 404, 405, 407, 413))


def refused_for_content(exc):
    """Whether ``exc`` is a refusal that may be caused by one of the texts of the request."""
    return (isinstance(exc, RequestRejectedError) and not isinstance(exc, PayloadTooLargeError)
            and getattr(exc, "status", None) not in NOT_ABOUT_CONTENT)


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


class SizeLimit:
    """The most texts per request: the setting, or less once the service refused a size.

    After a refusal the limit is the largest size that then worked (below the smallest
    refused one), so later calls are cut to what the service takes. Not thread-safe: the
    batcher calls it under its lock.
    """

    def __init__(self, configured):
        self.configured = configured
        self.refused = None  # smallest size refused as too large
        self.worked = 0  # largest size accepted below it

    def refuse(self, size):
        if self.refused is None or size < self.refused:
            self.refused = size
            self.worked = 0 if self.worked >= size else self.worked

    def accept(self, size):
        if self.refused is None or size < self.refused:
            self.worked = max(self.worked, size)

    @property
    def value(self):
        if self.refused is None:
            return self.configured
        return max(1, min(self.configured, self.worked or self.refused // 2))


class _OpenBatch:
    """Texts gathered from several calls, sent by the call that opened it."""

    def __init__(self, wait_seconds):
        self.texts = []
        self.calls = 0
        self.wait_seconds = wait_seconds  # longest the opener waits for company
        self.ready = threading.Event()  # full, or every caller expected has joined: stop waiting
        self.done = threading.Event()
        self.result = None
        self.error = None
        self.alone = False  # refused for its content: each call sends its own texts again
        self._estimated = None

    def estimated_tokens(self):
        """Our estimate of the whole batch's tokens, computed once (read only once the batch is sent)."""
        if self._estimated is None:
            self._estimated = sum(estimate_tokens(t) for t in self.texts) or 1
        return self._estimated


class CallerCount:
    """Callers inside the batcher now, and the most seen at once lately.

    The recent peak tells the opener of a batch how many calls to wait for: once the
    batch holds that many, waiting longer gains nothing. Not thread-safe: the batcher
    calls it under its lock.
    """

    def __init__(self, clock=time.monotonic, window=CALLER_WINDOW_SECONDS):
        self._clock = clock
        self._window = window
        self.inside = 0
        self._peak = 0
        self._previous_peak = 0
        self._since = clock()

    def enter(self):
        self.inside += 1
        self._roll()
        self._peak = max(self._peak, self.inside)

    def leave(self):
        self.inside -= 1

    def expected(self):
        """How many callers to expect at once: the peak of this window or the last one."""
        self._roll()
        return max(self._peak, self._previous_peak)

    def _roll(self):
        now = self._clock()
        if now - self._since >= self._window:
            self._previous_peak, self._peak, self._since = self._peak, self.inside, now


class EmbeddingBatcher:
    """Sends ``send(texts) -> (vectors, tokens, estimated)`` for every text of every call."""

    def __init__(self, send, max_items, max_bytes, max_requests, coalesce=True, wait_seconds=None,
                 clock=time.monotonic):
        self._send = send
        self.size_limit = SizeLimit(max_items)
        self.max_bytes = max_bytes
        self.coalesce = coalesce
        self.wait_seconds = wait_seconds  # None: decided from the service's latencies
        self.policy = HoldPolicy(wait_seconds, max_in_flight=max(1, max_requests))
        self._clock = clock
        self._in_flight = set()  # a _Flight per request on the wire
        self._probing = 0  # calls sent alone as probes now: the open batch does not wait for them
        self._pool = ThreadPoolExecutor(max(1, max_requests), thread_name_prefix="spcs-embed")
        # Bounds requests in flight, whether sent from the pool or from the caller's thread.
        self._slots = threading.BoundedSemaphore(max(1, max_requests))
        self._lock = threading.Lock()
        self._open = None
        self._callers = CallerCount()  # coalesced calls in progress
        self.requests = 0
        self.shared = 0  # requests that carried texts of more than one call
        self.waited_out = 0  # shared batches sent because the wait ran out, not because everyone had joined

    @property
    def max_items(self):
        """Texts per request: ``embeddingBatchSize``, or the largest size the service took after refusing one."""
        return self.size_limit.value

    def embed(self, texts):
        """(vectors in input order, prompt tokens, estimated?) for ``texts``."""
        if self.coalesce and len(texts) < self.max_items:
            return self._coalesced(texts)
        return self._batched(texts)

    def _batched(self, texts):
        plan = plan_batches(texts, self.max_items, self.max_bytes)
        if len(plan) == 1:  # one request: send it from the caller's thread, no hand-over
            return self._send_counted(texts)
        call = _Parts()
        futures = [self._pool.submit(self._send_part, call, texts[a:b]) for a, b in plan]
        wait(futures, return_when=FIRST_EXCEPTION)
        if call.error is not None:
            for future in futures:
                future.cancel()  # not started yet: never sent; started ones see the failure at their slot
            raise call.error
        return _merge(f.result() for f in futures)  # in submission order, i.e. input order

    def _send_part(self, call, texts):
        """One request of a multi-request call, unless another one of the call has failed."""
        with self._slots:
            if call.error is not None:
                raise _Cancelled()  # gives the slot back without sending
            try:
                return self._send_in_slot(texts)
            except BaseException as exc:
                with self._lock:  # set before the slot is released, so no sibling takes it to send
                    call.error = call.error or exc
                raise

    def _send_counted(self, texts):
        with self._slots:
            return self._send_in_slot(texts)

    @property
    def holding(self):
        """Whether one-text calls wait for company now."""
        return self.policy.holding

    def _send_in_slot(self, texts):
        """One request for ``texts`` (a slot is held), halved while the service says it is too large."""
        # Others in flight at any moment of this request, not just when it left: behind one
        # worker, a request sent later may be served first, and then this one waits for it.
        with self._lock:
            self.requests += 1
            flight = _Flight(len(self._in_flight))
            for other in self._in_flight:
                other.others += 1
            self._in_flight.add(flight)
        started = self._clock()
        try:
            result = self._send(texts)
        except PayloadTooLargeError:
            if len(texts) == 1:
                raise
            result = None
        finally:
            with self._lock:
                self._in_flight.discard(flight)
        if result is None:
            logger.info("The service refused a request of %d texts as too large; splitting it", len(texts))
            half = len(texts) // 2
            merged = _merge([self._send_in_slot(texts[:half]), self._send_in_slot(texts[half:])])
            # Learnt only once both halves went through: when one text is too long on its own,
            # the split ends in that text's refusal, which says nothing about batch sizes (else
            # one over-long text would bring every later request down to one text).
            with self._lock:
                self.size_limit.refuse(len(texts))
                limit = self.size_limit.value
            logger.info("At most %d texts per request from now on", limit)
            return merged
        seconds = self._clock() - started
        with self._lock:
            self.size_limit.accept(len(texts))
            self.policy.observe(flight.others, len(texts), seconds, self._callers.expected())
        return result

    def _coalesced(self, texts):
        with self._lock:
            self._callers.enter()
            expected = self._callers.expected()
            probe = self._open is None and self.policy.probe(expected)
            if probe:
                self._probing += 1
            else:
                batch, offset, opener = self._join(texts, expected)
        try:
            if probe:  # while holding, now and then one call goes alone: see hold_policy
                try:
                    return self._send_counted(texts)
                finally:
                    with self._lock:
                        self._probing -= 1
            if opener:
                self._send_open_batch(batch)
            else:
                batch.done.wait()
        finally:
            with self._lock:
                self._callers.leave()
        if batch.alone:
            return self._send_counted(texts)
        if batch.error is not None:
            raise batch.error
        vectors, tokens, estimated = batch.result
        mine = vectors[offset:offset + len(texts)]
        if batch.calls == 1:
            return mine, tokens, estimated
        # Shared request: the server's count is shared out by each call's share of the text.
        own = sum(estimate_tokens(t) for t in texts)
        return mine, int(round(tokens * own / float(batch.estimated_tokens()))), True

    def _join(self, texts, expected):
        """(batch, offset of ``texts`` in it, opener?): join the open batch, or open one. Under the lock."""
        batch = self._open
        opener = batch is None or len(batch.texts) + len(texts) > self.max_items
        if opener:
            if batch is not None:
                batch.ready.set()  # the old one is as full as it gets
            batch = self._open = _OpenBatch(self.policy.wait_seconds(expected))
        offset = len(batch.texts)
        batch.texts.extend(texts)
        batch.calls += 1
        if len(batch.texts) >= self.max_items or batch.calls >= expected - self._probing:
            batch.ready.set()
        return batch, offset, opener

    def _send_open_batch(self, batch):
        """In the opener's thread: wait (bounded) for company and a free slot, close the batch, send it."""
        if batch.wait_seconds > 0 and not batch.ready.wait(batch.wait_seconds):
            with self._lock:
                self.waited_out += 1
        try:
            with self._slots:  # while every slot is busy, the batch keeps taking texts
                with self._lock:
                    if self._open is batch:
                        self._open = None
                    texts = list(batch.texts)
                    if batch.calls > 1:
                        self.shared += 1
                batch.result = _merge([self._send_in_slot(texts[a:b])
                                       for a, b in plan_batches(texts, self.max_items, self.max_bytes)])
        except BaseException as exc:  # every call of the batch gets the error...
            batch.error = exc
            if batch.calls > 1 and refused_for_content(exc):  # ...unless one text may be the cause
                logger.info("A request shared by %d calls was refused (HTTP %s); each call sends its texts again "
                            "on its own", batch.calls, getattr(exc, "status", "?"))
                batch.alone = True
        finally:
            batch.done.set()

    def close(self):
        self._pool.shutdown(wait=False)


class _Flight:
    """A request on the wire: how many others were in flight at some moment of its life."""

    __slots__ = ("others",)

    def __init__(self, others):
        self.others = others


class _Parts:
    """The requests of one call cut into several: the first failure stops the rest."""

    def __init__(self):
        self.error = None


class _Cancelled(Exception):
    """A request of a call that had already failed: never sent."""


def _merge(results):
    vectors, tokens, estimated = [], 0, False
    for v, t, e in results:
        vectors.extend(v)
        tokens += t
        estimated = estimated or e
    return vectors, tokens, estimated
