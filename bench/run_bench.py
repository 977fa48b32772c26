"""``make bench``: the plugin against a bare ``requests`` client and the predecessor's way.

The stand-in runs in its own process with a fixed service time (20 ms per request plus
1 ms per embedded text; chat: 100 ms to the first token, 5 ms between tokens), so the
limit is known. Results go to bench/results.json and are printed as a table.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "devtools"))

from dss_harness import generate_keypair, make_llm, new_query, new_trace  # noqa: E402

LATENCY, PER_ITEM, TTFT, TOKEN_DELAY = 0.020, 0.001, 0.100, 0.005
TEXTS, BATCH, THREADS = 5000, 64, 16
CHATS, CHAT_THREADS = 500, 16
PREDECESSOR_SAMPLE = 300
STREAMS = 30


def start_standin(public_key_file):
    info = tempfile.mktemp(suffix=".json")
    proc = subprocess.Popen(
        [sys.executable, "-m", "spcs_standin", "--latency", str(LATENCY), "--per-item", str(PER_ITEM),
         "--ttft", str(TTFT), "--token-delay", str(TOKEN_DELAY), "--public-key", public_key_file,
         "--info-file", info],
        cwd=os.path.join(ROOT, "standin"), stdout=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(info) and os.path.getsize(info):
            with open(info) as f:
                return proc, json.load(f)
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the stand-in did not start")


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bare_session(token):
    s = requests.Session()
    s.mount("http://", HTTPAdapter(pool_maxsize=THREADS + 2))
    s.headers.update({"Authorization": 'Snowflake Token="%s"' % token, "Content-Type": "application/json"})
    return s


def main():
    private, public = generate_keypair()
    key_file = tempfile.mktemp(suffix=".pem")
    with open(key_file, "w") as f:
        f.write(public)
    proc, info = start_standin(key_file)
    try:
        return run(info, private)
    finally:
        proc.terminate()
        proc.wait(10)


def run(info, private):
    url = info["services"]["openai"]
    auth = {"authMode": "KEYPAIR_JWT", "snowflakeAccountUrl": info["account_url"],
            "keypair": {"account": info["account"], "user": info["user"], "privateKey": private}}
    texts = ["Clinical note %d: patient reports symptom %d for %d days." % (i, i % 37, i % 11) for i in range(TEXTS)]
    chunks = [texts[i:i + BATCH] for i in range(0, TEXTS, BATCH)]
    session = bare_session(info["pat"])
    results = {}

    # -- embeddings -----------------------------------------------------------------------
    embed = make_llm(dict(auth, llmEndpointUrl=url, modelHandlingMode="OPENAI_COMPATIBLE",
                          embeddingBatchSize=BATCH, maxParallelism=THREADS))
    embed.process_embeddings({"text": "warm up"}, {}, new_trace())

    def plugin_batched():
        with ThreadPoolExecutor(THREADS) as pool:
            return sum(len(r["responses"]) for r in pool.map(
                lambda c: embed.process_embeddings({"queries": [{"text": t} for t in c]}, {}, new_trace()), chunks))

    def bare_batched():
        def post(c):
            r = session.post(url + "/v1/embeddings", data=json.dumps({"input": c}))
            return len(r.json()["data"])
        with ThreadPoolExecutor(THREADS) as pool:
            return sum(pool.map(post, chunks))

    def plugin_one_per_call(model):
        def one(t):
            return model.process_embeddings({"text": t}, {}, new_trace())["embedding"]
        with ThreadPoolExecutor(THREADS) as pool:
            return sum(1 for _ in pool.map(one, texts))

    def predecessor():
        for t in texts[:PREDECESSOR_SAMPLE]:
            session.post(url + "/v1/embeddings", data=json.dumps({"input": [t]})).json()
        return PREDECESSOR_SAMPLE

    n, wall, cpu = timed(plugin_batched)
    results["embed_plugin_batched"] = {"texts": n, "seconds": wall, "texts_per_s": n / wall, "cpu_s": cpu,
                                       "calls": len(chunks)}
    n, wall, cpu = timed(bare_batched)
    results["embed_bare_batched"] = {"texts": n, "seconds": wall, "texts_per_s": n / wall, "cpu_s": cpu}
    before = embed.model.batcher.requests
    n, wall, cpu = timed(lambda: plugin_one_per_call(embed))
    results["embed_plugin_one_per_call_coalesced"] = {"texts": n, "seconds": wall, "texts_per_s": n / wall,
                                                      "cpu_s": cpu, "requests": embed.model.batcher.requests - before}
    gpu = make_llm(dict(auth, llmEndpointUrl=url, modelHandlingMode="OPENAI_COMPATIBLE", embeddingBatchSize=BATCH,
                        maxParallelism=THREADS, maxConcurrentRequests=4))
    n, wall, cpu = timed(lambda: plugin_one_per_call(gpu))
    results["embed_plugin_one_per_call_4_requests"] = {"texts": n, "seconds": wall, "texts_per_s": n / wall,
                                                       "cpu_s": cpu, "requests": gpu.model.batcher.requests}
    nocoal = make_llm(dict(auth, llmEndpointUrl=url, modelHandlingMode="OPENAI_COMPATIBLE",
                           embeddingBatchSize=BATCH, maxParallelism=THREADS, coalesceEmbeddings=False))
    n, wall, cpu = timed(lambda: plugin_one_per_call(nocoal))
    results["embed_plugin_one_per_call_uncoalesced"] = {"texts": n, "seconds": wall, "texts_per_s": n / wall,
                                                        "cpu_s": cpu}
    n, wall, cpu = timed(predecessor)
    results["embed_predecessor_way"] = {"texts": n, "seconds": wall, "texts_per_s": n / wall}

    # -- chat -----------------------------------------------------------------------------
    chat = make_llm(dict(auth, llmEndpointUrl=url, modelHandlingMode="OPENAI_COMPATIBLE", maxParallelism=CHAT_THREADS))
    questions = ["Summarise the discharge note of patient %d" % i for i in range(CHATS)]

    def plugin_chat():
        def one(text):
            q = new_query()
            q.with_message(text)
            return chat.process(q.cq, {"maxOutputTokens": 64}, new_trace())["text"]
        with ThreadPoolExecutor(CHAT_THREADS) as pool:
            return len(list(pool.map(one, questions)))

    def bare_chat():
        def one(text):
            body = {"messages": [{"role": "user", "content": text}], "max_tokens": 64}
            return session.post(url + "/v1/chat/completions", data=json.dumps(body)).json()["choices"][0]
        with ThreadPoolExecutor(CHAT_THREADS) as pool:
            return len(list(pool.map(one, questions)))

    plugin_chat()  # warm the pools
    n, wall, cpu = timed(plugin_chat)
    results["chat_plugin"] = {"calls": n, "seconds": wall, "calls_per_s": n / wall, "cpu_s": cpu}
    n, wall, cpu = timed(bare_chat)
    results["chat_bare"] = {"calls": n, "seconds": wall, "calls_per_s": n / wall, "cpu_s": cpu}

    # -- streaming: time to first chunk ---------------------------------------------------
    def plugin_ttfc():
        q = new_query()
        q.with_message("stream a short answer please")
        start = time.perf_counter()
        stream = chat.process_stream(q.cq, {}, new_trace())
        next(stream)
        first = time.perf_counter() - start
        for _ in stream:
            pass
        return first

    def bare_ttfc():
        body = {"messages": [{"role": "user", "content": "stream a short answer please"}], "stream": True}
        start = time.perf_counter()
        with session.post(url + "/v1/chat/completions", data=json.dumps(body), stream=True) as r:
            first = None
            for line in r.iter_lines(chunk_size=None):
                if line.startswith(b"data:") and b'"content": "' in line and b'"content": ""' not in line:
                    first = first or time.perf_counter() - start
        return first

    service_ttft = LATENCY + TTFT
    plugin_first = statistics.median(plugin_ttfc() for _ in range(STREAMS))
    bare_first = statistics.median(bare_ttfc() for _ in range(STREAMS))
    results["stream_first_chunk"] = {"plugin_s": plugin_first, "bare_s": bare_first, "service_ttft_s": service_ttft,
                                     "plugin_overhead_ms": (plugin_first - service_ttft) * 1000,
                                     "bare_overhead_ms": (bare_first - service_ttft) * 1000}

    # -- per-call CPU and token exchanges -------------------------------------------------
    results["cpu_ms_per_call"] = {
        "chat_plugin": results["chat_plugin"]["cpu_s"] / CHATS * 1000,
        "chat_bare": results["chat_bare"]["cpu_s"] / CHATS * 1000,
        "chat_plugin_overhead": (results["chat_plugin"]["cpu_s"] - results["chat_bare"]["cpu_s"]) / CHATS * 1000,
        "embed_batched_plugin_per_call": results["embed_plugin_batched"]["cpu_s"] / len(chunks) * 1000,
        "embed_batched_plugin_overhead_per_call": (results["embed_plugin_batched"]["cpu_s"]
                                                   - results["embed_bare_batched"]["cpu_s"]) / len(chunks) * 1000,
    }
    results["token_exchanges"] = {"embeddings_model": embed.model.transport.auth.exchanges,
                                  "chat_model": chat.model.transport.auth.exchanges,
                                  "calls": len(chunks) + TEXTS * 2 + CHATS * 2 + STREAMS + 1}
    r = results
    results["ratios"] = {
        "embed_plugin_vs_bare": r["embed_plugin_batched"]["texts_per_s"] / r["embed_bare_batched"]["texts_per_s"],
        "embed_one_per_call_coalesced_vs_batched": (r["embed_plugin_one_per_call_coalesced"]["texts_per_s"]
                                                    / r["embed_plugin_batched"]["texts_per_s"]),
        "embed_one_per_call_uncoalesced_vs_batched": (r["embed_plugin_one_per_call_uncoalesced"]["texts_per_s"]
                                                      / r["embed_plugin_batched"]["texts_per_s"]),
        "embed_plugin_vs_predecessor": (r["embed_plugin_batched"]["texts_per_s"]
                                        / r["embed_predecessor_way"]["texts_per_s"]),
        "chat_plugin_vs_bare": r["chat_plugin"]["calls_per_s"] / r["chat_bare"]["calls_per_s"],
    }
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                          "processor": platform.processor() or platform.machine()}
    results["setup"] = {"latency_s": LATENCY, "per_item_s": PER_ITEM, "ttft_s": TTFT, "token_delay_s": TOKEN_DELAY,
                        "texts": TEXTS, "batch": BATCH, "threads": THREADS, "chats": CHATS}
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print_table(results)
    return 0


def print_table(r):
    rows = [
        ("Embeddings, plugin, %d calls of %d texts, %d threads" % (r["embed_plugin_batched"]["calls"], BATCH, THREADS),
         "%.0f texts/s" % r["embed_plugin_batched"]["texts_per_s"], ""),
        ("Embeddings, bare requests client, same batches and threads",
         "%.0f texts/s" % r["embed_bare_batched"]["texts_per_s"],
         "plugin/bare = %.2f" % r["ratios"]["embed_plugin_vs_bare"]),
        ("Embeddings, plugin, one text per call, %d threads, coalescing" % THREADS,
         "%.0f texts/s" % r["embed_plugin_one_per_call_coalesced"]["texts_per_s"],
         "vs batched = %.2f" % r["ratios"]["embed_one_per_call_coalesced_vs_batched"]),
        ("Embeddings, plugin, one text per call, %d threads, at most 4 requests in flight (shared requests)" % THREADS,
         "%.0f texts/s" % r["embed_plugin_one_per_call_4_requests"]["texts_per_s"],
         "%d requests for %d texts" % (r["embed_plugin_one_per_call_4_requests"]["requests"], TEXTS)),
        ("Embeddings, plugin, one text per call, %d threads, no coalescing" % THREADS,
         "%.0f texts/s" % r["embed_plugin_one_per_call_uncoalesced"]["texts_per_s"],
         "vs batched = %.2f" % r["ratios"]["embed_one_per_call_uncoalesced_vs_batched"]),
        ("Embeddings, predecessor's way (1 text/request, sequential)",
         "%.1f texts/s" % r["embed_predecessor_way"]["texts_per_s"],
         "plugin batched = %.0fx" % r["ratios"]["embed_plugin_vs_predecessor"]),
        ("Chat, plugin, %d completions, %d threads" % (CHATS, CHAT_THREADS),
         "%.1f calls/s" % r["chat_plugin"]["calls_per_s"], ""),
        ("Chat, bare requests client", "%.1f calls/s" % r["chat_bare"]["calls_per_s"],
         "plugin/bare = %.2f" % r["ratios"]["chat_plugin_vs_bare"]),
        ("Streaming: first chunk minus service TTFT (median of %d)" % STREAMS,
         "plugin %.1f ms" % r["stream_first_chunk"]["plugin_overhead_ms"],
         "bare %.1f ms" % r["stream_first_chunk"]["bare_overhead_ms"]),
        ("CPU per chat call (process time)", "plugin %.2f ms" % r["cpu_ms_per_call"]["chat_plugin"],
         "bare %.2f ms; overhead %.2f ms" % (r["cpu_ms_per_call"]["chat_bare"],
                                            r["cpu_ms_per_call"]["chat_plugin_overhead"])),
        ("Token exchanges", "%d + %d" % (r["token_exchanges"]["embeddings_model"], r["token_exchanges"]["chat_model"]),
         "for %d calls" % r["token_exchanges"]["calls"]),
    ]
    print("| measurement | result | comparison |\n|---|---|---|")
    for row in rows:
        print("| %s | %s | %s |" % row)
    m = r["machine"]
    print("\nMachine: %s, %d CPUs, Python %s." % (m["platform"], m["cpus"], m["python"]))


if __name__ == "__main__":
    sys.exit(main())
