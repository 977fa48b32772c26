"""Every mode x every auth mode, over real sockets against the stand-in, models loaded as DSS loads them."""

import json

import pytest

from dss import make_llm, make_model, new_query, new_trace
from spcs_llm.settings import parse_settings
from spcs_standin import deterministic_vector

AUTH_MODES = ["OAUTH", "KEYPAIR_JWT", "PAT"]
CHAT_SERVICES = ["openai", "textgen", "openai-chat-sig"]
EMBED_SERVICES = ["openai", "legacy-embed", "st"]


def conversation():
    q = new_query()
    q.with_message("You are terse.", role="system")
    q.with_message("What is SPCS?")
    q.with_message("Snowpark Container Services.", role="assistant")
    q.with_message("Say more about compute pools")
    return q


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("service", CHAT_SERVICES)
def test_completion(env, service, auth):
    llm = make_llm(env.config(service, auth))
    trace = new_trace()
    q = conversation()
    response = llm.process(q.cq, q.settings, trace)
    assert response["text"]
    assert response["promptTokens"] > 0 and response["completionTokens"] > 0
    assert response["estimatedCost"] == 0.0
    assert trace.span["children"][0]["name"] == "spcs-completion"
    if service == "textgen":
        prompt = env.standin.services["textgen"].requests[-1]["body"]["data"][0][1]["inputs"]
        assert response["text"] == "Generated answer to a prompt of %d characters." % len(prompt)
        assert response["tokenCountsAreEstimated"] is True
    else:
        assert response["text"] == "Turn 2. You said: Say more about compute pools"
        assert response["tokenCountsAreEstimated"] is False
        assert response["finishReason"] == "STOP"


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("service", CHAT_SERVICES)
def test_streaming(env, service, auth):
    llm = make_llm(env.config(service, auth))
    q = conversation()
    items = list(llm.process_stream(q.cq, q.settings, new_trace()))
    chunks, footer = items[:-1], items[-1]
    assert all(set(i) == {"chunk"} for i in chunks) and set(footer) == {"footer"}
    text = "".join(c["chunk"]["text"] for c in chunks)
    assert text == llm.process(q.cq, q.settings, new_trace())["text"]
    if service == "openai":
        assert len(chunks) > 3  # really incremental
        assert footer["footer"]["completionTokens"] == len(text.split())
    else:
        assert len(chunks) == 1
    assert "estimatedCost" in footer["footer"]


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("service", EMBED_SERVICES)
def test_embeddings_single_and_batch_in_order(env, service, auth):
    llm = make_model("embedding", env.config(service, auth, embeddingBatchSize=7))
    single = llm.process({"text": "hello world"}, {}, new_trace())
    assert single["embedding"] == deterministic_vector("hello world")  # exact floats
    texts = ["note %d about the heart" % i for i in range(23)]
    batch = llm.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())
    assert [r["embedding"] for r in batch["responses"]] == [deterministic_vector(t) for t in texts]
    assert batch["promptTokens"] > 0 and "estimatedCost" in batch
    svc = env.standin.services[service]
    sizes = [len(r["body"].get("input") or r["body"].get("data")) for r in svc.requests][1:]
    assert sorted(sizes) == [2, 7, 7, 7]  # 23 texts in 4 requests (sent concurrently), not 23


def test_exact_request_bodies_per_mode(env):
    q = conversation()
    q.with_json_output()
    settings = dict(q.settings, temperature=0.2, maxOutputTokens=50, topP=0.9, stopSequences=["\n\n"])

    make_llm(env.config("openai", modelName="llama-3-8b")).process(q.cq, settings, new_trace())
    body = env.standin.services["openai"].requests[-1]["body"]
    assert body == {
        "model": "llama-3-8b",
        "messages": [{"role": "system", "content": "You are terse."},
                     {"role": "user", "content": "What is SPCS?"},
                     {"role": "assistant", "content": "Snowpark Container Services."},
                     {"role": "user", "content": "Say more about compute pools"}],
        "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": ["\n\n"],
        "response_format": {"type": "json_object"},
    }

    make_llm(env.config("openai-chat-sig")).process(q.cq, settings, new_trace())
    request = env.standin.services["openai-chat-sig"].requests[-1]
    assert request["path"] == "/--call--"
    row = request["body"]["data"][0]
    assert row[0] == 0 and row[1]["max_completion_tokens"] == 50 and row[1]["temperature"] == 0.2
    assert row[1]["messages"][0] == {"role": "system", "content": "You are terse."}

    make_llm(env.config("textgen")).process(q.cq, settings, new_trace())
    request = env.standin.services["textgen"].requests[-1]
    assert request["path"] == "/predict"
    assert request["body"] == {"data": [[0, {"inputs": (
        "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nWhat is SPCS? [/INST] Snowpark Container Services. </s>"
        "<s>[INST] Say more about compute pools [/INST]")}]]}


def test_tool_call_round_trip(env):
    llm = make_llm(env.config("openai"))
    tools = [{"type": "function", "function": {
        "name": "get_patient", "description": "Look up a patient",
        "parameters": {"type": "object", "properties": {"patient_id": {"type": "string"}}}}}]
    q = new_query()
    q.with_message("Use get_patient for P-17")
    settings = {"tools": tools, "toolChoice": {"type": "auto"}}
    first = llm.process(q.cq, settings, new_trace())
    assert first["finishReason"] == "TOOL_CALLS"
    call = first["toolCalls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "get_patient"
    assert json.loads(call["function"]["arguments"]) == {"patient_id": "Use get_patient for P-17"}

    # Streamed, the tool calls come as a chunk of their own before the footer: DSS ignores
    # toolCalls in a footer.
    streamed = list(llm.process_stream(q.cq, settings, new_trace()))
    assert streamed[-2] == {"chunk": {"toolCalls": first["toolCalls"]}}
    assert "toolCalls" not in streamed[-1]["footer"] and streamed[-1]["footer"]["finishReason"] == "TOOL_CALLS"

    q.with_tool_calls(first["toolCalls"])
    q.with_tool_output('{"name": "Ada"}', tool_call_id=call["id"])
    second = llm.process(q.cq, settings, new_trace())
    assert second["text"] == 'The tool returned: {"name": "Ada"}'
    sent = env.standin.services["openai"].requests[-1]["body"]["messages"]
    assert sent[1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": call["id"], "type": "function", "function": call["function"]}]}
    assert sent[2] == {"role": "tool", "tool_call_id": call["id"], "content": '{"name": "Ada"}'}
    assert env.standin.services["openai"].requests[0]["body"]["tool_choice"] == "auto"


def test_streamed_tool_calls_are_a_chunk_when_the_server_answers_in_one_body(env):
    # The fallback path: a server that ignores "stream": true answers one JSON body, which
    # the plugin turns into a stream.
    env.standin.services["openai"].streams = False
    llm = make_llm(env.config("openai"))
    tools = [{"type": "function", "function": {"name": "get_patient", "parameters": {"type": "object"}}}]
    q = new_query()
    q.with_message("Use get_patient for P-17")
    items = list(llm.process_stream(q.cq, {"tools": tools}, new_trace()))
    assert [list(i) for i in items] == [["chunk"], ["footer"]]
    calls = items[0]["chunk"]["toolCalls"]
    assert [c["function"]["name"] for c in calls] == ["get_patient"] and calls[0]["id"]
    footer = items[1]["footer"]
    assert footer["finishReason"] == "TOOL_CALLS" and "toolCalls" not in footer
    assert footer["totalTokens"] == footer["promptTokens"] + footer["completionTokens"]


def test_named_tool_choice_and_json_schema(env):
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.with_message("anything")
    tools = [{"type": "function", "function": {"name": "a", "parameters": {"type": "object", "properties": {}}}},
             {"type": "function", "function": {"name": "b", "parameters": {
                 "type": "object", "properties": {"n": {"type": "integer"}}}}}]
    r = llm.process(q.cq, {"tools": tools, "toolChoice": {"type": "tool_name", "name": "b"}}, new_trace())
    assert r["toolCalls"][0]["function"] == {"name": "b", "arguments": '{"n": 42}'}
    assert env.standin.services["openai"].requests[-1]["body"]["tool_choice"] == {
        "type": "function", "function": {"name": "b"}}
    q.with_json_output(schema={"type": "object", "properties": {"score": {"type": "number"}}}, strict=True)
    r = llm.process(q.cq, q.settings, new_trace())
    assert json.loads(r["text"]) == {"score": 42}
    assert env.standin.services["openai"].requests[-1]["body"]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "response", "strict": True,
                                               "schema": {"type": "object", "properties": {"score": {"type": "number"}}}}}


def test_multipart_image_reaches_openai_mode(env):
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.new_multipart_message().with_text("What is on this scan?").with_inline_image(b"\x89PNG fake", "image/png").add()
    r = llm.process(q.cq, {}, new_trace())
    assert r["text"].endswith("(I see 1 image)")
    content = env.standin.services["openai"].requests[-1]["body"]["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "What is on this scan?"}
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_image_by_url_reaches_openai_mode_as_its_url(env):
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.new_multipart_message().with_text("What is on this scan?").with_image_url("https://images.example/xray.png").add()
    r = llm.process(q.cq, {}, new_trace())
    assert r["text"].endswith("(I see 1 image)")
    content = env.standin.services["openai"].requests[-1]["body"]["messages"][0]["content"]
    assert content == [{"type": "text", "text": "What is on this scan?"},
                       {"type": "image_url", "image_url": {"url": "https://images.example/xray.png"}}]


@pytest.mark.parametrize("limit", [0, -1])
def test_max_output_tokens_of_zero_or_less_sends_no_limit(env, limit):
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.with_message("one two three four five six")
    r = llm.process(q.cq, {"maxOutputTokens": limit}, new_trace())
    assert r["text"] == "Turn 1. You said: one two three four five six" and r["finishReason"] == "STOP"
    assert "max_tokens" not in env.standin.services["openai"].requests[-1]["body"]


def test_max_tokens_and_stop_are_honoured(env):
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.with_message("one two three four five six")
    r = llm.process(q.cq, {"maxOutputTokens": 3}, new_trace())
    assert r["text"] == "Turn 1. You" and r["finishReason"] == "LENGTH" and r["completionTokens"] == 3


def test_registry_method_override_uses_spcs_path(env):
    env.standin.services["st"].method = "/embed-query"
    llm = make_model("embedding", env.config("st", registryMethod="embed_query"))
    r = llm.process({"text": "x"}, {}, new_trace())
    assert r["embedding"] == deterministic_vector("x")
    assert env.standin.services["st"].requests[-1]["path"] == "/embed-query"


def test_java_plugin_connection_works_unchanged(env):
    """Only the Java plugin's params, OAuth, a legacy mode: a chat and an embedding complete."""
    old = {"oauth": {"snowflake_oauth": env.oauth_token, "authorizationEndpoint": "x", "tokenEndpoint": "y",
                     "scope": "refresh_token"},
           "modelHandlingMode": "TEXT_GENERATION_MISTRAL", "llmEndpointUrl": env.standin.url("textgen"),
           "snowflakeAccountUrl": env.standin.account_url, "maxParallelism": 4,
           "spcsCreditsPerHourCost": 1.0, "snowflakeCreditCost": 3.0}
    llm = make_llm(old, with_defaults=False)
    assert parse_settings(old).transport.max_parallelism == 4  # the Java plugin's field, still honoured
    q = new_query()
    q.with_message("Summarise the note")
    r = llm.process(q.cq, {}, new_trace())
    assert env.standin.services["textgen"].requests[-1]["body"] == {
        "data": [[0, {"inputs": "<s>[INST] Summarise the note [/INST]"}]]}
    assert r["text"] == "Generated answer to a prompt of 36 characters."
    assert r["estimatedCost"] > 0
    old["llmEndpointUrl"] = env.standin.url("legacy-embed")
    emb = make_model("embedding", old, with_defaults=False).process({"text": "chest pain"}, {}, new_trace())
    assert emb["embedding"] == deterministic_vector("chest pain")


def test_async_twins(env):
    import asyncio

    llm = make_llm(env.config("openai"))
    q = conversation()

    async def run():
        full = await llm.aprocess(q.cq, {}, new_trace())
        items = [i async for i in llm.aprocess_stream(q.cq, {}, new_trace())]
        return full, items

    full, items = asyncio.run(run())
    assert "".join(i["chunk"]["text"] for i in items[:-1]) == full["text"]
