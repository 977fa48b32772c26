"""The real all-MiniLM-L6-v2 behind the stand-in: a medical query ranks the relevant note first."""

import math
import os
import sys

import pytest

from dss import make_model, new_trace
from spcs_standin import Account, Service, StandIn
from spcs_standin.embedders import real_model_available

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo"))
from clinical_notes import SEARCHES, notes  # noqa: E402

pytestmark = pytest.mark.skipif(not real_model_available(), reason="sentence-transformers and the model are installed "
                                "only for Python 3.11 (torch 2.13.0 CPU build)")


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture(scope="module")
def real_standin():
    standin = StandIn(Account())
    standin.add_service(Service("minilm-st", "registry-sentence-transformers", embedder="minilm"))
    standin.add_service(Service("minilm-openai", "openai", embedder="minilm"))
    standin.start()
    yield standin
    standin.stop()


@pytest.mark.parametrize("service, mode", [("minilm-st", "REGISTRY_SENTENCE_TRANSFORMERS"),
                                           ("minilm-openai", "OPENAI_COMPATIBLE")])
def test_medical_query_ranks_relevant_notes_first(real_standin, service, mode):
    pat = real_standin.account.register_pat("RAG")
    llm = make_model("embedding", {"llmEndpointUrl": real_standin.url(service), "modelHandlingMode": mode,
                    "authMode": "PAT", "pat": {"token": pat}, "embeddingBatchSize": 32})
    corpus = notes()
    result = llm.process({"queries": [{"text": t} for _, t in corpus]}, {}, new_trace())
    vectors = [r["embedding"] for r in result["responses"]]
    assert len(vectors) == len(corpus) and len(vectors[0]) == 384
    for search, topic in SEARCHES:
        q = llm.process({"text": search}, {}, new_trace())["embedding"]
        best = max(range(len(corpus)), key=lambda i: cosine(q, vectors[i]))
        assert corpus[best][0] == topic, (search, corpus[best])
    # Order is kept: re-embedding one note alone gives the vector found at its index.
    alone = llm.process({"text": corpus[123][1]}, {}, new_trace())["embedding"]
    assert cosine(alone, vectors[123]) > 0.9999
