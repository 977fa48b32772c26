"""Every Hugging Face pipeline task the registry can serve: the exact request row, the rendered answer."""

import base64
import json

import pytest

from dss import make_llm, new_query, new_trace
from spcs_llm.errors import InvalidInputError
from spcs_standin import Service

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake chest x-ray").decode()


def serve(env, task):
    name = "pipe-" + task
    if name not in env.standin.services:
        env.standin.add_service(Service(name, "registry-pipeline", task=task))
    return name


def run(env, task, mode, build, **config):
    service = serve(env, task)
    llm = make_llm(env.config(service, modelHandlingMode=mode, **config))
    q = new_query()
    build(q)
    answer = llm.process(q.cq, {}, new_trace())
    request = env.standin.services[service].requests[-1]
    assert request["path"] == "/--call--"
    assert request["body"]["data"][0][0] == 0
    return request["body"]["data"][0][1], answer


def user(text):
    return lambda q: q.with_message(text)


def system_and_user(system, text):
    def build(q):
        q.with_message(system, role="system")
        q.with_message(text)
    return build


def test_fill_mask(env):
    row, answer = run(env, "fill-mask", "REGISTRY_FILL_MASK", user("The patient had a [MASK] attack."))
    assert row == {"inputs": "The patient had a [MASK] attack."}
    assert json.loads(answer["text"]) == [
        {"sequence": "The patient had a heart attack.", "score": 0.81, "token": 2540, "token_str": "heart"},
        {"sequence": "The patient had a lung attack.", "score": 0.12, "token": 11192, "token_str": "lung"}]


def test_token_classification_renders_entities(env):
    row, answer = run(env, "token-classification", "REGISTRY_TOKEN_CLASSIFICATION",
                      user("Started metformin for diabetes"))
    assert row == {"inputs": "Started metformin for diabetes"}
    assert json.loads(answer["text"]) == [
        {"entity": "B-DRUG", "word": "metformin", "score": 0.98, "start": 8, "end": 17},
        {"entity": "B-DISEASE", "word": "diabetes", "score": 0.98, "start": 22, "end": 30}]
    assert answer["tokenCountsAreEstimated"] is True


CONTEXT = "The patient is 67. She was admitted with pneumonia. Ceftriaxone was started on day one."


def test_question_answering_context_from_system_message(env):
    row, answer = run(env, "question-answering", "REGISTRY_QUESTION_ANSWERING",
                      system_and_user(CONTEXT, "Which antibiotic was started?"))
    assert row == {"question": "Which antibiotic was started?", "context": CONTEXT}
    assert answer["text"] == "Ceftriaxone was started on day one."


def test_question_answering_from_json_message_with_several_answers(env):
    message = json.dumps({"question": "Why was she admitted?", "context": CONTEXT})
    row, answer = run(env, "question-answering-multi", "REGISTRY_QUESTION_ANSWERING", user(message))
    assert row == {"question": "Why was she admitted?", "context": CONTEXT}
    answers = json.loads(answer["text"])
    assert [a["answer"] for a in answers] == ["She was admitted with pneumonia.", "The patient is 67."]
    assert set(answers[0]) == {"answer", "score", "start", "end"}


def test_question_answering_without_context_is_refused(env):
    with pytest.raises(InvalidInputError, match="put the context in a system message"):
        run(env, "question-answering", "REGISTRY_QUESTION_ANSWERING", user("Which antibiotic?"))


def test_summarization(env):
    row, answer = run(env, "summarization", "REGISTRY_SUMMARIZATION", user(CONTEXT))
    assert row == {"documents": CONTEXT}
    assert answer["text"] == "The patient is 67."


TABLE = {"drug": ["aspirin", "metformin"], "dose_mg": ["81", "500"]}


def test_table_question_answering_table_from_system_message(env):
    row, answer = run(env, "table-question-answering", "REGISTRY_TABLE_QUESTION_ANSWERING",
                      system_and_user(json.dumps(TABLE), "What dose_mg is listed first?"))
    assert row == {"query": "What dose_mg is listed first?", "table": json.dumps(TABLE)}
    assert json.loads(answer["text"]) == {"answer": "81", "coordinates": [[0, 1]], "cells": ["81"],
                                          "aggregator": "NONE"}


def test_table_question_answering_from_json_message(env):
    message = json.dumps({"query": "How many drug entries?", "table": TABLE})
    row, answer = run(env, "table-question-answering", "REGISTRY_TABLE_QUESTION_ANSWERING", user(message))
    assert row == {"query": "How many drug entries?", "table": json.dumps(TABLE)}
    assert json.loads(answer["text"])["aggregator"] == "COUNT"


def test_table_question_answering_without_table_is_refused(env):
    with pytest.raises(InvalidInputError, match="needs a query and a table"):
        run(env, "table-question-answering", "REGISTRY_TABLE_QUESTION_ANSWERING", user("How many?"))


def test_text_classification_single(env):
    row, answer = run(env, "text-classification", "REGISTRY_TEXT_CLASSIFICATION", user("Patient is stable and improved"))
    assert row == {"text": "Patient is stable and improved"}
    assert json.loads(answer["text"]) == {"label": "POSITIVE", "score": 0.93}


def test_text_classification_multiple_with_text_pair(env):
    message = json.dumps({"text": "She has pneumonia.", "text_pair": "She has a lung infection."})
    row, answer = run(env, "text-classification-multi", "REGISTRY_TEXT_CLASSIFICATION", user(message))
    assert row == {"text": "She has pneumonia.", "text_pair": "She has a lung infection."}
    assert json.loads(answer["text"]) == [{"label": "ENTAILMENT", "score": 0.88},
                                          {"label": "CONTRADICTION", "score": 0.12}]


def test_text2text_generation(env):
    row, answer = run(env, "text2text-generation", "REGISTRY_TEXT2TEXT_GENERATION", user("expand: bp 120/80"))
    assert row == {"inputs": "expand: bp 120/80"}
    assert answer["text"] == "EXPAND: BP 120/80"


def test_translation(env):
    row, answer = run(env, "translation", "REGISTRY_TRANSLATION", user("The patient is stable."))
    assert row == {"inputs": "The patient is stable."}
    assert answer["text"] == "[fr] The patient is stable."


def test_zero_shot_classification_labels_from_setting(env):
    row, answer = run(env, "zero-shot-classification", "REGISTRY_ZERO_SHOT_CLASSIFICATION",
                      user("Cough and fever, cardiology consult not needed, pulmonology follow-up"),
                      candidateLabels="cardiology, pulmonology, dermatology")
    assert row == {"sequences": "Cough and fever, cardiology consult not needed, pulmonology follow-up",
                   "candidate_labels": ["cardiology", "pulmonology", "dermatology"]}
    result = json.loads(answer["text"])
    assert [r["label"] for r in result] == ["cardiology", "pulmonology", "dermatology"]
    assert abs(sum(r["score"] for r in result) - 1) < 1e-3


def test_zero_shot_classification_labels_from_json_message(env):
    message = json.dumps({"sequences": "itchy rash", "candidate_labels": ["dermatology", "neurology"]})
    row, answer = run(env, "zero-shot-classification", "REGISTRY_ZERO_SHOT_CLASSIFICATION", user(message))
    assert row == {"sequences": "itchy rash", "candidate_labels": ["dermatology", "neurology"]}


def test_zero_shot_classification_without_labels_is_refused(env):
    with pytest.raises(InvalidInputError, match="set 'candidateLabels'"):
        run(env, "zero-shot-classification", "REGISTRY_ZERO_SHOT_CLASSIFICATION", user("itchy rash"))


def test_zero_shot_image_classification(env):
    def build(q):
        q.new_multipart_message().with_text('{"candidate_labels": ["pneumonia", "normal"]}') \
            .with_inline_image(base64.b64decode(PNG), "image/png").add()
    row, answer = run(env, "zero-shot-image-classification", "REGISTRY_ZERO_SHOT_IMAGE_CLASSIFICATION", build)
    assert row == {"image": PNG, "candidate_labels": ["pneumonia", "normal"]}
    result = json.loads(answer["text"])
    assert sorted(r["label"] for r in result) == ["normal", "pneumonia"]
    assert all(0 < r["score"] < 1 for r in result)


def test_zero_shot_image_classification_needs_an_image(env):
    with pytest.raises(InvalidInputError, match="needs an image"):
        run(env, "zero-shot-image-classification", "REGISTRY_ZERO_SHOT_IMAGE_CLASSIFICATION", user("x"),
            candidateLabels="a,b")


def test_zero_shot_image_classification_refuses_an_image_by_url(env):
    def build(q):
        q.new_multipart_message().with_text("pneumonia, normal").with_image_url("https://images.example/x.png").add()
    with pytest.raises(InvalidInputError, match=r"by URL \(IMAGE_URI\): send the image inline"):
        run(env, "zero-shot-image-classification", "REGISTRY_ZERO_SHOT_IMAGE_CLASSIFICATION", build)
    assert env.standin.services["pipe-zero-shot-image-classification"].counters["requests"] == 0  # refused, not sent


def test_images_to_text_tasks_are_refused(env):
    def build(q):
        q.new_multipart_message().with_text("summarise").with_inline_image(b"img").add()
    with pytest.raises(InvalidInputError, match="accepts text only"):
        run(env, "summarization", "REGISTRY_SUMMARIZATION", build)
