"""CUSTOM mode: request templates, JSONPath answers, plain JSON and the Snowflake row format."""

import json

import pytest

from dss import make_llm, make_model, new_query, new_trace
from spcs_llm.errors import ConfigError
from spcs_standin import Service, deterministic_vector

TGI = {
    "modelHandlingMode": "CUSTOM", "customBodyFormat": "JSON", "customMethodPath": "/generate",
    "customRequestTemplate": json.dumps({"inputs": "{{prompt}}", "parameters": {
        "max_new_tokens": "{{max_tokens}}", "temperature": "{{temperature}}", "stop": "{{stop}}"}}),
    "customAnswerPath": "$.generated_text",
    "customPromptTokensPath": "$.details.prefill_tokens",
    "customCompletionTokensPath": "$.details.generated_tokens",
    "customPromptFormat": "TEXT_GENERATION_CHATML",
    "customEmbeddingMethodPath": "/embed",
    "customEmbeddingRequestTemplate": json.dumps({"inputs": "{{texts}}", "truncate": True}),
    "customEmbeddingPath": "$",
}


@pytest.fixture
def tgi(env):
    env.standin.add_service(Service("tgi", "tgi-native"))
    return env


def test_plain_json_completion(tgi):
    llm = make_llm(tgi.config("tgi", **TGI))
    q = new_query()
    q.with_message("Be brief.", role="system").with_message("Define sepsis.")
    answer = llm.process(q.cq, {"maxOutputTokens": 64, "temperature": 0.3}, new_trace())
    body = tgi.standin.services["tgi"].requests[-1]["body"]
    prompt = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nDefine sepsis.<|im_end|>\n<|im_start|>assistant\n"
    assert body == {"inputs": prompt, "parameters": {"max_new_tokens": 64, "temperature": 0.3, "stop": None}}
    assert answer["text"] == "Native answer to %d characters." % len(prompt)
    assert answer["completionTokens"] == 5 and answer["promptTokens"] == len(prompt.split())
    assert answer["tokenCountsAreEstimated"] is False


def test_plain_json_embeddings(tgi):
    llm = make_model("embedding", tgi.config("tgi", embeddingBatchSize=3, **TGI))
    texts = ["a", "b", "c", "d"]
    r = llm.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())
    assert [x["embedding"] for x in r["responses"]] == [deterministic_vector(t) for t in texts]
    # the two batches are sent concurrently: compare them as a set
    bodies = [r["body"] for r in list(tgi.standin.services["tgi"].requests)[-2:]]
    assert sorted(bodies, key=lambda b: len(b["inputs"])) == sorted([{"inputs": ["a", "b", "c"], "truncate": True},
                                              {"inputs": ["d"], "truncate": True}], key=lambda b: len(b["inputs"]))


def test_row_format_completion_and_embeddings(env):
    """The Snowflake service-function row format, {"data": [[0, ...]]}, with paths into each row."""
    rows = {"modelHandlingMode": "CUSTOM", "customBodyFormat": "ROWS", "customMethodPath": "predict",
            "customRequestTemplate": json.dumps({"inputs": "Q: {{last_user_message}}\nA:"}),
            "customAnswerPath": "$.outputs[0].generated_text",
            "customEmbeddingMethodPath": "predict", "customEmbeddingRequestTemplate": json.dumps({"inputs": "{{text}}"}),
            "customEmbeddingPath": "$.outputs"}
    q = new_query()
    q.with_message("dose?")
    answer = make_llm(env.config("textgen", **rows)).process(q.cq, {}, new_trace())
    assert env.standin.services["textgen"].requests[-1]["body"] == {"data": [[0, {"inputs": "Q: dose?\nA:"}]]}
    assert answer["text"] == "Q: dose?\nA: Generated answer to a prompt of 11 characters."
    r = make_model("embedding", env.config("legacy-embed", **rows)).process(
        {"queries": [{"text": "x"}, {"text": "y"}]}, {}, new_trace())
    assert env.standin.services["legacy-embed"].requests[-1]["body"] == {"data": [[0, {"inputs": "x"}],
                                                                                 [1, {"inputs": "y"}]]}
    assert [x["embedding"] for x in r["responses"]] == [deterministic_vector("x"), deterministic_vector("y")]


@pytest.mark.parametrize("change, field", [
    ({"customRequestTemplate": "{not json"}, "customRequestTemplate"),
    ({"customRequestTemplate": '{"inputs": "{{promt}}"}'}, "customRequestTemplate"),
    ({"customAnswerPath": "$..[[["}, "customAnswerPath"),
    ({"customAnswerPath": ""}, "customAnswerPath"),
    ({"customMethodPath": ""}, "customMethodPath"),
    ({"customBodyFormat": "XML"}, "customBodyFormat"),
    ({"customEmbeddingRequestTemplate": '{"inputs": "{{text}}"}'}, "customEmbeddingRequestTemplate"),
    ({"customRequestTemplate": "", "customEmbeddingRequestTemplate": ""}, "customRequestTemplate"),
])
def test_custom_settings_are_validated(change, field):
    config = dict(TGI, llmEndpointUrl="https://x.snowflakecomputing.app", authMode="PAT", pat={"token": "t"})
    config.update(change)
    with pytest.raises(ConfigError) as info:
        make_llm(config)
    assert info.value.field == field
