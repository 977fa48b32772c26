"""Shared requests and parallelism (issue 14, items 7, 8 and 10), against the stand-in.

Each scenario sets up a service, drives models as DSS does and returns what happened:
a failure stays with the call whose text caused it, a failed call of many requests
stops at once, and async calls reach ``maxParallelism``. Shared by
``tests/test_sharing_matrix.py`` (asserts every row) and ``devtools/reliability.py``.
"""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dss_harness import make_model, new_query, new_trace
from spcs_standin import Service, Timing, deterministic_vector


@dataclass
class Outcome:
    name: str
    expected: str
    ok: bool
    outcome: str
    requests: int
    seconds: float = 0.0


def one_text_refused_in_a_shared_request(env):
    """Eight one-text calls share requests on a one-worker service; the service refuses one text."""
    svc = Service("one-worker", "openai", timing=Timing(latency=0.05, workers=1))
    env.standin.add_service(svc)
    svc.faults.refuse_text = "text 5 (refused)"
    model = make_model("embedding", env.config("one-worker", coalesceWaitMs=100, maxParallelism=8))
    texts = ["text %d" % i for i in range(8)]
    texts[5] = svc.faults.refuse_text
    outcomes = {}

    def call(text):
        try:
            outcomes[text] = model.process({"text": text}, {}, new_trace())["embedding"]
        except Exception as exc:  # the row reports which calls failed and why
            outcomes[text] = exc

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(call, texts))
    failed = sorted(t for t, r in outcomes.items() if isinstance(r, Exception))
    right = [t for t, r in outcomes.items() if not isinstance(r, Exception) and r == deterministic_vector(t)]
    error = outcomes[svc.faults.refuse_text]
    shared = model.client.batcher.shared
    ok = failed == [svc.faults.refuse_text] and len(right) == 7 and shared > 0 and "HTTP 400" in str(error)
    return ok, "%d of 8 calls answered with their own vectors; %d shared request(s); the refused call: %s: %s" % (
        len(right), shared, type(error).__name__, str(error)[:80]), svc.counters["requests"]


def failed_call_of_many_requests_stops(env):
    """A call cut into 10 requests (2 at a time) whose first request fails."""
    svc = env.standin.services["openai"]
    svc.timing.latency = 0.1
    svc.faults.inject("400")
    model = make_model("embedding", env.config("openai", embeddingBatchSize=1, maxConcurrentRequests=2,
                                               coalesceEmbeddings=False))
    try:
        model.process({"queries": [{"text": "text %d" % i} for i in range(10)]}, {}, new_trace())
        error = None
    except Exception as exc:  # expected: the 400
        error = exc
    sent = svc.counters["requests"]
    next_call = model.process({"queries": [{"text": "next %d" % i} for i in range(2)]}, {}, new_trace())
    ok = error is not None and sent <= 3 and [r["embedding"] for r in next_call["responses"]] == [
        deterministic_vector("next %d" % i) for i in range(2)]
    return ok, "%s after %d of 10 requests; the next call answered at once" % (
        type(error).__name__, sent), sent


def async_calls_reach_max_parallelism(env):
    """64 concurrent ``aprocess`` calls at maxParallelism 64, on a service taking 0.3 s a request."""
    svc = env.standin.services["openai"]
    svc.timing.latency = 0.3
    model = make_model("chat", env.config("openai", maxParallelism=64))

    async def run():
        calls = []
        for i in range(64):
            q = new_query()
            q.with_message("q%d" % i)
            calls.append(model.aprocess(q.cq, {}, new_trace()))
        return await asyncio.gather(*calls)

    answers = asyncio.run(run())
    right = sum(a["text"] == "Turn 1. You said: q%d" % i for i, a in enumerate(answers))
    peak = svc.counters["max_in_flight"]
    return right == 64 and peak == 64, "%d of 64 answers right; %d requests in flight at once" % (right, peak), \
        svc.counters["requests"]


SCENARIOS = [
    ("one text of a shared request refused (HTTP 400)", "only its own call fails; the others get their vectors",
     one_text_refused_in_a_shared_request),
    ("first of 10 requests of one call fails", "the call stops: requests not yet sent are cancelled, slots freed",
     failed_call_of_many_requests_stops),
    ("64 aprocess calls at maxParallelism 64", "all 64 in flight at once (asyncio's pool would allow 6 on 2 CPUs)",
     async_calls_reach_max_parallelism),
]


def run_scenario(env, scenario):
    """Run one scenario of ``SCENARIOS``; return its ``Outcome``."""
    name, expected, fn = scenario
    started = time.monotonic()
    ok, outcome, requests = fn(env)
    return Outcome(name, expected, ok, outcome, requests, time.monotonic() - started)
