"""The settings DSS sends with each call are validated, naming the setting (issue 14, item 12)."""

import json

import pytest

from dss import make_llm, new_query, new_trace
from spcs_llm.errors import InvalidInputError
from spcs_llm.protocols.dss_settings import CallSettings, ResponseFormat, ToolChoice, parse_call_settings
from spcs_standin import Service

CHAT_SERVICES = ["openai", "openai-chat-sig", "textgen"]
CUSTOM = {"modelHandlingMode": "CUSTOM", "customBodyFormat": "JSON", "customMethodPath": "/generate",
          "customRequestTemplate": json.dumps({"inputs": "{{prompt}}", "parameters": {
              "max_new_tokens": "{{max_tokens}}", "temperature": "{{temperature}}", "stop": "{{stop}}"}}),
          "customAnswerPath": "$.generated_text"}


def _query(text="one two three four five six"):
    q = new_query()
    q.with_message(text)
    return q.cq


def _sent(env, service):
    return env.standin.services[service].requests[-1]["body"]


def _refused(env, service, settings, config=None):
    """The error a call with ``settings`` raises; asserts no request reached the service."""
    llm = make_llm(config or env.config(service))
    with pytest.raises(InvalidInputError) as info:
        llm.process(_query(), settings, new_trace())
    with pytest.raises(InvalidInputError):
        list(llm.process_stream(_query(), settings, new_trace()))
    assert env.standin.services[service].counters["requests"] == 0
    return str(info.value)


@pytest.fixture
def tgi(env):
    env.standin.add_service(Service("tgi", "tgi-native"))
    return env


def test_a_single_stop_string_is_one_stop_sequence(tgi):
    env = tgi
    make_llm(env.config("openai")).process(_query(), {"stopSequences": "four"}, new_trace())
    assert _sent(env, "openai")["stop"] == ["four"]
    list(make_llm(env.config("openai")).process_stream(_query(), {"stopSequences": "four"}, new_trace()))
    assert _sent(env, "openai")["stop"] == ["four"]
    make_llm(env.config("openai-chat-sig")).process(_query(), {"stopSequences": "four"}, new_trace())
    assert _sent(env, "openai-chat-sig")["data"][0][1]["stop"] == ["four"]
    make_llm(env.config("tgi", **CUSTOM)).process(_query(), {"stopSequences": "four"}, new_trace())
    assert _sent(env, "tgi")["parameters"]["stop"] == ["four"]


def test_a_single_stop_string_stops_the_answer_at_that_string(env):
    r = make_llm(env.config("openai")).process(_query(), {"stopSequences": "three"}, new_trace())
    assert r["text"] == "Turn 1. You said: one two "  # not cut at the first "t", "h", "r" or "e"


@pytest.mark.parametrize("stops", [5, {"a": "b"}, ["ok", 3], True, [["nested"]]])
@pytest.mark.parametrize("service", CHAT_SERVICES)
def test_stop_sequences_of_another_type_are_refused_naming_the_setting(env, service, stops):
    message = _refused(env, service, {"stopSequences": stops})
    assert "'stopSequences" in message


@pytest.mark.parametrize("name, value", [
    ("temperature", "0.2"), ("temperature", True), ("temperature", float("nan")), ("temperature", [0.2]),
    ("topP", False), ("topP", "0.9"), ("topK", "40"), ("topK", 2.5), ("maxOutputTokens", "64"),
    ("presencePenalty", [1]), ("frequencyPenalty", {}), ("frequencyPenalty", float("inf")),
])
@pytest.mark.parametrize("service", CHAT_SERVICES)
def test_sampling_settings_that_are_not_numbers_are_refused_naming_the_setting(env, service, name, value):
    message = _refused(env, service, {name: value})
    assert "'%s'" % name in message


@pytest.mark.parametrize("fmt", ["json", ["json"], 1, {"type": 3}, {"type": "xml"}, {"type": "json", "schema": "x"},
                                 {"type": "json", "strict": "yes"}])
@pytest.mark.parametrize("service", CHAT_SERVICES)
def test_a_response_format_that_is_not_a_json_format_object_is_refused(env, service, fmt):
    assert "'responseFormat" in _refused(env, service, {"responseFormat": fmt})


def test_max_output_tokens_of_zero_or_less_means_no_limit(tgi):
    env = tgi
    for limit in (0, -1):
        r = make_llm(env.config("openai")).process(_query(), {"maxOutputTokens": limit}, new_trace())
        assert "max_tokens" not in _sent(env, "openai")
        assert r["text"] == "Turn 1. You said: one two three four five six" and r["finishReason"] == "STOP"
        make_llm(env.config("openai-chat-sig")).process(_query(), {"maxOutputTokens": limit}, new_trace())
        # the signature needs the column: its default limit, never 0 or a negative one
        assert _sent(env, "openai-chat-sig")["data"][0][1]["max_completion_tokens"] == 1024
        make_llm(env.config("tgi", **CUSTOM)).process(_query(), {"maxOutputTokens": limit}, new_trace())
        assert _sent(env, "tgi")["parameters"]["max_new_tokens"] is None


def test_settings_of_the_right_types_are_sent_as_given(env):
    settings = {"temperature": 0, "topP": 0.5, "topK": 40.0, "maxOutputTokens": 3, "presencePenalty": -1,
                "frequencyPenalty": 0.5, "logitBias": {"50256": -100}, "logProbs": True, "topLogProbs": 2,
                "stopSequences": ["x", ""], "context": {"whatever": "DSS adds"}}
    make_llm(env.config("openai")).process(_query(), settings, new_trace())
    body = _sent(env, "openai")
    assert {k: body[k] for k in body if k not in ("messages",)} == {
        "temperature": 0, "top_p": 0.5, "top_k": 40, "max_tokens": 3, "presence_penalty": -1,
        "frequency_penalty": 0.5, "logit_bias": {"50256": -100}, "logprobs": True, "top_logprobs": 2,
        "stop": ["x"]}


def test_parse_call_settings_builds_one_frozen_value():
    call = parse_call_settings({
        "temperature": 0.1, "maxOutputTokens": 12.0, "stopSequences": "END",
        "tools": [{"type": "function", "function": {"name": "f"}}], "toolChoice": {"type": "tool_name", "name": "f"},
        "responseFormat": {"type": "json", "schema": {"type": "object"}, "strict": True}})
    assert call == CallSettings(temperature=0.1, max_output_tokens=12, stop_sequences=("END",),
                                tools=({"type": "function", "function": {"name": "f"}},),
                                tool_choice=ToolChoice("tool_name", "f"),
                                response_format=ResponseFormat({"type": "object"}, True))
    assert call.given() == ["maxOutputTokens", "responseFormat", "stopSequences", "temperature", "toolChoice",
                            "tools"]
    assert parse_call_settings(call) is call
    assert parse_call_settings(None) == parse_call_settings({}) == CallSettings()
    assert parse_call_settings({"responseFormat": {"type": "text"}, "toolChoice": {}}) == CallSettings()


@pytest.mark.parametrize("settings, named", [
    ("temperature=1", "completion settings must be an object"),
    ({"logProbs": "yes"}, "'logProbs'"),
    ({"logitBias": [1]}, "'logitBias'"),
    ({"logitBias": {"1": "high"}}, "'logitBias['1']'"),
    ({"tools": {"name": "f"}}, "'tools'"),
    ({"tools": ["f"]}, "'tools[0]'"),
    ({"tools": [{"type": "function", "function": {"name": 3}}]}, "'tools[0]'"),
    ({"toolChoice": {"type": "tool_name"}}, "'toolChoice'"),
    ({"toolChoice": "sometimes"}, "'toolChoice'"),
])
def test_other_malformed_settings_are_refused_naming_the_setting(settings, named):
    with pytest.raises(InvalidInputError) as info:
        parse_call_settings(settings)
    assert named in str(info.value)


def test_a_refused_value_is_quoted_short():
    with pytest.raises(InvalidInputError) as info:
        parse_call_settings({"temperature": "x" * 10000})
    assert len(str(info.value)) < 200
