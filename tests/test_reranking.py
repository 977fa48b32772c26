"""Reranking models against the stand-in, loaded as DSS loads them (capability "reranking").

The stand-in scores a document by the cosine of the hash embeddings of query and document,
so every expected score is computed here from ``deterministic_vector``.
"""

import json

import pytest

from dss import make_model, new_reranking_query, new_trace
from spcs_llm.errors import InvalidInputError, PayloadTooLargeError
from spcs_standin import Service, deterministic_vector

QUERY = "chest pain radiating to the left arm"
DOCS = ["troponin elevated, crushing chest pain", "reflux after meals", "rib fracture after a fall",
        "palpitations and atrial fibrillation", "asthma exacerbation", "panic attack with chest tightness",
        "well-child visit", "kidney stone with flank pain", "migraine with aura", "cellulitis of the leg"]

SERVICES = {"openai-rerank": "openai-rerank", "tei": "tei-rerank", "cross-encoder": "registry-cross-encoder"}
CUSTOM_JSON = {"modelHandlingMode": "CUSTOM", "customBodyFormat": "JSON", "customRerankMethodPath": "/rerank",
               "customRerankRequestTemplate": json.dumps({"query": "{{query}}", "texts": "{{documents}}"}),
               "customRerankScoresPath": "$[*].score", "customRerankIndicesPath": "$[*].index"}
CUSTOM_ROWS = {"modelHandlingMode": "CUSTOM", "customBodyFormat": "ROWS", "customRerankMethodPath": "predict",
               "customRerankRequestTemplate": json.dumps({"text": "{{query}}", "text_pair": "{{document}}"}),
               "customRerankScoresPath": "$.score"}
# (service, extra settings, does the server report its token count?)
MODES = {
    "OPENAI_COMPATIBLE": ("openai-rerank", {}, True),
    "TEXT_EMBEDDINGS_INFERENCE": ("tei", {}, False),
    "REGISTRY_CROSS_ENCODER": ("cross-encoder", {}, False),
    "CUSTOM (JSON, TEI's API)": ("tei", CUSTOM_JSON, False),
    "CUSTOM (rows)": ("cross-encoder", CUSTOM_ROWS, False),
}


@pytest.fixture
def rerankers(env):
    for name, kind in SERVICES.items():
        env.standin.add_service(Service(name, kind))
    return env


def expected_scores(query, documents):
    q = deterministic_vector(query)
    return [sum(a * b for a, b in zip(q, deterministic_vector(d))) for d in documents]


def reranker(env, mode, **extra):
    service, fields, _ = MODES[mode]
    return make_model("reranking", env.config(service, **dict(fields, **extra)))


def rank(model, query=QUERY, documents=DOCS):
    return model.process(new_reranking_query(query, documents), {}, new_trace())


def requests_to(env, mode):
    return env.standin.services[MODES[mode][0]].counters["requests"]


@pytest.mark.parametrize("mode", list(MODES))
def test_scores_and_indices_are_the_services_best_first(rerankers, mode):
    answer = rank(reranker(rerankers, mode, spcsCreditsPerHourCost=2.0, snowflakeCreditCost=3.0))
    scores = expected_scores(QUERY, DOCS)
    assert [d["index"] for d in answer["documents"]] == sorted(range(len(DOCS)), key=lambda i: -scores[i])
    assert {d["index"]: d["relevanceScore"] for d in answer["documents"]} == dict(enumerate(scores))
    assert requests_to(rerankers, mode) == 1
    usage = answer["totalUsage"]
    assert usage["promptTokens"] == usage["totalTokens"] > 0
    assert answer["estimatedCost"] == usage["estimatedCost"] > 0


@pytest.mark.parametrize("mode", list(MODES))
def test_token_counts_are_the_servers_or_flagged_as_estimated(rerankers, mode):
    answer = rank(reranker(rerankers, mode))
    reported = MODES[mode][2]
    assert answer["tokenCountsAreEstimated"] is (not reported)
    if reported:  # the stand-in counts words, the query once per document
        assert answer["totalUsage"]["promptTokens"] == sum(len(QUERY.split()) + len(d.split()) for d in DOCS)


@pytest.mark.parametrize("mode", list(MODES))
def test_a_long_list_is_split_sent_concurrently_and_merged(rerankers, mode):
    service = rerankers.standin.services[MODES[mode][0]]
    service.timing.latency = 0.05  # long enough for the pieces to overlap
    whole = rank(reranker(rerankers, mode))
    before = service.counters["requests"]
    split = rank(reranker(rerankers, mode, embeddingBatchSize=3, maxConcurrentRequests=2))
    assert split["documents"] == whole["documents"]
    assert service.counters["requests"] - before == 4  # 3 + 3 + 3 + 1
    assert service.counters["max_in_flight"] == 2  # within maxConcurrentRequests
    sent = [r["body"] for r in list(service.requests)[-4:]]
    pieces = sorted(_documents_of(body) for body in sent)
    assert pieces == sorted([DOCS[0:3], DOCS[3:6], DOCS[6:9], DOCS[9:10]])


def _documents_of(body):
    if "data" in body:
        return [row[1]["text_pair"] for row in body["data"]]
    return body.get("documents") or body.get("texts")


def test_a_list_is_also_cut_by_request_size(rerankers):
    model = reranker(rerankers, "OPENAI_COMPATIBLE", embeddingMaxRequestBytes=1024)
    long_docs = ["%d %s" % (i, "lorem ipsum " * 30) for i in range(6)]  # ~370 bytes each with the query
    answer = rank(model, documents=long_docs)
    scores = expected_scores(QUERY, long_docs)
    assert [d["relevanceScore"] for d in answer["documents"]] == sorted(scores, reverse=True)
    assert requests_to(rerankers, "OPENAI_COMPATIBLE") == 3
    assert all(len(json.dumps(r["body"])) <= 1024 for r in rerankers.standin.services["openai-rerank"].requests)


# The stand-in refuses as each server does: 422 "List should have at most 3 items" (pydantic
# validation), 413 "batch size 10 > maximum allowed batch size 3" (TEI), 413 too many rows (registry).
@pytest.mark.parametrize("mode", ["OPENAI_COMPATIBLE", "TEXT_EMBEDDINGS_INFERENCE", "REGISTRY_CROSS_ENCODER",
                                  "CUSTOM (rows)"])
def test_a_list_refused_as_too_large_is_split_until_accepted(rerankers, mode):
    service = rerankers.standin.services[MODES[mode][0]]
    service.faults.max_batch = 3  # the server's own limit, below the plugin's batch size
    answer = rank(reranker(rerankers, mode))
    scores = expected_scores(QUERY, DOCS)
    assert {d["index"]: d["relevanceScore"] for d in answer["documents"]} == dict(enumerate(scores))
    assert [d["relevanceScore"] for d in answer["documents"]] == sorted(scores, reverse=True)
    # 10 refused, 5 + 5 refused, 2 + 3 + 2 + 3 accepted
    assert service.counters["requests"] == 7


def test_one_document_refused_as_too_large_fails_with_the_servers_reason(rerankers):
    rerankers.standin.services["tei"].faults.max_body_bytes = 200
    with pytest.raises(PayloadTooLargeError, match="HTTP 413"):
        rank(reranker(rerankers, "TEXT_EMBEDDINGS_INFERENCE"), documents=["x" * 500])


@pytest.mark.parametrize("mode", list(MODES))
def test_no_documents_is_an_empty_ranking_without_a_request(rerankers, mode):
    answer = rank(reranker(rerankers, mode), documents=[])
    assert answer["documents"] == []
    assert answer["estimatedCost"] == 0 and answer["totalUsage"]["promptTokens"] == 0
    assert requests_to(rerankers, mode) == 0


@pytest.mark.parametrize("query, message", [
    ({"queryParts": [], "documents": [{"parts": [{"type": "TEXT", "text": "a"}]}]}, "queryParts has no text"),
    ({"queryParts": [{"type": "TEXT", "text": "   "}], "documents": []}, "queryParts has no text"),
    ({"documents": [{"parts": [{"type": "TEXT", "text": "a"}]}]}, "queryParts is missing"),
    ({"queryParts": [{"type": "TEXT", "text": "q"}], "documents": [{"parts": [{"type": "TEXT", "text": "a"}]},
                                                                  {"parts": []}]}, r"documents\[1\].parts has no text"),
    ({"queryParts": [{"type": "TEXT", "text": "q"}], "documents": [{"parts": [{"type": "IMAGE_URI"}]}]},
     r"documents\[0\].parts\[0\] has type 'IMAGE_URI'"),
    ({"queryParts": [{"type": "TEXT", "text": "q"}], "documents": "abc"}, "documents must be a list"),
])
def test_bad_inputs_are_refused_naming_the_field(rerankers, query, message):
    model = reranker(rerankers, "OPENAI_COMPATIBLE")
    with pytest.raises(InvalidInputError, match=message):
        model.process(query, {}, new_trace())
    assert requests_to(rerankers, "OPENAI_COMPATIBLE") == 0


def test_query_parts_are_joined_as_dss_sends_them(rerankers):
    model = reranker(rerankers, "OPENAI_COMPATIBLE")
    query = {"queryParts": [{"type": "TEXT", "text": "chest pain "}, {"type": "TEXT", "text": "radiating"}],
             "documents": [{"parts": [{"type": "TEXT", "text": "troponin "}, {"type": "TEXT", "text": "elevated"}]}]}
    answer = model.process(query, {}, new_trace())
    assert answer["documents"] == [{"index": 0, "relevanceScore": expected_scores("chest pain radiating",
                                                                                  ["troponin elevated"])[0]}]
    assert rerankers.standin.services["openai-rerank"].requests[-1]["body"] == {
        "query": "chest pain radiating", "documents": ["troponin elevated"], "top_n": 1}


def test_model_name_is_sent_and_the_trace_records_the_call(rerankers):
    model = reranker(rerankers, "OPENAI_COMPATIBLE", modelName="bge-reranker-v2-m3")
    trace = new_trace()
    model.process(new_reranking_query(QUERY, DOCS[:2]), {}, trace)
    assert rerankers.standin.services["openai-rerank"].requests[-1]["body"]["model"] == "bge-reranker-v2-m3"
    span = trace.to_dict()["children"][0]
    assert span["name"] == "spcs-reranking" and span["attributes"]["spcs.documents"] == 2


def test_registry_method_changes_the_cross_encoder_path(rerankers):
    rerankers.standin.add_service(Service("ce-call", "registry-cross-encoder", method="/--call--"))
    model = make_model("reranking", rerankers.config("ce-call", registryMethod="__call__"))
    assert len(rank(model)["documents"]) == len(DOCS)
    assert rerankers.standin.services["ce-call"].requests[-1]["path"] == "/--call--"
