"""Deterministic stand-ins for Hugging Face pipeline tasks, answering in the Model Registry's shapes.

Inputs and outputs follow the signatures the registry infers for each task; list-valued
outputs of the older signatures (``outputs`` for fill-mask, NER, multi-answer QA and
multi-label classification) are JSON text, as those services return them.
"""

import hashlib
import json
import re

ENTITIES = {"aspirin": "DRUG", "metformin": "DRUG", "insulin": "DRUG", "diabetes": "DISEASE",
            "pneumonia": "DISEASE", "hypertension": "DISEASE", "asthma": "DISEASE", "chest": "ANATOMY",
            "lung": "ANATOMY", "heart": "ANATOMY"}


def _sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def fill_mask(row):
    text = row["inputs"]
    if "[MASK]" not in text:
        return 400, "The input has no [MASK] token."
    candidates = [("heart", 0.81, 2540), ("lung", 0.12, 11192)]
    return 200, {"outputs": json.dumps([{"score": s, "token": t, "token_str": w, "sequence": text.replace("[MASK]", w)}
                                        for w, s, t in candidates])}


def token_classification(row):
    text = row["inputs"]
    out = []
    for i, m in enumerate(re.finditer(r"[A-Za-z]+", text)):
        kind = ENTITIES.get(m.group(0).lower())
        if kind:
            out.append({"entity": "B-" + kind, "score": 0.98, "index": i + 1, "word": m.group(0),
                        "start": m.start(), "end": m.end()})
    return 200, {"outputs": json.dumps(out)}


def question_answering(row, top_k=1):
    question, context = row.get("question"), row.get("context")
    if not question or not context:
        return 400, "question and context are required."
    words = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", question)}
    ranked = sorted(_sentences(context), key=lambda s: -len(words & {w.lower() for w in re.findall(r"[A-Za-z]+", s)}))
    answers = []
    for i, sentence in enumerate(ranked[:top_k]):
        start = context.index(sentence)
        answers.append({"score": round(0.9 / (i + 1), 4), "start": start, "end": start + len(sentence),
                        "answer": sentence})
    if top_k == 1:
        return 200, answers[0]
    return 200, {"outputs": json.dumps(answers)}


def summarization(row):
    return 200, {"summary_text": _sentences(row["documents"])[0]}


def table_question_answering(row):
    try:
        table = json.loads(row["table"])
    except (TypeError, ValueError):
        return 400, "table must be a JSON string."
    columns = list(table)
    query = row["query"].lower()
    col = next((i for i, c in enumerate(columns) if c.lower() in query), 0)
    values = [str(v) for v in table[columns[col]]]
    if "how many" in query:
        return 200, {"answer": "COUNT > " + ", ".join(values), "coordinates": [[r, col] for r in range(len(values))],
                     "cells": values, "aggregator": "COUNT"}
    return 200, {"answer": values[0], "coordinates": [[0, col]], "cells": [values[0]], "aggregator": "NONE"}


def text_classification(row, top_k=None):
    text = row["text"].lower()
    positive = 0.93 if re.search(r"\b(good|great|improved|better|stable)\b", text) else 0.08
    if row.get("text_pair"):
        labels = [("ENTAILMENT", 0.88), ("CONTRADICTION", 0.12)]
    else:
        labels = sorted([("POSITIVE", positive), ("NEGATIVE", round(1 - positive, 2))], key=lambda x: -x[1])
    if top_k:
        return 200, {"outputs": json.dumps([{"label": label, "score": s} for label, s in labels[:top_k]])}
    return 200, {"label": labels[0][0], "score": labels[0][1]}


def text2text_generation(row):
    return 200, {"generated_text": row["inputs"].upper()}


def translation(row):
    return 200, {"translation_text": "[fr] " + row["inputs"]}


def zero_shot_classification(row):
    text, labels = row["sequences"].lower(), row["candidate_labels"]
    if not isinstance(labels, list) or not labels:
        return 400, "candidate_labels must be a non-empty list."
    raw = [1.0 + 5 * text.count(label.lower()) for label in labels]
    ranked = sorted(zip(labels, raw), key=lambda x: -x[1])
    total = sum(raw)
    return 200, {"sequence": row["sequences"], "labels": [x[0] for x in ranked],
                 "scores": [round(x[1] / total, 4) for x in ranked]}


def zero_shot_image_classification(row):
    image, labels = row.get("image"), row.get("candidate_labels")
    if not image or not isinstance(labels, list) or not labels:
        return 400, "image (base64) and candidate_labels are required."
    digest = hashlib.sha256(image.encode()).digest()
    raw = [digest[i % len(digest)] + 1 for i in range(len(labels))]
    ranked = sorted(zip(labels, raw), key=lambda x: -x[1])
    total = sum(raw)
    return 200, {"labels": [{"label": label, "score": round(v / total, 4)} for label, v in ranked]}


TASKS = {
    "fill-mask": fill_mask,
    "token-classification": token_classification,
    "question-answering": question_answering,
    "question-answering-multi": lambda row: question_answering(row, top_k=2),
    "summarization": summarization,
    "table-question-answering": table_question_answering,
    "text-classification": text_classification,
    "text-classification-multi": lambda row: text_classification(row, top_k=2),
    "text2text-generation": text2text_generation,
    "translation": translation,
    "zero-shot-classification": zero_shot_classification,
    "zero-shot-image-classification": zero_shot_image_classification,
}
