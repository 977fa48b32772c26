"""Cost attribution (busy time shared between overlapping calls) and real parallelism."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dss import ask, make_llm, make_model, new_query, new_trace
from spcs_llm.costs import BusyTimeMeter

RATE_CREDITS, DOLLARS_PER_CREDIT = 6.0, 3.0


def union_length(intervals):
    total, end = 0.0, None
    for s, e in sorted(intervals):
        if end is None or s > end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return total


def test_meter_splits_overlaps_exactly():
    now = [0.0]
    meter = BusyTimeMeter(clock=lambda: now[0])
    a = meter.start()            # t=0: A alone
    now[0] = 1.0
    b = meter.start()            # t=1: A and B share
    now[0] = 3.0
    share_a = meter.finish(a)    # A: 1 + 2/2 = 2
    now[0] = 4.0
    share_b = meter.finish(b)    # B: 2/2 + 1 = 2
    now[0] = 10.0                # idle time is nobody's
    c = meter.start()
    now[0] = 10.5
    share_c = meter.finish(c)
    assert (share_a, share_b, share_c) == (2.0, 2.0, 0.5)
    assert meter.busy_seconds == 4.5


@pytest.mark.parametrize("service", ["openai", "st"])
def test_sum_of_costs_equals_rate_times_busy_time(env, service):
    svc = env.standin.services[service]
    svc.timing.latency = 0.15
    capability = "embedding" if service == "st" else "chat"
    llm = make_model(capability, env.config(service, spcsCreditsPerHourCost=RATE_CREDITS,
                                            snowflakeCreditCost=DOLLARS_PER_CREDIT, maxParallelism=8))
    intervals, costs, lock = [], [], threading.Lock()

    def call(i):
        time.sleep((i % 5) * 0.03)  # staggered starts: partial overlaps
        start = time.monotonic()
        if service == "st":
            r = llm.process({"text": "text %d" % i}, {}, new_trace())
        else:
            q = new_query()
            q.with_message("question %d" % i)
            r = llm.process(q.cq, {}, new_trace())
        end = time.monotonic()
        with lock:
            intervals.append((start, end))
            costs.append(r["estimatedCost"])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(call, range(24)))
    expected = RATE_CREDITS * DOLLARS_PER_CREDIT * union_length(intervals) / 3600.0
    assert sum(costs) == pytest.approx(expected, rel=0.01)
    assert all(c > 0 for c in costs)


def test_token_prices_are_added(env):
    llm = make_llm(env.config("openai", inputTokenCostPerMillion=1_000_000, outputTokenCostPerMillion=2_000_000))
    q = new_query()
    q.with_message("one two three")
    r = llm.process(q.cq, {}, new_trace())
    assert r["estimatedCost"] == pytest.approx(r["promptTokens"] * 1.0 + r["completionTokens"] * 2.0)


def test_calls_really_run_in_parallel(env):
    svc = env.standin.services["openai"]
    svc.timing.latency = 0.3
    llm = make_llm(env.config("openai", maxParallelism=8))

    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(lambda i: ask(llm, "q%d" % i)["text"], range(8)))
    assert texts == ["Turn 1. You said: q%d" % i for i in range(8)]
    assert svc.counters["max_in_flight"] == 8
