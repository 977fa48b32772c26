"""CUSTOM mode returns the text it finds at the answer path as the service wrote it (issue 14, item 14)."""

import json

import pytest

from dss import make_llm, new_query, new_trace  # noqa: F401  (sets up the paths)
from spcs_llm.protocols.custom import CustomProtocol, parse_custom_settings


def _protocol(body_format="JSON", answer_path="$.generated_text"):
    return CustomProtocol(parse_custom_settings({
        "customBodyFormat": body_format, "customMethodPath": "/generate",
        "customRequestTemplate": json.dumps({"inputs": "{{prompt}}"}), "customAnswerPath": answer_path}))


@pytest.mark.parametrize("text", [
    '{"ville": "Orléans", "population":  116000}',  # JSON a model wrote: accents and spacing kept
    '"quoted"',
    "1e3",
    "007",
    "true",
    "null",
    " [1,2] ",
    "NaN",
    "plain text",
    "",
])
def test_custom_mode_returns_a_text_answer_verbatim(text):
    assert _protocol().parse_chat({"generated_text": text}).text == text


def test_custom_mode_returns_text_inside_json_text_verbatim():
    # Pipeline services send their output column as JSON text; the path reaches into it.
    answer = '{"name":"Orléans" , "n": 1}'
    outputs = json.dumps([{"generated_text": answer}])
    rows = {"data": [[0, {"outputs": outputs}]]}
    assert _protocol("ROWS", "$.outputs[0].generated_text").parse_chat(rows).text == answer
    assert _protocol("ROWS", "$.outputs").parse_chat(rows).text == outputs


def test_custom_mode_writes_a_structured_answer_as_json():
    protocol = _protocol(answer_path="$.result")
    assert protocol.parse_chat({"result": {"label": "café", "score": 0.5}}).text == '{"label": "café", "score": 0.5}'
    assert protocol.parse_chat({"result": 42}).text == "42"
