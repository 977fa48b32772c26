"""The load run: thousands of mixed chat and embedding calls, in parallel, with injected faults.

Every call must come back with the right answer for its own input, exactly once; memory
must stay flat; tokens must be exchanged once per lifetime, not per call. Used by
``tests/test_load.py`` (assertions) and ``devtools/reliability.py`` (figures).
"""

import gc
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

from dss_harness import generate_keypair, make_llm, make_model, new_query, new_trace
from spcs_standin import Account, Service, StandIn, deterministic_vector

from spcs_llm.auth import providers


def run_load(calls=5000, parallelism=32, fault_rate=0.05):
    """Run the load; return a dict of figures, including every wrong, missing or duplicate answer."""
    standin = StandIn(Account())
    for name, kind in (("chat", "openai"), ("embed", "openai"), ("st", "registry-sentence-transformers")):
        svc = standin.add_service(Service(name, kind))
        svc.faults.transient_rate = fault_rate
        svc.faults.retry_after = "0"
    standin.start()
    providers.clear()
    private, public = generate_keypair()
    standin.account.register_public_key("LOAD", public)
    common = {"maxParallelism": parallelism, "retryBudgetSeconds": 60, "maxRetries": 8}
    chat = make_llm(dict(common, llmEndpointUrl=standin.url("chat"), modelHandlingMode="OPENAI_COMPATIBLE",
                         authMode="OAUTH", snowflakeAccountUrl=standin.account_url,
                         oauth={"snowflake_oauth": standin.account.issue_oauth_access_token("LOAD", 3600)}))
    embed = make_model("embedding", dict(common, llmEndpointUrl=standin.url("embed"), modelHandlingMode="OPENAI_COMPATIBLE",
                          authMode="KEYPAIR_JWT", snowflakeAccountUrl=standin.account_url,
                          keypair={"account": standin.account.name, "user": "LOAD", "privateKey": private}))
    st = make_model("embedding", dict(common, llmEndpointUrl=standin.url("st"), modelHandlingMode="REGISTRY_SENTENCE_TRANSFORMERS",
                       authMode="PAT", pat={"token": standin.account.register_pat("LOAD")}))
    # Preallocated, so that the harness's own bookkeeping does not show up as memory growth.
    results, errors, lock = [None] * calls, [], threading.Lock()

    def call(i):
        try:
            if i % 3 == 0:
                q = new_query()
                q.with_message("call %d" % i)
                ok = chat.process(q.cq, {}, new_trace())["text"] == "Turn 1. You said: call %d" % i
            elif i % 3 == 1:
                texts = ["call %d text %d" % (i, j) for j in range(i % 5 + 1)]
                got = embed.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())
                ok = [r["embedding"] for r in got["responses"]] == [deterministic_vector(t) for t in texts]
            else:
                got = st.process({"text": "call %d" % i}, {}, new_trace())
                ok = got["embedding"] == deterministic_vector("call %d" % i)
        except Exception as exc:  # counted as a loss and reported
            with lock:
                errors.append("%d: %r" % (i, exc))
            return
        with lock:
            if results[i] is not None:
                errors.append("%d: duplicate answer" % i)
            results[i] = ok

    tracemalloc.start()
    started = time.monotonic()
    warmup = calls // 5  # by then every pooled connection is open
    with ThreadPoolExecutor(parallelism) as pool:
        for _ in pool.map(call, range(warmup)):
            pass
        gc.collect()
        memory_after_warmup = tracemalloc.get_traced_memory()[0]
        for _ in pool.map(call, range(warmup, calls)):
            pass
    elapsed = time.monotonic() - started
    gc.collect()
    memory_at_end = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    services = standin.services.values()
    figures = {
        "calls": calls,
        "parallelism": parallelism,
        "fault_rate": fault_rate,
        "answered": sum(r is not None for r in results),
        "correct": sum(r is True for r in results),
        "wrong": [i for i, ok in enumerate(results) if ok is False],
        "errors": errors,
        "faults_injected": sum(s.faults.injected for s in services),
        "requests": sum(s.counters["requests"] for s in services),
        "max_in_flight": max(s.counters["max_in_flight"] for s in services),
        "oauth_logins": standin.account.counters["login"],
        "jwt_exchanges": standin.account.counters["jwt_exchange"],
        "seconds": round(elapsed, 2),
        "calls_per_second": round(calls / elapsed, 1),
        "memory_after_warmup_kib": memory_after_warmup // 1024,
        "memory_at_end_kib": memory_at_end // 1024,
    }
    for llm in (chat, embed, st):
        llm.client.close()
    standin.stop()
    providers.clear()
    return figures


if __name__ == "__main__":
    import json
    import logging
    import sys

    logging.basicConfig(level=logging.ERROR)
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(json.dumps(run_load(calls=calls)))
