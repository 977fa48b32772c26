"""Batching by count and size, concurrent fan-out in order, and coalescing of one-text calls."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dss import make_model, new_trace
from spcs_llm.embedding_batcher import CallerCount, EmbeddingBatcher, plan_batches
from spcs_llm.errors import ConfigError
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
    assert make_model("embedding", env.config("openai")).client.batcher.wait_seconds == 0.02
    assert make_model("embedding", env.config("openai", coalesceWaitMs=0)).client.batcher.wait_seconds == 0
    with pytest.raises(ConfigError, match="'coalesceWaitMs'"):
        make_model("embedding", env.config("openai", coalesceWaitMs=-5))
