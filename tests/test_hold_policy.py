"""The decision to hold one-text calls for company, against fake services (no clock, no sockets).

``FakeService`` gives the latency each kind of service would show for a request of ``k``
texts sent while ``n`` others are in flight; ``rounds`` plays closed-loop callers (each
sends its next text when its vector is back) through the policy, the way the batcher
drives it: what each round sends depends on the policy's decision and its probes.
"""

import pytest

from spcs_llm.batching.hold_policy import PROBE_EVERY, HoldPolicy, LatencyFit

BASE, PER_TEXT = 0.020, 0.001


class FakeService:
    """Latency of a request: served at once (``workers=0``) or queued behind ``workers`` workers."""

    def __init__(self, workers=0, base=BASE, per_text=PER_TEXT):
        self.workers, self.base, self.per_text = workers, base, per_text

    def latency(self, ahead, texts):
        """A request of ``texts`` texts with ``ahead`` one-text requests queued before it."""
        own = self.base + self.per_text * texts
        if self.workers == 0:
            return own
        return ahead // self.workers * (self.base + self.per_text) + own


def rounds(policy, service, count, callers=16):
    """Play ``count`` rounds of ``callers`` closed-loop callers; the decision after each round.

    As the batcher reports them: each request with the number of others in flight at any
    moment of its life, so of requests in flight together behind one worker, the first
    served reports the others but waited for none of them.
    """
    decisions = []
    for _ in range(count):
        if policy.holding:
            alone = 0
            while alone < callers - 1 and policy.probe(callers):  # as each call arrives
                alone += 1
            if alone:  # a probe: these calls go at once, the rest share a request sent right after
                for ahead in range(alone):
                    policy.observe(alone, 1, service.latency(ahead, 1), callers)
                policy.observe(alone, callers - alone, service.latency(alone, callers - alone), callers)
            else:
                policy.observe(0, callers, service.latency(0, callers), callers)
        else:
            assert not policy.probe(callers)  # not holding, requests are in flight together anyway
            for ahead in range(callers):
                policy.observe(callers - 1, 1, service.latency(ahead, 1), callers)
        decisions.append(policy.holding)
    return decisions


def first_round(policy, service, callers=16):
    """Callers arriving one after the other, none holding yet: each finds the earlier ones in flight."""
    for n in range(callers):
        policy.observe(n, 1, service.latency(n, 1), callers)


def test_the_fit_separates_queueing_from_batch_size():
    fit = LatencyFit()
    service = FakeService(workers=1)
    for n, k in [(0, 1), (3, 1), (0, 16), (1, 15), (7, 2), (0, 4), (2, 8)] * 10:
        fit.add(n, k, service.latency(n, k))
    assert fit.fit.base == pytest.approx(BASE, abs=1e-4)
    assert fit.fit.per_request == pytest.approx(BASE + PER_TEXT, abs=1e-4)
    assert fit.fit.per_text == pytest.approx(PER_TEXT, abs=1e-4)


def test_a_slope_no_recent_sample_measures_keeps_its_last_value():
    fit = LatencyFit()
    for n, k in [(0, 1), (0, 16), (1, 15), (3, 1)] * 10:
        fit.add(n, k, FakeService().latency(n, k))
    for _ in range(200):  # then only one kind of request: nothing says what the slopes are
        fit.add(15, 1, FakeService().latency(15, 1))
    assert fit.fit.per_text == pytest.approx(PER_TEXT, abs=2e-4)
    assert fit.fit.per_request == pytest.approx(0, abs=2e-4)


def test_a_service_serving_in_parallel_gets_calls_at_once():
    policy = HoldPolicy()
    first_round(policy, FakeService(workers=0))
    decisions = rounds(policy, FakeService(workers=0), 200)
    assert not any(decisions)
    assert policy.wait_seconds(16) == 0


def test_a_one_worker_service_gets_calls_held_for_company():
    policy = HoldPolicy()
    first_round(policy, FakeService(workers=1))
    assert policy.holding  # the first round already shows requests queueing
    decisions = rounds(policy, FakeService(workers=1), 200)
    assert all(decisions) and policy.changes == 1
    # Held at most about one shared request's time: waiting longer than that could not pay.
    assert policy.wait_seconds(16) == pytest.approx(BASE + 16 * PER_TEXT, rel=0.05)


@pytest.mark.parametrize("workers", [2, 4])
def test_a_service_that_serves_a_few_at_once_still_gets_calls_held(workers):
    # Two requests in flight do not queue there, so a probe of one call alone shows no
    # queue: holding must not stop on it, only on probes as large as a round.
    policy = HoldPolicy()
    first_round(policy, FakeService(workers=workers))
    assert all(rounds(policy, FakeService(workers=workers), 400)[10:])
    assert policy.changes == 1
    assert policy.probes <= 400 // 8  # the probes stay about as small and rare as still shows the queue


def test_holding_stops_on_a_probe_as_large_as_the_batcher_can_send():
    # 32 callers, but the batcher puts at most 8 requests on the wire: a probe of 7 calls
    # alone (with the shared request, 8 in flight) is as large as it gets, and one of 4
    # (3 others in flight, half as many as 7) is enough to stop holding.
    policy = HoldPolicy(max_in_flight=8)
    first_round(policy, FakeService(workers=1), callers=32)
    assert rounds(policy, FakeService(workers=1), 100, callers=32)[-1]
    decisions = rounds(policy, FakeService(workers=0), 200, callers=32)
    assert not decisions[-1] and policy.probe_size == 4


@pytest.mark.parametrize("before, after", [(0, 1), (1, 0)], ids=["scaled-in", "scaled-out"])
def test_the_decision_follows_the_service_when_it_changes_kind(before, after):
    policy = HoldPolicy()
    first_round(policy, FakeService(workers=before))
    assert rounds(policy, FakeService(workers=before), 300)[-1] == bool(before)
    decisions = rounds(policy, FakeService(workers=after), 300)
    assert decisions[-100:] == [bool(after)] * 100  # settled on the new kind...
    switched = decisions.index(bool(after))
    # ...within two probe intervals: at 16 callers and the stand-in's pace (20 ms + 1 ms a
    # text), 64 held rounds are about 2.3 s of traffic
    assert switched <= 2 * PROBE_EVERY, switched


def test_probes_are_rare_while_the_service_stays_the_same():
    policy = HoldPolicy()
    first_round(policy, FakeService(workers=1))
    rounds(policy, FakeService(workers=1), 320)  # holding: one request per round
    assert policy.probes <= 320 // PROBE_EVERY + 1


def test_a_lone_caller_is_never_held_or_probed():
    policy = HoldPolicy()
    for _ in range(1000):
        assert not policy.probe(1)
        policy.observe(0, 1, BASE + PER_TEXT, 1)
    assert not policy.holding and policy.probes == 0


def test_a_fixed_wait_is_kept_whatever_the_service_does():
    for wait, holding in ((0.02, True), (0.0, False)):
        policy = HoldPolicy(fixed_wait=wait)
        first_round(policy, FakeService(workers=0 if holding else 1))
        assert rounds(policy, FakeService(workers=0 if holding else 1), 50) == [holding] * 50
        assert policy.wait_seconds(16) == wait and policy.probes == 0
