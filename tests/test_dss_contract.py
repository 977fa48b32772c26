"""The DSS plugin contract (PLATFORM.md section 1): one class per capability, found by base class."""

import importlib

import pytest

from dss import load_component, make_model, model_class, new_trace
from spcs_llm.modes import CAPABILITIES, MODES, modes_for

DOCUMENTED = {"set_config", "process", "process_stream", "aprocess", "aprocess_stream"}


@pytest.mark.parametrize("capability", ["chat", "embedding", "reranking"])
def test_each_capability_has_one_class_found_by_its_base_class(capability):
    cls = model_class(capability)
    public = {name for name in vars(cls) if not name.startswith("_")}
    assert public <= DOCUMENTED, "DSS never calls %s" % sorted(public - DOCUMENTED)
    assert {"set_config", "process"} <= public


def test_no_class_relies_on_methods_dss_does_not_call():
    module = load_component()
    for capability in ("chat", "embedding", "reranking"):
        for name in ("process_embeddings", "get_max_parallelism"):
            assert not hasattr(model_class(capability, module), name)


def test_streaming_is_a_generator_function():
    import inspect

    assert inspect.isgeneratorfunction(model_class("chat").process_stream)
    assert inspect.isasyncgenfunction(model_class("chat").aprocess_stream)


def test_older_dss_builds_with_the_embedding_base_only_under_custom(monkeypatch):
    dss_llm = importlib.import_module("dataiku.llm.python")
    monkeypatch.delattr(dss_llm, "BaseEmbeddingModel")
    module = load_component()
    older = importlib.import_module("dataiku.llm.python.custom.base_embedding_model").BaseEmbeddingModel
    classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__]
    assert [c.__name__ for c in classes if issubclass(c, older)] == ["SPCSEmbeddingModel"]


def test_a_dss_build_without_reranking_still_loads_chat_and_embedding(monkeypatch):
    dss_llm = importlib.import_module("dataiku.llm.python")
    monkeypatch.delattr(dss_llm, "BaseRerankingModel")
    module = load_component()
    assert model_class("chat", module).__name__ == "SPCSChatModel"
    assert model_class("embedding", module).__name__ == "SPCSEmbeddingModel"


def test_every_mode_serves_a_capability():
    assert all(set(m.capabilities) <= set(CAPABILITIES) and m.capabilities for m in MODES)
    assert "REGISTRY_SENTENCE_TRANSFORMERS" in modes_for("embedding")
    assert "REGISTRY_SENTENCE_TRANSFORMERS" not in modes_for("chat")


@pytest.mark.parametrize("service", ["openai", "st", "legacy-embed"])
def test_embedding_class_single_and_batch(env, service):
    model = make_model("embedding", env.config(service))
    single = model.process({"text": "chest pain"}, {}, new_trace())
    batch = model.process({"queries": [{"text": "chest pain"}, {"text": "fever"}]}, {}, new_trace())
    assert batch["responses"][0]["embedding"] == single["embedding"]
    assert len(batch["responses"]) == 2 and batch["promptTokens"] > 0 and batch["estimatedCost"] == 0.0
