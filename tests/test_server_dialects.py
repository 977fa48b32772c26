"""What real servers do differently from our reading (PLATFORM.md section 2, seen by `make interop`).

Each behaviour is general, not a special case per server: the stand-in's dialect knobs
(off by default) play `transformers serve` (no [DONE], unknown fields refused) and
infinity-emb (422 batch limit echoing the inputs, characters counted as tokens).
"""

import json
import logging

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from dss import ask, make_llm, make_model, new_query, new_trace
from spcs_llm.errors import PayloadTooLargeError, RequestRejectedError, StreamInterruptedError
from spcs_llm.protocols.optional_params import refused_parameters
from spcs_llm.settings import parse_settings
from spcs_llm.tokens import estimate_tokens, server_token_count
from spcs_llm.transport import Transport
from spcs_standin import deterministic_vector

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}
FAKE_URL = "https://svc.example.snowflakecomputing.app"


def stream(llm, text, settings=None):
    q = new_query()
    q.with_message(text)
    return list(llm.process_stream(q.cq, settings or {}, new_trace()))


def embed(model, texts):
    return model.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())


# -- a stream without [DONE] -------------------------------------------------------------

def test_a_stream_without_done_is_whole_once_a_finish_reason_arrived(env):
    svc = env.standin.services["openai"]
    svc.sends_done = False
    items = stream(make_llm(env.config("openai")), "stream me please")
    assert "".join(i["chunk"]["text"] for i in items[:-1]) == "Turn 1. You said: stream me please"
    footer = items[-1]["footer"]
    assert footer["finishReason"] == "STOP" and footer["tokenCountsAreEstimated"] is False
    assert svc.counters["requests"] == 1  # complete: not retried


def test_tool_calls_of_a_stream_without_done_still_arrive_as_their_chunk(env):
    env.standin.services["openai"].sends_done = False
    items = stream(make_llm(env.config("openai")), "What is the weather in Paris?",
                   {"tools": [WEATHER], "toolChoice": {"type": "required"}})
    calls = [c for i in items if "chunk" in i for c in i["chunk"].get("toolCalls", [])]
    assert [c["function"]["name"] for c in calls] == ["get_weather"]
    assert items[-1]["footer"]["finishReason"] == "TOOL_CALLS"


def _sse(*events):
    return "".join("data: %s\n\n" % json.dumps(e) for e in events)


@responses.activate
def test_a_stream_that_ends_before_any_finish_reason_is_still_an_error():
    responses.add(responses.POST, FAKE_URL + "/v1/chat/completions", content_type="text/event-stream",
                  body=_sse({"choices": [{"index": 0, "delta": {"content": "Half an ans"}}]}))
    llm = make_llm({"llmEndpointUrl": FAKE_URL, "authMode": "PAT", "pat": {"token": "t"}})
    with pytest.raises(StreamInterruptedError, match="without its \\[DONE\\] marker or a finish reason"):
        stream(llm, "hello")


# -- a batch refused for its size with 400/422 ---------------------------------------------

def test_a_batch_refused_with_a_422_list_too_long_is_split_in_order(env):
    svc = env.standin.services["openai"]
    svc.faults.max_batch = 5
    svc.batch_limit_status = 422
    texts = ["note %d" % i for i in range(16)]
    r = embed(make_model("embedding", env.config("openai", embeddingBatchSize=16)), texts)
    assert [x["embedding"] for x in r["responses"]] == [deterministic_vector(t) for t in texts]
    assert max(len(req["body"]["input"]) for req in svc.requests if "input" in req["body"]) == 16


def test_the_size_refusal_names_the_limit_without_echoing_the_texts(env):
    svc = env.standin.services["openai"]
    svc.faults.max_batch = 1
    svc.batch_limit_status = 422
    transport = Transport(parse_settings(env.config("openai")))
    with pytest.raises(PayloadTooLargeError) as caught:
        transport.post_json("/v1/embeddings", {"input": ["private note one", "private note two"]})
    assert caught.value.status == 422
    assert "List should have at most 1 items" in str(caught.value)
    assert "private note" not in str(caught.value)


@responses.activate
def test_a_422_for_another_reason_is_not_taken_for_a_size_limit():
    responses.add(responses.POST, FAKE_URL + "/v1/embeddings", status=422, json={"detail": [
        {"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {"input": ["too long"]}}]})
    model = make_model("embedding", {"llmEndpointUrl": FAKE_URL, "authMode": "PAT", "pat": {"token": "t"}})
    with pytest.raises(RequestRejectedError, match="body.model: Field required") as caught:
        embed(model, ["a", "b"])
    assert not isinstance(caught.value, PayloadTooLargeError)
    assert len(responses.calls) == 1


# -- an optional parameter the server does not know ------------------------------------------

def test_an_unknown_optional_parameter_is_dropped_once_and_for_good(env, caplog):
    svc = env.standin.services["openai"]
    svc.unknown_fields = ("top_k",)
    llm = make_llm(env.config("openai"))
    with caplog.at_level(logging.WARNING):
        assert ask(llm, "first", {"topK": 5, "temperature": 0.2})["text"] == "Turn 1. You said: first"
        assert ask(llm, "second", {"topK": 5})["text"] == "Turn 1. You said: second"
        assert stream(llm, "third", {"topK": 5})[-1]["footer"]["finishReason"] == "STOP"
    bodies = [r["body"] for r in svc.requests]
    assert ["top_k" in b for b in bodies] == [True, False, False, False]
    assert bodies[1]["temperature"] == 0.2  # only the refused parameter goes
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'top_k'" in warnings[0] and "'topK'" in warnings[0]


def test_a_refused_parameter_that_shapes_the_answer_is_reported_not_dropped(env):
    svc = env.standin.services["openai"]
    svc.unknown_fields = ("tools",)
    with pytest.raises(RequestRejectedError, match="Unexpected fields in the request: {'tools'}"):
        ask(make_llm(env.config("openai")), "weather in Paris?", {"tools": [WEATHER]})
    assert svc.counters["requests"] == 1


@pytest.mark.parametrize("message, refused", [
    ("Unexpected fields in the request: {'top_k'}", ["top_k"]),  # transformers serve
    ("body.top_k: Extra inputs are not permitted", ["top_k"]),  # FastAPI with extra=forbid
    ("Unrecognized request argument supplied: top_k", ["top_k"]),  # OpenAI
    ("Unexpected fields in the request: {'top_k', 'logit_bias'}", ["top_k", "logit_bias"]),
    ("top_k must be at least 1, got 0", []),  # a bad value of a known field: the user's to fix
    ("Unexpected fields in the request: {'tools'}", []),  # not optional
    ("Unexpected fields in the request: {'top_k_extra'}", []),  # a different name
])
def test_refused_parameters_are_read_from_the_servers_words(message, refused):
    body = {"messages": [], "top_k": 5, "logit_bias": {}, "tools": [], "temperature": 0.1}
    assert sorted(refused_parameters(message, body)) == sorted(refused)


# -- token counts that cannot be token counts --------------------------------------------------

def test_character_counts_are_replaced_by_estimates(env):
    svc = env.standin.services["openai"]
    texts = ["A patient with chest pain, seen in the emergency department, %d." % i for i in range(10)]
    model = make_model("embedding", env.config("openai"))
    honest = embed(model, texts)
    svc.counts_characters = True
    counted = embed(model, texts)
    assert honest["tokenCountsAreEstimated"] is False and honest["promptTokens"] < sum(map(len, texts))
    assert counted["tokenCountsAreEstimated"] is True
    assert counted["promptTokens"] == sum(estimate_tokens(t) for t in texts)


def test_a_token_per_character_is_kept_on_chinese_text():
    # BERT-style tokenizers give about one token per CJK character: that is a real count.
    assert server_token_count(12, ["你好世界你好世界你好"]) == 12
    assert server_token_count(40, ["chest pain radiating to the left arm"]) is None


@responses.activate
def test_a_chat_answer_counted_in_characters_gets_estimated_counts():
    text = "The weather in Paris is sunny today."
    responses.add(responses.POST, FAKE_URL + "/v1/chat/completions", json={
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 400, "completion_tokens": len(text)}})
    r = ask(make_llm({"llmEndpointUrl": FAKE_URL, "authMode": "PAT", "pat": {"token": "t"}}), "weather?")
    assert r["tokenCountsAreEstimated"] is True
    assert r["completionTokens"] == estimate_tokens(text) and r["promptTokens"] == estimate_tokens("weather?")


@pytest.mark.parametrize("count, texts, expected", [
    (None, ["abc"], None),
    (-1, ["hello world"], None),
    (True, ["hello world"], None),
    (2.5, ["hello world"], None),
    (11, ["hello world"], None),  # exactly the characters: a character count
    (14, ["hello world", "abc"], None),
    (4, ["hello world"], 4),
    (3, ["hi"], 3),  # [CLS] hi [SEP]: more tokens than characters, yet a real count
    (0, ["hello world"], 0),
])
def test_server_token_count(count, texts, expected):
    assert server_token_count(count, texts) == expected


@given(st.lists(st.text(min_size=1), min_size=1), st.integers(min_value=0))
def test_a_count_below_the_characters_is_always_kept(texts, count):
    characters = sum(len(t) for t in texts)
    if count < characters:
        assert server_token_count(count, texts) == count


@responses.activate
def test_a_rerank_answer_counted_in_characters_gets_estimated_counts():
    query, documents = "chest pain", ["heart attack", "broken leg", "flu"]
    characters = sum(len(query) + len(d) for d in documents)  # what infinity reports
    responses.add(responses.POST, FAKE_URL + "/v1/rerank", json={
        "object": "rerank", "model": "rr", "usage": {"prompt_tokens": characters, "total_tokens": characters},
        "results": [{"relevance_score": s, "index": i, "document": None} for i, s in ((1, 0.9), (0, 0.5), (2, 0.1))]})
    model = make_model("reranking", {"llmEndpointUrl": FAKE_URL, "authMode": "PAT", "pat": {"token": "t"}})
    r = model.process({"queryParts": [{"type": "TEXT", "text": query}],
                       "documents": [{"parts": [{"type": "TEXT", "text": d}]} for d in documents]}, {}, new_trace())
    assert [d["index"] for d in r["documents"]] == [1, 0, 2]
    assert r["tokenCountsAreEstimated"] is True and r["totalUsage"]["promptTokens"] < characters
