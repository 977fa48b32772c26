"""Batching by count and size, concurrent fan-out in order, and coalescing of one-text calls."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dss import make_model, new_trace
from spcs_llm.batching.embedding_batcher import CallerCount, EmbeddingBatcher, SizeLimit, plan_batches
from spcs_llm.errors import (AuthError, ConfigError, PayloadTooLargeError, RequestRejectedError,
                             TransientServiceError)
from spcs_standin import Service, Timing, deterministic_vector


def embed_one_text_per_call(llm, texts, threads=16):
    """DSS's way when it hands texts over one call at a time from many threads."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda text: llm.process({"text": text}, {}, new_trace()), texts))


def test_plan_respects_count_and_bytes():
    texts = ["x" * 10] * 10
    assert plan_batches(texts, 4, 10 ** 6) == [(0, 4), (4, 8), (8, 10)]
    assert plan_batches(texts, 100, 3 * 42) == [(0, 3), (3, 6), (6, 9), (9, 10)]  # 10 bytes + 32 overhead each
    assert plan_batches(["y" * 1000, "z"], 100, 100) == [(0, 1), (1, 2)]  # an oversized text goes alone
    assert plan_batches([], 4, 100) == []


def fake_send(log, lock=None):
    lock = lock or threading.Lock()

    def send(texts):
        with lock:
            log.append(list(texts))
        return [[float(len(t))] for t in texts], len(texts) * 2, False
    return send


def test_large_call_is_split_and_reassembled_in_order():
    log = []
    b = EmbeddingBatcher(fake_send(log), max_items=3, max_bytes=10 ** 6, max_requests=4)
    texts = ["t" * i for i in range(1, 11)]
    vectors, tokens, estimated = b.embed(texts)
    assert vectors == [[float(i)] for i in range(1, 11)] and tokens == 20 and estimated is False
    assert sorted(len(x) for x in log) == [1, 3, 3, 3]


def test_one_text_calls_share_requests_when_every_slot_is_busy(env):
    env.standin.services["openai"].timing.latency = 0.05
    llm = make_model("embedding", env.config("openai", maxParallelism=16, maxConcurrentRequests=2, embeddingBatchSize=16))
    texts = ["note %d" % i for i in range(160)]
    results = embed_one_text_per_call(llm, texts)
    assert [r["embedding"] for r in results] == [deterministic_vector(t) for t in texts]
    requests = env.standin.services["openai"].counters["requests"]
    assert requests < 80, requests  # far fewer requests than calls: texts shared requests
    assert llm.client.batcher.shared > 0
    assert env.standin.services["openai"].counters["max_in_flight"] <= 2
    assert all(r["promptTokens"] >= 1 for r in results)


def test_a_lone_call_goes_alone():
    log = []
    b = EmbeddingBatcher(fake_send(log), max_items=16, max_bytes=10 ** 6, max_requests=2)
    assert b.embed(["alone"]) == ([[5.0]], 2, False)
    assert log == [["alone"]] and b.shared == 0


def test_an_error_reaches_every_call_of_a_shared_batch():
    gate = threading.Event()

    def failing(texts):
        gate.wait(5)
        raise RuntimeError("service down")

    b = EmbeddingBatcher(failing, max_items=4, max_bytes=10 ** 6, max_requests=1)
    errors = []

    def call(text):
        try:
            b.embed([text])
        except RuntimeError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=call, args=("t%d" % i,)) for i in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert errors == ["service down"] * 4


def test_coalescing_can_be_turned_off_and_limits_are_checked(env):
    assert make_model("embedding", env.config("openai", coalesceEmbeddings=False)).client.batcher.coalesce is False
    with pytest.raises(ConfigError, match="'maxConcurrentRequests'"):
        make_model("embedding", env.config("openai", maxConcurrentRequests=-1))


def test_caller_count_remembers_the_recent_peak_for_one_window():
    now = [0.0]
    callers = CallerCount(clock=lambda: now[0], window=1.0)
    for _ in range(3):
        callers.enter()
    assert callers.expected() == 3
    for _ in range(3):
        callers.leave()
    now[0] = 1.5  # next window: the last window's peak still counts
    callers.enter()
    assert callers.expected() == 3
    now[0] = 2.6  # a window later it is forgotten
    assert callers.expected() == 1


def test_a_first_lone_call_is_sent_without_waiting():
    log = []
    b = EmbeddingBatcher(fake_send(log), max_items=16, max_bytes=10 ** 6, max_requests=2, wait_seconds=0.2)
    assert b.embed(["alone"]) == ([[5.0]], 2, False)
    assert b.waited_out == 0  # nobody else had been seen: the batch was ready at once


def test_the_wait_for_company_is_bounded():
    gate = threading.Event()
    log = []
    send = fake_send(log)

    def gated(texts):
        gate.wait(30)
        return send(texts)

    b = EmbeddingBatcher(gated, max_items=16, max_bytes=10 ** 6, max_requests=4, wait_seconds=0.05)
    first = threading.Thread(target=b.embed, args=(["first"],))
    first.start()
    while b.requests < 1:  # "first" is on the wire, so it cannot join the next batch
        threading.Event().wait(0.001)
    second = threading.Thread(target=b.embed, args=(["second"],))
    second.start()  # two callers seen at once: the second waits for a companion that never comes
    while b.requests < 2:
        threading.Event().wait(0.001)
    gate.set()
    first.join()
    second.join()
    assert b.waited_out == 1 and sorted(log) == [["first"], ["second"]]


def test_one_text_calls_on_a_one_worker_service_travel_together(env):
    # A GPU Model Registry service runs one inference worker: requests queue, so only
    # shared requests raise throughput.
    gpu = Service("gpu", "openai", timing=Timing(latency=0.02, per_item=0.001, workers=1))
    env.standin.add_service(gpu)
    llm = make_model("embedding", env.config("gpu", maxParallelism=16))
    texts = ["gpu note %d" % i for i in range(320)]
    results = embed_one_text_per_call(llm, texts)
    assert [r["embedding"] for r in results] == [deterministic_vector(t) for t in texts]
    assert gpu.counters["max_serving"] == 1  # the stand-in really served one at a time
    assert gpu.counters["requests"] <= len(texts) // 4, gpu.counters["requests"]  # 4+ texts per request on average
    assert llm.client.batcher.shared > 0


def test_coalescing_wait_setting(env):
    def batcher(**config):
        return make_model("embedding", env.config("openai", **config)).client.batcher

    assert batcher().policy.automatic and batcher().wait_seconds is None  # the descriptor's default: auto
    for automatic in ("auto", "AUTO", "", " ", None):
        assert batcher(coalesceWaitMs=automatic).policy.automatic
    assert batcher(coalesceWaitMs=0).wait_seconds == 0 and not batcher(coalesceWaitMs=0).holding
    fixed = batcher(coalesceWaitMs="20")
    assert fixed.wait_seconds == 0.02 and fixed.holding and not fixed.policy.automatic
    for bad in (-5, 1001, "soon", "nan", True):
        with pytest.raises(ConfigError, match="'coalesceWaitMs'"):
            make_model("embedding", env.config("openai", coalesceWaitMs=bad))


def _calls_sharing_one_request(batcher, texts):
    """Each text as its own call from its own thread, all of them inside one shared request.

    The batcher's single slot is held by a first call ("blocker") until everybody has
    joined the open batch, so the batch leaves with every text in it.
    """
    results, errors = {}, {}

    def call(text):
        try:
            results[text] = batcher.embed([text])
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            errors[text] = exc

    threads = [threading.Thread(target=call, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _gated_service(refuse, failure):
    """A fake send: the first request ("blocker") waits at a gate; a request holding a refused text fails."""
    gate, log, lock = threading.Event(), [], threading.Lock()

    def send(texts):
        with lock:
            log.append(list(texts))
        if texts == ["blocker"]:
            gate.wait(30)
        elif any(t in refuse for t in texts):
            raise failure
        return [[float(len(t))] for t in texts], len(texts), False
    return send, gate, log


def _wait_until(condition, what, attempts=20000):
    """Poll ``condition``; fail the test (instead of hanging the run) if it never holds."""
    for _ in range(attempts):
        if condition():
            return
        threading.Event().wait(0.001)
    pytest.fail("never happened: %s" % what)


def _share_one_request(batcher, gate, texts):
    """Start a blocker call, then ``texts`` as one-text calls that gather behind it, then open the gate."""
    blocker = threading.Thread(target=batcher.embed, args=(["blocker"],))
    blocker.start()
    _wait_until(lambda: batcher.requests >= 1, "the blocker holds the only slot")
    out = {}
    runner = threading.Thread(target=lambda: out.update(zip(("results", "errors"),
                                                            _calls_sharing_one_request(batcher, texts))))
    runner.start()
    _wait_until(lambda: batcher._callers.inside >= len(texts) + 1, "every call joined the open batch")
    gate.set()
    runner.join()
    blocker.join()
    return out["results"], out["errors"]


def test_a_text_refused_by_the_service_fails_only_its_own_call():
    refused = RequestRejectedError("The service rejected the request (HTTP 422: bad input).", 422)
    send, gate, log = _gated_service({"poison"}, refused)
    b = EmbeddingBatcher(send, max_items=16, max_bytes=10 ** 6, max_requests=1)
    texts = ["fine %d" % i for i in range(5)] + ["poison"]
    results, errors = _share_one_request(b, gate, texts)
    assert sorted(len(r) for r in log[1:2]) == [6]  # first, one request shared by all six calls
    assert set(errors) == {"poison"} and errors["poison"] is refused
    assert {t: r[0] for t, r in results.items()} == {t: [[float(len(t))]] for t in texts if t != "poison"}
    assert sorted(log[2:]) == sorted([t] for t in texts)  # then each call's text on its own
    assert all(r[1] == 1 and r[2] is False for r in results.values())  # each its own (real) token count


@pytest.mark.parametrize("failure", [
    TransientServiceError("The service is temporarily unavailable (HTTP 503).", 503),
    AuthError("The ingress refused the token."),
    RequestRejectedError("The service rejected the request (HTTP 403: no usage grant).", 403),
    RequestRejectedError("Method /v1/embeddings not found (HTTP 404).", 404),
], ids=["transient", "auth", "forbidden", "not-found"])
def test_a_failure_that_is_not_about_the_texts_reaches_every_call_of_a_shared_request(failure):
    send, gate, log = _gated_service({"poison"}, failure)
    b = EmbeddingBatcher(send, max_items=16, max_bytes=10 ** 6, max_requests=1)
    texts = ["fine %d" % i for i in range(5)] + ["poison"]
    results, errors = _share_one_request(b, gate, texts)
    assert results == {} and set(errors) == set(texts) and all(e is failure for e in errors.values())
    assert len(log) == 2  # the blocker and the shared request: nothing sent again


def test_a_failed_call_of_many_requests_sends_nothing_more_and_frees_its_slots():
    gate, log, lock = threading.Event(), [], threading.Lock()

    def send(texts):
        with lock:
            log.append(texts[0])
        if texts[0] == "a1":
            raise TransientServiceError("The service is temporarily unavailable (HTTP 503).", 503)
        if texts[0].startswith("a"):
            gate.wait(30)  # a0 stays on the wire until the end of the test
        return [[1.0] for _ in texts], len(texts), False

    b = EmbeddingBatcher(send, max_items=1, max_bytes=10 ** 6, max_requests=2, coalesce=False)
    with pytest.raises(TransientServiceError):
        b.embed(["a%d" % i for i in range(10)])  # ten requests, two slots
    assert sorted(log) == ["a0", "a1"]  # a2..a9 were never sent
    # The next call gets the freed slot at once, though a0 still holds the other one.
    assert b.embed(["b0", "b1"])[0] == [[1.0], [1.0]]
    assert sorted(log) == ["a0", "a1", "b0", "b1"] and not gate.is_set()
    gate.set()


def _service_taking_at_most(limit, log):
    def send(texts):
        log.append(len(texts))
        if len(texts) > limit:
            raise PayloadTooLargeError("The service rejected the request as too large (HTTP 413).", 413)
        return [[float(t)] for t in texts], len(texts), False
    return send


def test_a_batch_refused_for_its_size_is_split_and_the_size_that_worked_is_kept():
    log = []
    b = EmbeddingBatcher(_service_taking_at_most(5, log), max_items=16, max_bytes=10 ** 6, max_requests=2)
    texts = [str(i) for i in range(16)]
    assert b.embed(texts)[0] == [[float(i)] for i in range(16)]  # order kept across the splits
    assert log == [16, 8, 4, 4, 8, 4, 4] and b.max_items == 4
    del log[:]
    assert b.embed(texts)[0] == [[float(i)] for i in range(16)]
    assert log == [4, 4, 4, 4]  # the next call never hits the limit
    assert b.embed(["0", "1"])[0] == [[0.0], [1.0]] and log[-1] == 2


def test_one_over_long_text_does_not_bring_the_batch_size_down():
    # A service refusing a request that holds one text it cannot take (413, or "input too
    # long"): the split ends in that text's own refusal, and later batches keep their size.
    log = []

    def send(texts):
        log.append(len(texts))
        if "too long" in texts:
            raise PayloadTooLargeError("The service rejected the request as too large (HTTP 413).", 413)
        return [[1.0] for _ in texts], len(texts), False

    b = EmbeddingBatcher(send, max_items=16, max_bytes=10 ** 6, max_requests=1, coalesce=False)
    with pytest.raises(PayloadTooLargeError):
        b.embed(["ok %d" % i for i in range(15)] + ["too long"])
    assert log == [16, 8, 8, 4, 4, 2, 2, 1, 1]  # halved down to the one text, which alone fails
    assert b.max_items == 16
    del log[:]
    assert len(b.embed(["ok %d" % i for i in range(16)])[0]) == 16 and log == [16]


def test_one_text_too_large_fails_without_a_retry():
    log = []
    b = EmbeddingBatcher(_service_taking_at_most(0, log), max_items=16, max_bytes=10 ** 6, max_requests=2)
    with pytest.raises(PayloadTooLargeError):
        b.embed(["7"])
    assert log == [1] and b.max_items == 16  # a size of 1 says nothing about the batch size


def test_size_limit_is_the_largest_size_that_worked_below_the_smallest_refused():
    limit = SizeLimit(64)
    assert limit.value == 64
    limit.accept(64)
    limit.refuse(64)  # the service changed its mind: what worked at 64 no longer counts
    assert limit.value == 32  # nothing known to work yet: half the refused size
    limit.accept(20)
    limit.accept(30)
    limit.accept(70)  # above a refused size: not evidence
    assert limit.value == 30
    limit.refuse(25)
    assert limit.value == 12
    limit.accept(12)
    assert limit.value == 12


def test_coalesced_calls_learn_the_limit_too(env):
    svc = env.standin.services["openai"]
    svc.faults.max_batch = 3
    llm = make_model("embedding", env.config("openai", maxParallelism=8, maxConcurrentRequests=1, embeddingBatchSize=16))
    texts = ["limit note %d" % i for i in range(64)]
    results = embed_one_text_per_call(llm, texts, threads=8)
    assert [r["embedding"] for r in results] == [deterministic_vector(t) for t in texts]
    batcher = llm.client.batcher
    assert batcher.max_items <= 3
    before = svc.counters["requests"]
    r = llm.process({"queries": [{"text": t} for t in texts[:12]]}, {}, new_trace())
    assert [x["embedding"] for x in r["responses"]] == [deterministic_vector(t) for t in texts[:12]]
    assert svc.counters["requests"] - before == -(-12 // batcher.max_items)  # no refused request


def _one_text_calls(env, name, workers, count=320):
    # 5 ms a text: batching visibly costs on the parallel service, even though the
    # in-process stand-in shares the test's interpreter lock (requests in flight slow
    # each other a little there too).
    service = Service(name, "openai", timing=Timing(latency=0.05, per_item=0.005, workers=workers))
    env.standin.add_service(service)
    model = make_model("embedding", env.config(name, maxParallelism=16))  # coalesceWaitMs: the default, auto
    texts = ["%s note %d" % (name, i) for i in range(count)]
    results = embed_one_text_per_call(model, texts)
    assert [r["embedding"] for r in results] == [deterministic_vector(t) for t in texts]
    return model.client.batcher, service


def test_automatic_wait_holds_one_text_calls_for_a_one_worker_service(env):
    batcher, service = _one_text_calls(env, "one-worker", workers=1)
    assert batcher.policy.automatic and batcher.holding
    assert service.counters["requests"] <= 320 // 4, service.counters["requests"]  # 4+ texts per request
    fit = batcher.policy.latency.fit
    assert fit.per_request > 2 * fit.per_text, fit  # each request in flight costs more than a text more


def test_automatic_wait_sends_one_text_calls_at_once_to_a_parallel_service(env):
    # If the first round looks queued (all callers start at once, before any base is
    # measured), holding stops after probes of 1, 2, 4 and 8 calls: room for them.
    batcher, service = _one_text_calls(env, "parallel", workers=0, count=960)
    policy = batcher.policy
    assert policy.automatic and not batcher.holding, (policy.latency.fit, policy.probes, policy.probe_size)
    assert service.counters["max_in_flight"] >= 8  # the callers' requests really travelled side by side


def test_automatic_wait_follows_a_service_that_changes_kind(env):
    service = Service("switching", "openai", timing=Timing(latency=0.05, per_item=0.005))
    env.standin.add_service(service)
    model = make_model("embedding", env.config("switching", maxParallelism=16))
    batcher = model.client.batcher
    embed_one_text_per_call(model, ["before %d" % i for i in range(320)])
    assert not batcher.holding
    service.set_workers(1)  # scaled in: requests now queue
    texts = ["after %d" % i for i in range(320)]
    assert [r["embedding"] for r in embed_one_text_per_call(model, texts)] == [deterministic_vector(t) for t in texts]
    assert batcher.holding
    service.set_workers(0)  # scaled out again
    # Noticed at the next probe (up to 32 held rounds of 130 ms here), then confirmed by probes
    # of 1, 2, 4 and 8 calls: holding stops only on one as large as half a round.
    embed_one_text_per_call(model, ["again %d" % i for i in range(1280)])
    assert not batcher.holding and batcher.policy.changes >= 2
