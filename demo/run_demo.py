"""The one-command demo: the stand-in plays Snowflake + SPCS, the plugin is driven as DSS drives it.

Models are loaded as DSS loads them: the chat model by its ``BaseLLM`` class, the
embedding model by its ``BaseEmbeddingModel`` class, the reranker by its
``BaseRerankingModel`` class.
1. a multi-turn chat, 2. the same chat streamed, 3. a tool call round trip, streamed, 4. an
Embed-recipe-like run over 320 clinical-style notes with the real all-MiniLM-L6-v2, then
searches that retrieve 20 notes by embedding and rerank them with a cross-encoder served
like vLLM's /v1/rerank, 5. a usage and cost summary. Exits non-zero if a reranked
search does not put a note of the right topic first and in most of its top five.

The knowledge bank keeps one bit per vector dimension (binary quantization, as large
vector stores do to fit in memory), so its first-stage order is approximate; the stand-in's
reranker scores the 20 candidates with the full model (cosine of MiniLM embeddings), and the
two orders are printed side by side.
"""

import logging
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "devtools"))
sys.path.insert(0, HERE)

from dss_harness import generate_keypair, make_model, new_query, new_reranking_query, new_trace  # noqa: E402
from spcs_standin import Account, Service, StandIn, Timing  # noqa: E402
from spcs_standin.embedders import real_model_available  # noqa: E402

from clinical_notes import SEARCHES, notes  # noqa: E402

# Example rates: a GPU pool for chat and a CPU pool for embeddings; use your own figures.
CHAT_CREDITS_PER_HOUR, EMBED_CREDITS_PER_HOUR, DOLLARS_PER_CREDIT = 1.14, 0.22, 3.00
RERANK_CREDITS_PER_HOUR = 0.22
CANDIDATES, SHOWN = 20, 8


def bits(vector):
    """One bit per dimension: what a binary-quantized vector index keeps."""
    return [x > 0 for x in vector]


def hamming(a, b):
    return sum(x != y for x, y in zip(a, b))


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _short(note, width=50):
    topic, text = note
    text = "(%s) %s" % (topic, text)
    return text if len(text) <= width else text[:width - 3] + "..."


def main():
    logging.basicConfig(level=logging.WARNING)
    embedder = "minilm" if real_model_available() else "deterministic"
    standin = StandIn(Account())
    standin.add_service(Service("llama-chat", "openai", model_name="llama-3.1-8b-instruct",
                                timing=Timing(time_to_first_token=0.05, token_delay=0.01)))
    standin.add_service(Service("minilm-embed", "registry-sentence-transformers", embedder=embedder,
                                timing=Timing(latency=0.005)))
    standin.add_service(Service("reranker", "openai-rerank", embedder=embedder, model_name="minilm-reranker",
                                timing=Timing(latency=0.005)))
    standin.start()
    private_pem, public_pem = generate_keypair()
    standin.account.register_public_key("DSS_SERVICE", public_pem)
    oauth_token = standin.account.issue_oauth_access_token("ALICE", lifetime=600)

    chat = make_model("chat", {
        "llmEndpointUrl": standin.url("llama-chat"), "modelHandlingMode": "OPENAI_COMPATIBLE",
        "modelName": "llama-3.1-8b-instruct", "authMode": "OAUTH", "snowflakeAccountUrl": standin.account_url,
        "oauth": {"snowflake_oauth": oauth_token},
        "spcsCreditsPerHourCost": CHAT_CREDITS_PER_HOUR, "snowflakeCreditCost": DOLLARS_PER_CREDIT})
    embed = make_model("embedding", {
        "llmEndpointUrl": standin.url("minilm-embed"), "modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS",
        "authMode": "KEYPAIR_JWT", "snowflakeAccountUrl": standin.account_url,
        "keypair": {"account": standin.account.name, "user": "DSS_SERVICE", "privateKey": private_pem},
        "embeddingBatchSize": 64, "maxParallelism": 4,
        "spcsCreditsPerHourCost": EMBED_CREDITS_PER_HOUR, "snowflakeCreditCost": DOLLARS_PER_CREDIT})
    rerank = make_model("reranking", {
        "llmEndpointUrl": standin.url("reranker"), "modelHandlingMode": "OPENAI_COMPATIBLE",
        "modelName": "minilm-reranker", "authMode": "PAT", "pat": {"token": standin.account.register_pat("ALICE")},
        "maxParallelism": 4,
        "spcsCreditsPerHourCost": RERANK_CREDITS_PER_HOUR, "snowflakeCreditCost": DOLLARS_PER_CREDIT})

    print("== Stand-in: account %s, chat %s, embeddings %s, reranker %s (%s model)" % (
        standin.account_url, standin.url("llama-chat"), standin.url("minilm-embed"), standin.url("reranker"),
        embedder))

    print("\n== 1. Multi-turn chat (OAuth, OpenAI-compatible container)")
    q = new_query()
    q.with_message("You are a clinical documentation assistant.", role="system")
    q.with_message("Summarise the admission note for bed 12.")
    q.with_message("Bed 12: 67-year-old woman admitted with pneumonia.", role="assistant")
    q.with_message("What antibiotics were started?")
    answer = chat.process(q.cq, {"temperature": 0.1, "maxOutputTokens": 200}, new_trace("demo"))
    print("assistant:", answer["text"])
    print("tokens: %d prompt + %d completion, estimated cost $%.6f" % (
        answer["promptTokens"], answer["completionTokens"], answer["estimatedCost"]))

    print("\n== 2. The same chat, streamed")
    started, first = time.monotonic(), None
    pieces = []
    for item in chat.process_stream(q.cq, {"temperature": 0.1}, new_trace("demo")):
        if "chunk" in item:
            first = first or time.monotonic() - started
            pieces.append(item["chunk"]["text"])
            sys.stdout.write(item["chunk"]["text"])
            sys.stdout.flush()
    print("\n(%d chunks, first after %.0f ms; same text as unstreamed: %s)" % (
        len(pieces), first * 1000, "".join(pieces) == answer["text"]))

    print("\n== 3. Tool call round trip")
    tools = [{"type": "function", "function": {
        "name": "lookup_medication", "description": "Medications started during a stay",
        "parameters": {"type": "object", "properties": {"bed": {"type": "integer"}}, "required": ["bed"]}}}]
    t = new_query()
    t.with_message("Use lookup_medication for bed 12")
    streamed = list(chat.process_stream(t.cq, {"tools": tools}, new_trace("demo")))
    tool_calls = [c for i in streamed if "toolCalls" in i.get("chunk", {}) for c in i["chunk"]["toolCalls"]]
    call = tool_calls[0]
    print("model asks (streamed, as a toolCalls chunk before the footer): %s(%s)" % (
        call["function"]["name"], call["function"]["arguments"]))
    print("footer: finishReason %s, %d tokens" % (streamed[-1]["footer"]["finishReason"],
                                                   streamed[-1]["footer"]["totalTokens"]))
    t.with_tool_calls(tool_calls)
    t.with_tool_output('{"bed": 12, "started": ["ceftriaxone", "azithromycin"]}', tool_call_id=call["id"])
    print("assistant:", chat.process(t.cq, {"tools": tools}, new_trace("demo"))["text"])

    print("\n== 4. Embed recipe: %d notes (key pair, Model Registry sentence-transformers)" % len(notes()))
    corpus = notes()
    started = time.monotonic()
    vectors = []
    for start in range(0, len(corpus), 100):  # DSS's Embed recipe hands over chunks of rows
        batch = embed.process({"queries": [{"text": text} for _, text in corpus[start:start + 100]]},
                                         {}, new_trace("demo"))
        vectors.extend(r["embedding"] for r in batch["responses"])
    print("embedded %d notes in %.2f s (%d dimensions)" % (len(vectors), time.monotonic() - started, len(vectors[0])))

    index = [bits(v) for v in vectors]
    ok = True
    print("\nEach search: the %d nearest notes in the 1-bit index (Hamming distance), reranked by the "
          "SPCS reranker; the first %d of each order side by side." % (CANDIDATES, SHOWN))
    for search, topic in SEARCHES:
        query_bits = bits(embed.process({"text": search}, {}, new_trace("demo"))["embedding"])
        first = sorted(range(len(corpus)), key=lambda i: (hamming(query_bits, index[i]), i))[:CANDIDATES]
        answer = rerank.process(new_reranking_query(search, [corpus[i][1] for i in first]), {}, new_trace("demo"))
        reranked = [(first[d["index"]], d["relevanceScore"]) for d in answer["documents"]]
        before = sum(corpus[i][0] == topic for i in first[:5])
        after = sum(corpus[i][0] == topic for i, _ in reranked[:5])
        # Near-misses (reflux is chest pain too) may stay in the top 5: the best note and most of the five must fit.
        good = embedder != "minilm" or (corpus[reranked[0][0]][0] == topic and after >= 3 and after >= before)
        ok = ok and good
        print("\nsearch: %r  (expect %s) %s; %s in the top 5: %d by the index, %d reranked; %d tokens, $%.6f" % (
            search, topic, "OK" if good else "WRONG", topic, before, after, answer["totalUsage"]["promptTokens"],
            answer["estimatedCost"]))
        print("     %-58s | %s" % ("vector index order [bits differing]", "reranked [relevance]"))
        for rank in range(SHOWN):
            i, (j, score) = first[rank], reranked[rank]
            print("  %2d. [%3d] %-50s | [%.3f] %s" % (
                rank + 1, hamming(query_bits, index[i]), _short(corpus[i]), score, _short(corpus[j])))

    print("\n== 5. Usage and cost")
    print("%-14s %9s %9s %10s %12s %10s %10s" % ("model", "requests", "calls", "tokens", "busy s", "credits", "dollars"))
    for name, llm in (("chat", chat), ("embeddings", embed), ("reranker", rerank)):
        t = llm.client.costs.totals
        print("%-14s %9d %9d %10d %12.3f %10.6f %10.6f" % (
            name, llm.client.transport.requests_sent, t.calls, t.prompt_tokens + t.completion_tokens,
            t.busy_seconds, t.credits, t.dollars))
    counters = standin.account.counters
    print("token exchanges: %d OAuth login(s), %d key-pair exchange(s)" % (counters["login"], counters["jwt_exchange"]))
    standin.stop()
    if not ok:
        print("\nThe reranked search did not rank the right notes first.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
