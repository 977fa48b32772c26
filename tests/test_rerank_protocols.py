"""Reranking wire formats, pure: requests as each server documents them, answers parsed to scores.

The payloads are the documented shapes (PLATFORM.md section 2, "rerankers"); the
end-to-end tests against the stand-in are in test_reranking.py.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dss  # noqa: F401  (puts python-lib on the path)
from spcs_llm.errors import ConfigError, InvalidInputError, MalformedResponseError
from spcs_llm.protocols.custom import CustomProtocol, parse_custom_settings
from spcs_llm.protocols.rerank import CrossEncoderProtocol, OpenAIRerankProtocol, TEIRerankProtocol, parts_text
from spcs_llm.transport.status import is_size_refusal

DOCS = ["aspirin for chest pain", "insulin for diabetes", "splint for a fracture"]


def test_openai_request_asks_for_every_score_and_names_the_model():
    path, body = OpenAIRerankProtocol("bge-reranker-v2-m3").rerank_request("chest pain", DOCS)
    assert path == "/v1/rerank"
    assert body == {"query": "chest pain", "documents": DOCS, "top_n": 3, "model": "bge-reranker-v2-m3"}
    assert "model" not in OpenAIRerankProtocol().rerank_request("q", DOCS)[1]


def test_openai_answer_best_first_is_put_back_in_request_order_with_usage():
    payload = {"id": "rerank-1", "model": "m", "usage": {"total_tokens": 42},
               "results": [{"index": 2, "document": {"text": DOCS[2]}, "relevance_score": 0.9},
                           {"index": 0, "document": {"text": DOCS[0]}, "relevance_score": 0.5},
                           {"index": 1, "document": {"text": DOCS[1]}, "relevance_score": -0.25}]}
    ranking = OpenAIRerankProtocol().parse_rerank(payload, 3)
    assert ranking.scores == [0.5, -0.25, 0.9]
    assert ranking.prompt_tokens == 42


def test_openai_answer_without_usage_leaves_tokens_unknown():
    payload = {"results": [{"index": 0, "relevance_score": 1}]}
    assert OpenAIRerankProtocol().parse_rerank(payload, 1).prompt_tokens is None


def test_tei_request_and_answer():
    path, body = TEIRerankProtocol().rerank_request("q", DOCS)
    assert (path, body) == ("/rerank", {"query": "q", "texts": DOCS})
    ranking = TEIRerankProtocol().parse_rerank([{"index": 1, "score": 0.7}, {"index": 0, "score": 0.1},
                                                {"index": 2, "score": 0.0}], 3)
    assert ranking.scores == [0.1, 0.7, 0.0] and ranking.prompt_tokens is None


def test_cross_encoder_rows_pair_the_query_with_each_document():
    path, body = CrossEncoderProtocol().rerank_request("q", DOCS[:2])
    assert path == "/predict"
    assert body == {"data": [[0, {"text": "q", "text_pair": DOCS[0]}], [1, {"text": "q", "text_pair": DOCS[1]}]]}
    assert CrossEncoderProtocol("__call__").rerank_request("q", DOCS)[0] == "/--call--"
    answer = {"data": [[1, {"label": "LABEL_0", "score": 0.2}], [0, {"label": "LABEL_0", "score": 0.8}]]}
    assert CrossEncoderProtocol().parse_rerank(answer, 2).scores == [0.8, 0.2]


def test_cross_encoder_accepts_a_single_output_column_or_a_positional_value():
    assert CrossEncoderProtocol().parse_rerank({"data": [[0, {"logits": 3.5}]]}, 1).scores == [3.5]
    assert CrossEncoderProtocol().parse_rerank({"data": [[0, 1.5]]}, 1).scores == [1.5]
    with pytest.raises(MalformedResponseError, match="no output column 'score'"):
        CrossEncoderProtocol().parse_rerank({"data": [[0, {"label": "x", "logit": 1}]]}, 1)


@pytest.mark.parametrize("results, message", [
    ([{"index": 0, "score": 0.1}], "no score for 1 of 2"),
    ([{"index": 0, "score": 0.1}, {"index": 0, "score": 0.2}], "twice"),
    ([{"index": 5, "score": 0.1}, {"index": 0, "score": 0.2}], "no valid 'index'"),
    ([{"index": 0, "score": "high"}, {"index": 1, "score": 0.2}], "not a finite number"),
    ([{"index": 0, "score": float("nan")}, {"index": 1, "score": 0.2}], "not a finite number"),
    ({"error": "oops"}, "no list of results"),
])
def test_malformed_answers_are_named(results, message):
    with pytest.raises(MalformedResponseError, match=message):
        TEIRerankProtocol().parse_rerank(results, 2)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=40), st.randoms())
def test_any_order_of_results_gives_the_same_scores(scores, rnd):
    results = [{"index": i, "relevance_score": s} for i, s in enumerate(scores)]
    rnd.shuffle(results)
    assert OpenAIRerankProtocol().parse_rerank({"results": results}, len(scores)).scores == scores


def test_refusals_that_splitting_cures():
    # The transport turns these into PayloadTooLargeError, which the reranking client splits.
    assert is_size_refusal(413, "batch size 50 > maximum allowed batch size 32")
    assert is_size_refusal(422, "List should have at most 16 items after validation")
    assert not is_size_refusal(422, "'query' must be a string")
    assert not is_size_refusal(403, "forbidden, at most once")


def test_parts_are_joined_and_a_text_less_query_is_named():
    assert parts_text([{"type": "TEXT", "text": "chest "}, {"type": "TEXT", "text": "pain"}], "queryParts") == \
        "chest pain"
    with pytest.raises(InvalidInputError, match="queryParts has no text"):
        parts_text([{"type": "TEXT", "text": "  "}], "queryParts")
    with pytest.raises(InvalidInputError, match=r"documents\[3\].parts\[0\] has type 'IMAGE_URI'"):
        parts_text([{"type": "IMAGE_URI", "imageUrl": "x"}], "documents[3].parts")


# -- CUSTOM ----------------------------------------------------------------------------

def custom(**fields):
    return CustomProtocol(parse_custom_settings(fields))


COHERE_LIKE = {"customRerankMethodPath": "/v2/rerank",
               "customRerankRequestTemplate": json.dumps({"query": "{{query}}", "documents": "{{documents}}"}),
               "customRerankScoresPath": "$.results[*].relevance_score",
               "customRerankIndicesPath": "$.results[*].index",
               "customPromptTokensPath": "$.meta.billed_units.search_units"}


def test_custom_json_template_with_indices_and_tokens():
    protocol = custom(**COHERE_LIKE)
    assert protocol.supports_reranking and not protocol.supports_chat and not protocol.supports_embeddings
    assert protocol.rerank_request("q", DOCS) == ("/v2/rerank", {"query": "q", "documents": DOCS})
    answer = {"results": [{"index": 2, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.3},
                          {"index": 1, "relevance_score": 0.1}], "meta": {"billed_units": {"search_units": 1}}}
    ranking = protocol.parse_rerank(answer, 3)
    assert ranking.scores == [0.3, 0.1, 0.9] and ranking.prompt_tokens == 1


def test_custom_json_scores_in_document_order():
    protocol = custom(customRerankMethodPath="score", customRerankScoresPath="$.scores",
                      customRerankRequestTemplate=json.dumps({"q": "{{query}}", "d": "{{documents}}"}))
    assert protocol.rerank_request("q", DOCS)[0] == "/score"
    assert protocol.parse_rerank({"scores": [0.1, 0.2, 0.3]}, 3).scores == [0.1, 0.2, 0.3]
    with pytest.raises(MalformedResponseError, match="found 2 scores for 3 documents"):
        protocol.parse_rerank({"scores": [0.1, 0.2]}, 3)


def test_custom_rows_one_row_per_document():
    protocol = custom(customBodyFormat="ROWS", customRerankMethodPath="predict",
                      customRerankRequestTemplate=json.dumps({"sentence_a": "{{query}}", "sentence_b": "{{document}}"}),
                      customRerankScoresPath="$.output")
    assert protocol.rerank_request("q", DOCS[:2]) == ("/predict", {"data": [
        [0, {"sentence_a": "q", "sentence_b": DOCS[0]}], [1, {"sentence_a": "q", "sentence_b": DOCS[1]}]]})
    assert protocol.parse_rerank({"data": [[1, {"output": 2.0}], [0, {"output": "1.5"}]]}, 2).scores == [1.5, 2.0]


@pytest.mark.parametrize("fields, field, message", [
    (dict(customRerankRequestTemplate='{"q": "{{query}}"}', customRerankMethodPath="/r",
          customRerankScoresPath="$.s"), "customRerankRequestTemplate", "{{documents}}"),
    (dict(customBodyFormat="ROWS", customRerankRequestTemplate='{"a": "{{query}}", "b": "{{documents}}"}',
          customRerankMethodPath="/r", customRerankScoresPath="$.s"), "customRerankRequestTemplate", "{{document}}"),
    (dict(customRerankRequestTemplate='{"q": "{{query}}", "d": "{{documents}}"}', customRerankMethodPath="/r"),
     "customRerankScoresPath", "is empty"),
    (dict(customRerankRequestTemplate='{"q": "{{query}}", "d": "{{documents}}"}', customRerankScoresPath="$.s"),
     "customRerankMethodPath", "is empty"),
    (dict(customRerankRequestTemplate='{"q": "{{query}}", "d": "{{docs}}"}', customRerankMethodPath="/r",
          customRerankScoresPath="$.s"), "customRerankRequestTemplate", "unknown placeholder"),
    (dict(customRerankRequestTemplate='{"q": "{{query}}", "d": "{{documents}}"}', customRerankMethodPath="/r",
          customRerankScoresPath="$.s[", ), "customRerankScoresPath", "not a valid JSONPath"),
])
def test_custom_rerank_settings_name_the_bad_field(fields, field, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_custom_settings(fields)
    assert info.value.field == field
