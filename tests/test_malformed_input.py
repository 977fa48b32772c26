"""Malformed input never escapes as a raw Python error (issue 14, item 13).

Malformed answers raise ``MalformedResponseError`` naming what was wrong; malformed DSS
messages raise ``InvalidInputError`` naming the field; a key pair that is not RSA is refused
in ``set_config``. tests/test_parsing_properties.py checks the same over generated inputs.
"""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519

from dss import make_llm, new_trace
from spcs_llm.wire import json_codec
from spcs_llm.errors import ConfigError, InvalidInputError, MalformedResponseError
from spcs_llm.protocols.custom import CustomProtocol, parse_custom_settings
from spcs_llm.protocols.openai_compat import ChatStreamParser, OpenAICompatibleProtocol
from spcs_llm.protocols.registry import LegacyTextGenerationProtocol, SentenceTransformersProtocol
from spcs_llm.protocols.registry_rows import maybe_json
from spcs_llm.transport.status import decode_json_body

URL = "https://svc.example.snowflakecomputing.app/v1/chat/completions"


def deep(levels, inner="1"):
    return "[" * levels + inner + "]" * levels


# -- deeply nested answers --------------------------------------------------------------


@pytest.mark.parametrize("levels", [1025, 5000, 200000])
def test_deeply_nested_json_answer_is_a_malformed_response(levels):
    with pytest.raises(MalformedResponseError) as info:
        decode_json_body(deep(levels).encode(), {"Content-Type": "application/json"}, URL)
    assert "not JSON" in str(info.value)
    with pytest.raises(ValueError):
        json_codec.loads(deep(levels))
    with pytest.raises(MalformedResponseError):
        ChatStreamParser().feed(deep(levels))


def test_answers_nested_as_deep_as_the_decoder_allows_are_malformed_not_a_crash():
    # orjson accepts 1,024 levels; walking or re-encoding them in Python would overflow its stack.
    nested = json_codec.loads(deep(1024))
    custom = CustomProtocol(parse_custom_settings({
        "customMethodPath": "/generate", "customRequestTemplate": '{"inputs": "{{prompt}}"}',
        "customAnswerPath": "$..x", "customEmbeddingMethodPath": "/embed",
        "customEmbeddingRequestTemplate": '{"inputs": "{{texts}}"}', "customEmbeddingPath": "$..x"}))
    with pytest.raises(MalformedResponseError) as info:
        custom.parse_chat({"x": nested})
    assert "nested too deeply" in str(info.value)
    with pytest.raises(MalformedResponseError):
        custom.parse_embeddings({"x": nested}, 1)
    with pytest.raises(MalformedResponseError):
        OpenAICompatibleProtocol().parse_chat({"choices": [{"message": {"tool_calls": [
            {"id": "c", "function": {"name": "f", "arguments": nested}}]}}]})


def test_reranking_answers_nested_as_deep_as_the_decoder_allows_are_malformed_not_a_crash():
    from spcs_llm.protocols.rerank import CrossEncoderProtocol, OpenAIRerankProtocol, TEIRerankProtocol

    nested = json_codec.loads(deep(1024))
    answers = [(OpenAIRerankProtocol(), {"results": [{"index": 0, "relevance_score": nested}]}),
               (TEIRerankProtocol(), [{"index": 0, "score": nested}]),
               (CrossEncoderProtocol(), {"data": [[0, {"score": nested}]]})]
    for protocol, answer in answers:
        with pytest.raises(MalformedResponseError):
            protocol.parse_rerank(answer, 1)


def test_json_text_too_deep_to_decode_inside_an_answer_stays_text():
    assert maybe_json(deep(5000)) == deep(5000)
    rows = {"data": [[0, {"outputs": deep(5000)}]]}
    with pytest.raises(MalformedResponseError):
        LegacyTextGenerationProtocol("TEXT_GENERATION_OTHER").parse_embeddings(rows, 1)


# -- answers of the wrong shape ------------------------------------------------------------


def _chat(message=None, **fields):
    choice = {"index": 0, "message": {"role": "assistant", "content": "hi"} if message is None else message,
              "finish_reason": "stop"}
    choice.update(fields.pop("choice", {}))
    return dict({"choices": [choice]}, **fields)


OPENAI = OpenAICompatibleProtocol()
MALFORMED_CHAT = [
    ("answer not an object", ["hi"], "The chat answer is not an object"),
    ("choices not a list", {"choices": {"0": {}}}, "has no choices[0].message"),
    ("choice not an object", {"choices": ["hi"]}, "choices[0] is not an object"),
    ("message not an object", _chat("hello"), "choices[0].message is not an object"),
    ("usage not an object", _chat(usage=[3, 4]), "usage is not an object"),
    ("content a number", _chat({"content": 42}), "content is not a list"),
    ("content part text a number", _chat({"content": [{"type": "text", "text": 42}]}), "content[0].text is not a "
                                                                                       "string"),
    ("tool_calls not a list", _chat({"tool_calls": "f()"}), "tool_calls is not a list"),
    ("tool call not an object", _chat({"tool_calls": ["f"]}), "tool_calls[0] is not an object"),
    ("tool call without name", _chat({"tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}),
     "tool_calls[0] has no function name"),
    ("tool call name a number", _chat({"tool_calls": [{"function": {"name": 7}}]}), "function.name is not a string"),
    ("finish_reason an object", _chat(choice={"finish_reason": {"why": "stop"}}), "finish_reason is not a string"),
]


@pytest.mark.parametrize("name, payload, message", MALFORMED_CHAT, ids=[m[0] for m in MALFORMED_CHAT])
def test_malformed_chat_answers_name_what_was_wrong(name, payload, message):
    with pytest.raises(MalformedResponseError) as info:
        OPENAI.parse_chat(payload)
    assert message in str(info.value)
    with pytest.raises(MalformedResponseError) as info:
        ChatStreamParser().feed(payload)  # a server that answers a stream request with a whole answer
    assert message in str(info.value)


MALFORMED_EVENTS = [
    ("event not an object", [1, 2], "A stream event is not an object"),
    ("event a string", "data", "A stream event is not an object"),
    ("choices not a list", {"choices": "x"}, "choices is not a list"),
    ("choice not an object", {"choices": [3]}, "choices[0] is not an object"),
    ("delta not an object", {"choices": [{"delta": "Hel"}]}, "choices[0].delta is not an object"),
    ("delta content a list", {"choices": [{"delta": {"content": ["Hel"]}}]}, "delta.content is not a string"),
    ("usage not an object", {"choices": [], "usage": 12}, "usage is not an object"),
    ("tool calls not a list", {"choices": [{"delta": {"tool_calls": {"index": 0}}}]}, "tool_calls is not a list"),
    ("tool call index text", {"choices": [{"delta": {"tool_calls": [{"index": "0"}]}}]},
     "tool call index is not an integer"),
    ("tool call arguments an object", {"choices": [{"delta": {"tool_calls": [
        {"index": 0, "function": {"arguments": {"a": 1}}}]}}]}, "function.arguments is not a string"),
]


@pytest.mark.parametrize("name, event, message", MALFORMED_EVENTS, ids=[m[0] for m in MALFORMED_EVENTS])
def test_malformed_stream_events_name_what_was_wrong(name, event, message):
    parser = ChatStreamParser()
    assert parser.feed(json.dumps({"choices": [{"delta": {"content": "Hel"}}]})) == "Hel"
    with pytest.raises(MalformedResponseError) as info:
        parser.feed(json.dumps(event))
    assert message in str(info.value)


MALFORMED_EMBEDDINGS = [
    ("answer not an object", OPENAI, [[0.1]], "The embeddings answer is not an object"),
    ("vector a string", OPENAI, {"data": [{"index": 0, "embedding": "0.1,0.2"}]}, "is not a list of numbers"),
    ("vector of objects", OPENAI, {"data": [{"index": 0, "embedding": [{"x": 1}]}]}, "holds non-numbers"),
    ("vector with NaN", OPENAI, {"data": [{"index": 0, "embedding": [float("nan")]}]}, "NaN or infinity"),
    ("index text", OPENAI, {"data": [{"index": "1", "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]},
     "index is not a number"),
    ("item not an object", OPENAI, {"data": [[1.0]]}, "data[0] is not an object"),
    ("usage a number", OPENAI, {"data": [{"embedding": [1.0]}], "usage": 5}, "usage is not an object"),
    ("rows not a list", SentenceTransformersProtocol(), {"data": {"0": [0.1]}}, "has no 'data' rows"),
    ("row index true", SentenceTransformersProtocol(), {"data": [[True, {"output": [0.1]}]]}, "not [index, value]"),
    ("number too large", SentenceTransformersProtocol(), {"data": [[0, {"output": [10 ** 400]}]]},
     "holds non-numbers"),
]


@pytest.mark.parametrize("name, protocol, payload, message", MALFORMED_EMBEDDINGS,
                         ids=[m[0] for m in MALFORMED_EMBEDDINGS])
def test_malformed_embedding_answers_name_what_was_wrong(name, protocol, payload, message):
    with pytest.raises(MalformedResponseError) as info:
        protocol.parse_embeddings(payload, len(payload["data"]) if isinstance(payload, dict) else 1)
    assert message in str(info.value)


def test_a_custom_answer_path_filter_that_cannot_apply_is_a_malformed_response():
    custom = CustomProtocol(parse_custom_settings({
        "customMethodPath": "/generate", "customRequestTemplate": '{"inputs": "{{prompt}}"}',
        "customAnswerPath": "$.items[?(@.score > 0.5)].text"}))
    assert custom.parse_chat({"items": [{"score": 0.9, "text": "yes"}]}).text == "yes"
    with pytest.raises(MalformedResponseError) as info:
        custom.parse_chat({"items": [{"score": "high", "text": "yes"}]})
    assert "'customAnswerPath'" in str(info.value)


# -- malformed DSS messages -------------------------------------------------------------------

MALFORMED_MESSAGES = [
    ("parts a string", [{"role": "user", "parts": "hello"}], "messages[0].parts must be a list, got str"),
    ("parts a number", [{"role": "user", "parts": 5}], "messages[0].parts must be a list, got int"),
    ("part not an object", [{"role": "user", "parts": ["hello"]}], "messages[0].parts[0] must be an object"),
    ("part text a number", [{"role": "user", "parts": [{"type": "TEXT", "text": 5}]}],
     "messages[0].parts[0].text must be a string"),
    ("image data an object", [{"role": "user", "parts": [{"type": "IMAGE_INLINE", "inlineImage": {"b": 1}}]}],
     "messages[0].parts[0].inlineImage must be a string"),
    ("toolCalls a number", [{"role": "user", "content": "x"}, {"role": "assistant", "toolCalls": 5}],
     "messages[1].toolCalls must be a list, got int"),
    ("toolCalls a string", [{"role": "user", "content": "x"}, {"role": "assistant", "toolCalls": "get()"}],
     "messages[1].toolCalls must be a list, got str"),
    ("tool call not an object", [{"role": "user", "content": "x"}, {"role": "assistant", "toolCalls": [5]}],
     "messages[1].toolCalls[0] must be an object"),
    ("tool call id a list", [{"role": "user", "content": "x"}, {"role": "assistant", "toolCalls": [
        {"id": ["c"], "type": "function", "function": {"name": "f", "arguments": "{}"}}]}],
     "messages[1].toolCalls[0].id must be a string"),
    ("toolOutputs a number", [{"role": "user", "content": "x"}, {"role": "tool", "toolOutputs": 5}],
     "messages[1].toolOutputs must be a list, got int"),
    ("toolOutputs an object", [{"role": "user", "content": "x"}, {"role": "tool", "toolOutputs": {"callId": "c"}}],
     "messages[1].toolOutputs must be a list, got dict"),
    ("callId a number", [{"role": "user", "content": "x"}, {"role": "tool", "toolOutputs": [{"callId": 7}]}],
     "messages[1].toolOutputs[0].callId must be a string"),
]


@pytest.mark.parametrize("name, messages, message", MALFORMED_MESSAGES, ids=[m[0] for m in MALFORMED_MESSAGES])
def test_malformed_dss_messages_raise_invalid_input_naming_the_field(env, name, messages, message):
    llm = make_llm(env.config("openai"))
    with pytest.raises(InvalidInputError) as info:
        llm.process({"messages": messages}, {}, new_trace())
    assert message in str(info.value)
    with pytest.raises(InvalidInputError):
        list(llm.process_stream({"messages": messages}, {}, new_trace()))
    assert env.standin.services["openai"].counters["requests"] == 0


# -- keys that cannot sign an RS256 JWT ----------------------------------------------------------


def _pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("kind, key", [
    ("EC", lambda: ec.generate_private_key(ec.SECP256R1())),
    ("DSA", lambda: dsa.generate_private_key(2048)),
    ("Ed25519", lambda: ed25519.Ed25519PrivateKey.generate()),
])
def test_a_private_key_that_is_not_rsa_is_refused_in_set_config(env, kind, key):
    config = env.config("openai", "KEYPAIR_JWT")
    config["keypair"]["privateKey"] = _pem(key())
    with pytest.raises(ConfigError) as info:
        make_llm(config)
    assert info.value.field == "keypair.privateKey"
    assert "%s key" % kind in str(info.value) and "takes an RSA key" in str(info.value)
    assert "PRIVATE KEY" not in str(info.value)


# -- JSON user messages of the pipeline tasks ----------------------------------------------------


def _pipeline_row(mode, content):
    from spcs_llm.protocols.dss_messages import parse_messages
    from spcs_llm.protocols.pipelines import PipelineTaskProtocol

    messages = parse_messages({"messages": [{"role": "user", "content": json.dumps(content)}]})
    return PipelineTaskProtocol(mode).chat_request(messages, {})[1]["data"][0][1]


@pytest.mark.parametrize("mode, content, named", [
    ("REGISTRY_ZERO_SHOT_CLASSIFICATION", {"sequences": "x", "candidate_labels": 5}, "'candidate_labels'"),
    ("REGISTRY_ZERO_SHOT_CLASSIFICATION", {"sequences": ["x"], "candidate_labels": ["a"]}, "'sequences'"),
    ("REGISTRY_QUESTION_ANSWERING", {"question": 5, "context": "c"}, "'question'"),
    ("REGISTRY_TEXT_CLASSIFICATION", {"text": "t", "text_pair": {"a": 1}}, "'text_pair'"),
    ("REGISTRY_SUMMARIZATION", {"documents": [1, 2]}, "'documents'"),
])
def test_json_fields_of_the_wrong_type_in_a_pipeline_message_are_refused_naming_the_field(mode, content, named):
    with pytest.raises(InvalidInputError) as info:
        _pipeline_row(mode, content)
    assert named in str(info.value)


def test_candidate_labels_given_as_one_text_are_comma_separated_labels():
    row = _pipeline_row("REGISTRY_ZERO_SHOT_CLASSIFICATION", {"sequences": "x", "candidate_labels": "urgent, routine"})
    assert row["candidate_labels"] == ["urgent", "routine"]
