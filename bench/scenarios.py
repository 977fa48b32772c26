"""Issue 17's runs for ``make bench``: a service that changes kind, async calls, a long run.

Each function measures, stores its figures in ``results`` and returns the table rows
and targets it adds. The stand-in runs with ``--switching``: its ``openai-switching``
service serves every request at once until it gets SIGUSR1, then one at a time, and so on.
"""

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import orjson

from dss_harness import make_model, new_query, new_trace

WINDOW = 0.5  # seconds per throughput window of the switching run
PHASE_SECONDS = (4.0, 6.0, 6.0)  # parallel, then one worker, then parallel again
ASYNC_TASKS, ASYNC_CALLS, ASYNC_TOKENS = 64, 640, 8
LONG_TEXTS, LONG_BATCH = 200_000, 64


def ceilings(threads, latency, per_item):
    """Little's law: ``threads`` one-text callers never have more than ``threads`` texts in flight."""
    return {"parallel": threads / (latency + per_item),  # each request alone, all at once
            "one_worker": threads / (latency + threads * per_item)}  # one request of all of them at a time


def one_text_calls_while_switching(info, auth, proc, threads, latency, per_item, results):
    """One-text calls from ``threads`` threads while the service switches kind twice; throughput per window."""
    model = make_model("embedding", dict(auth, llmEndpointUrl=info["services"]["openai-switching"],
                                         modelHandlingMode="OPENAI_COMPATIBLE", maxParallelism=threads))
    batcher = model.client.batcher
    model.process({"text": "warm up"}, {}, new_trace())
    done, stop, counter = [], threading.Event(), [0]
    lock = threading.Lock()

    def caller():
        while not stop.is_set():
            with lock:
                counter[0] += 1
                i = counter[0]
            model.process({"text": "switching note %d" % i}, {}, new_trace())
            done.append(time.perf_counter())  # list.append is atomic

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    switches, decisions = [], []
    for i, seconds in enumerate(PHASE_SECONDS):
        if i:
            os.kill(proc.pid, signal.SIGUSR1)  # the stand-in's switching service changes kind
            switches.append(time.perf_counter() - start)
        phase_end = time.perf_counter() + seconds
        while time.perf_counter() < phase_end:
            time.sleep(0.05)
            decisions.append((round(time.perf_counter() - start, 2), batcher.holding))
    stop.set()
    for w in workers:
        w.join()
    limit = ceilings(threads, latency, per_item)
    kinds = ["parallel", "one_worker", "parallel"]
    bounds = [0.0] + switches + [sum(PHASE_SECONDS)]
    phases = []
    for i, kind in enumerate(kinds):
        windows = _windows(done, start, bounds[i], bounds[i + 1])
        ratios = [w / limit[kind] for w in windows]
        recovered = _back_to(ratios, 0.9)
        settled = ratios[len(ratios) // 2:]
        settled_ratio = sum(settled) / max(1, len(settled))
        # When the decision turned to what this kind wants, and when throughput came back to
        # 0.9 of the level it settled at (on a busy machine that level is below the ceiling).
        wanted = kind == "one_worker"
        decided = next((t - bounds[i] for t, h in decisions if bounds[i] <= t <= bounds[i + 1] and h == wanted), None)
        settled_at = _back_to(ratios, 0.9 * settled_ratio)
        phases.append({"kind": kind, "ceiling_texts_per_s": limit[kind], "window_ratios": [round(x, 2) for x in ratios],
                       "seconds_to_0_9": recovered, "settled_ratio": settled_ratio,
                       "seconds_to_decision": decided, "seconds_to_0_9_of_settled": settled_at,
                       "holding_at_end": [h for t, h in decisions if t <= bounds[i + 1]][-1]})
    results["switching"] = {"phases": phases, "switches_s": switches, "decision_changes": batcher.policy.changes,
                            "probes": batcher.policy.probes, "requests": batcher.requests, "texts": len(done)}
    model.client.close()
    rows = [("**Service switching kind while one-text calls run (automatic wait)**", "", "")]
    targets = []
    for i, p in enumerate(phases):
        what = "start" if i == 0 else "after switch %d" % i
        rows.append(("One text per call, %d threads, %s: %s" % (threads, what, p["kind"].replace("_", " ")),
                     "%.2f of the ceiling (settled)" % p["settled_ratio"],
                     "%s; held: %s%s; at 0.9 of the ceiling after %s, of its settled level after %s" % (
                         "windows of %g s: %s" % (WINDOW, " ".join("%.2f" % x for x in p["window_ratios"])),
                         "yes" if p["holding_at_end"] else "no",
                         "" if not i else " (decided after %s)" % _seconds(p["seconds_to_decision"]),
                         _seconds(p["seconds_to_0_9"]), _seconds(p["seconds_to_0_9_of_settled"]))))
        if i:
            targets.append(("after switch %d (%s), seconds to >= 0.9 of the ceiling" % (i, p["kind"]),
                            p["seconds_to_0_9"] if p["seconds_to_0_9"] is not None else float("inf"), 3.0, False))
    return rows, targets


def _back_to(ratios, level):
    """Seconds into the phase from which throughput is back at ``level``: two windows in a
    row at it, and the rest of the phase there on average (None: never)."""
    return next((j * WINDOW for j in range(len(ratios) - 1)
                 if min(ratios[j:j + 2]) >= level and sum(ratios[j:]) / len(ratios[j:]) >= level), None)


def _seconds(value):
    return "never" if value is None else "%.1f s" % value


def _windows(done, start, begin, end):
    """Texts per second in each WINDOW from ``begin`` to ``end`` (seconds after ``start``)."""
    counts = [0] * max(1, int((end - begin) / WINDOW))
    for t in done:
        j = int((t - start - begin) / WINDOW)
        if 0 <= j < len(counts):
            counts[j] += 1
    return [c / WINDOW for c in counts]


def async_calls(info, auth, session, results):
    """``aprocess`` from ASYNC_TASKS tasks at ``maxParallelism`` = ASYNC_TASKS, against the same calls from threads."""
    url = info["services"]["openai"]
    model = make_model("chat", dict(auth, llmEndpointUrl=url, modelHandlingMode="OPENAI_COMPATIBLE",
                                    maxParallelism=ASYNC_TASKS))
    in_flight = _count_in_flight(model.client.transport)
    questions = ["Async question %d" % i for i in range(ASYNC_CALLS)]
    settings = {"maxOutputTokens": ASYNC_TOKENS}

    def query(text):
        q = new_query()
        q.with_message(text)
        return q.cq

    async def run_async():
        gate = asyncio.Semaphore(ASYNC_TASKS)  # ASYNC_TASKS tasks at a time, as a DSS recipe's async pool

        async def one(text):
            async with gate:
                return await model.aprocess(query(text), settings, new_trace())
        return len(await asyncio.gather(*(one(t) for t in questions)))

    def run_threads():
        with ThreadPoolExecutor(ASYNC_TASKS) as pool:
            return len(list(pool.map(lambda t: model.process(query(t), settings, new_trace()), questions)))

    asyncio.run(run_async())  # warm the executor and the connections
    in_flight["peak"] = 0
    started = time.perf_counter()
    asyncio.run(run_async())
    async_s = time.perf_counter() - started
    async_peak = in_flight["peak"]
    in_flight["peak"] = 0
    started = time.perf_counter()
    run_threads()
    threads_s = time.perf_counter() - started
    results["async"] = {"tasks": ASYNC_TASKS, "calls": ASYNC_CALLS, "max_parallelism": ASYNC_TASKS,
                        "async_calls_per_s": ASYNC_CALLS / async_s, "threads_calls_per_s": ASYNC_CALLS / threads_s,
                        "async_peak_in_flight": async_peak, "threads_peak_in_flight": in_flight["peak"]}
    a = results["async"]
    model.client.close()
    rows = [("**Async calls**", "", ""),
            ("Chat `aprocess`, %d tasks, maxParallelism %d, %d calls of %d tokens" % (
                ASYNC_TASKS, ASYNC_TASKS, ASYNC_CALLS, ASYNC_TOKENS), "%.1f calls/s" % a["async_calls_per_s"],
             "peak %d requests in flight at once" % a["async_peak_in_flight"]),
            ("Same calls with `process` from %d threads" % ASYNC_TASKS, "%.1f calls/s" % a["threads_calls_per_s"],
             "peak %d in flight; async/threads = %.2f" % (a["threads_peak_in_flight"],
                                                         a["async_calls_per_s"] / a["threads_calls_per_s"]))]
    targets = [("aprocess: requests in flight at once (maxParallelism %d)" % ASYNC_TASKS, a["async_peak_in_flight"],
                ASYNC_TASKS, True)]
    return rows, targets


def _count_in_flight(transport):
    """Wrap ``transport.post_json`` to count requests on the wire at once (each call is one request)."""
    state, lock, post = {"now": 0, "peak": 0}, threading.Lock(), transport.post_json

    def counted(*args, **kwargs):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            return post(*args, **kwargs)
        finally:
            with lock:
                state["now"] -= 1
    transport.post_json = counted
    return state


def long_run(info, auth, session, threads, results):
    """LONG_TEXTS texts through one embedding model in calls of LONG_BATCH, against a bare client; RSS sampled."""
    url = info["services"]["openai"]
    model = make_model("embedding", dict(auth, llmEndpointUrl=url, modelHandlingMode="OPENAI_COMPATIBLE",
                                         embeddingBatchSize=LONG_BATCH, maxParallelism=threads))
    calls = LONG_TEXTS // LONG_BATCH

    def chunk(i):  # built on demand: nothing of the run is kept
        return ["Long run note %d: patient %d reports symptom %d." % (i * LONG_BATCH + j, j, i % 37)
                for j in range(LONG_BATCH)]

    def plugin():
        def one(i):
            return len(model.process({"queries": [{"text": t} for t in chunk(i)]}, {}, new_trace())["responses"])
        with ThreadPoolExecutor(threads) as pool:
            return sum(pool.map(one, range(calls)))

    def bare():
        def one(i):
            r = session.post(url + "/v1/embeddings", data=orjson.dumps({"input": chunk(i)}))
            return len(orjson.loads(r.content)["data"])
        with ThreadPoolExecutor(threads) as pool:
            return sum(pool.map(one, range(calls)))

    figures = {}
    for name, fn in (("plugin", plugin), ("bare", bare)):
        sampler = _RssSampler()
        started = time.perf_counter()
        n = fn()
        seconds = time.perf_counter() - started
        figures[name] = {"texts": n, "texts_per_s": n / seconds, "seconds": seconds,
                         "rss_start_mb": sampler.start_mb, "rss_peak_growth_mb": sampler.stop()}
    model.client.close()
    results["long_run"] = figures
    p, b = figures["plugin"], figures["bare"]
    rows = [("**Long run**", "", ""),
            ("Embeddings, plugin, %d texts in calls of %d, %d threads" % (LONG_TEXTS, LONG_BATCH, threads),
             "%.0f texts/s" % p["texts_per_s"], "plugin/bare = %.2f; peak RSS growth %.1f MB (from %.0f MB)" % (
                 p["texts_per_s"] / b["texts_per_s"], p["rss_peak_growth_mb"], p["rss_start_mb"])),
            ("Same texts, bare requests client, orjson", "%.0f texts/s" % b["texts_per_s"],
             "peak RSS growth %.1f MB" % b["rss_peak_growth_mb"])]
    targets = [("long run: plugin / bare client, %d texts" % LONG_TEXTS, p["texts_per_s"] / b["texts_per_s"], 0.95,
                True),
               ("long run: peak RSS growth, MB", p["rss_peak_growth_mb"], 50, False)]
    return rows, targets


class _RssSampler:
    """Peak resident memory of this process above its level at start, sampled every 50 ms."""

    def __init__(self):
        self.start_mb = self.peak_mb = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak_mb = max(self.peak_mb, _rss_mb())

    def stop(self):
        self._stop.set()
        self._thread.join()
        return max(self.peak_mb, _rss_mb()) - self.start_mb


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
