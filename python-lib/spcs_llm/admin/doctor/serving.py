"""The doctor's serving check: are one-text requests served in parallel, or do they queue?"""

import time
from concurrent.futures import ThreadPoolExecutor

from ...protocols import for_settings
from .report import Check

SERVING_PROBE = 4  # one-text requests sent at once to see whether the service queues them
QUICKEST_TO_JUDGE = 0.015  # below this a request's time is mostly the client's own work, not the service's


def serving_check(settings, transport):
    """Whether one-text requests sent at once are served in parallel or queue, and what the model will do.

    Coalescing one-text calls pays off when the service queues requests (one inference
    worker, the Model Registry default on GPU); when it serves them in parallel, waiting
    for company only adds latency. With ``coalesceWaitMs`` automatic the model decides
    this from its own traffic (``hold_policy``); a fixed wait is reported, and automatic
    suggested instead.
    """
    fixed = settings.coalesce_wait_seconds
    suggested = {} if fixed is None else {"coalesceWaitMs": "auto"}

    def advice(automatic_does):
        if fixed is None:
            return "With coalesceWaitMs automatic (as set), %s." % automatic_does
        return ("coalesceWaitMs is fixed at %g ms; automatic (suggested below) would measure this from live traffic "
                "and follow the service if it changes: %s." % (fixed * 1000, automatic_does))

    protocol = for_settings(settings)
    n = min(SERVING_PROBE, settings.transport.max_parallelism)

    def one(i):
        path, body = protocol.embed_request(["doctor serving check %d" % i])
        protocol.parse_embeddings(transport.post_json(path, body), 1)

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(one, range(n)))  # opens the pooled connections and starts the threads, untimed
        alone = min(_timed(one, i) for i in range(2))
        if alone < QUICKEST_TO_JUDGE:
            return Check("serving", True, "one request takes %.0f ms: too quick to tell whether requests queue. %s"
                         % (alone * 1000, advice("the model decides from the latencies it sees under load"))), \
                suggested
        ratio = max(pool.map(lambda i: _timed(one, i), range(n))) / alone
    measured = "of %d one-text requests sent at once, the slowest took %.1fx as long as one alone (%.0f ms)" % (
        n, ratio, alone * 1000)
    if ratio <= 1.6:
        kind, does = "served in parallel", "one-text calls are sent at once, without a wait for company"
    elif ratio >= 0.6 * n:
        kind, does = "served one at a time", "one-text calls wait for company and share requests"
    else:
        kind, does = "a few served at a time", "one-text calls share requests when that is measured to pay"
    return Check("serving", True, "%s: %s. %s" % (measured, kind, advice(does))), suggested


def _timed(fn, *args):
    started = time.monotonic()
    fn(*args)
    return time.monotonic() - started
