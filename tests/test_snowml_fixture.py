"""The snowflake-ml-python signature fixtures are well-formed and say where each fact comes from.

``tests/fixtures/snowml_signatures/<version>.json`` is written by
``interop/export_snowml_signatures.py`` from the library's own objects (``make
snowml-signatures``); ``make interop`` fails when a fresh export differs. These checks read
only the JSON (no snowflake-ml import), so they run in every suite.
"""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "snowml_signatures")
sys.path.insert(0, os.path.join(ROOT, "interop"))

import export_snowml_signatures as exporter  # noqa: E402  (stdlib only at import)

VERSIONS = ("1.5.4", "2.6.0")


def load(version):
    with open(os.path.join(FIXTURES, version + ".json"), encoding="utf-8") as f:
        return f.read()


def fixture(version):
    return json.loads(load(version))


def methods(doc):
    """Every (where, method name, method entry) of a fixture."""
    found = []
    for name, variant in doc["openai_chat"].get("variants", {}).items():
        found += [("openai_chat." + name, m, e) for m, e in variant["methods"].items()]
    for task, entry in doc["pipelines"]["tasks"].items():
        found += [("pipelines." + task, m, e) for m, e in entry["methods"].items()]
    for case, entry in doc["sentence_transformers"]["cases"].items():
        found += [("sentence_transformers." + case, m, e) for m, e in entry["methods"].items()]
    return found


def sources(node, path="$"):
    """Every ``source`` object in the document, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source" and isinstance(value, dict):
                yield path, value
            else:
                yield from sources(value, "%s.%s" % (path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from sources(value, "%s[%d]" % (path, i))


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_names_its_library_version_and_is_in_canonical_form(version):
    text = load(version)
    doc = json.loads(text)
    assert doc["library"] == "snowflake-ml-python"
    assert doc["version"] == version
    assert doc["schema"] == exporter.SCHEMA
    assert doc["generated_by"] == "interop/export_snowml_signatures.py"
    assert text == exporter.dumps(doc), "not in the exporter's sorted form: regenerate with make snowml-signatures"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_fact_names_a_module_of_the_library(version):
    doc = fixture(version)
    found = list(sources(doc))
    assert len(found) >= 10
    for path, source in found:
        assert source["module"].startswith("snowflake.ml."), path
        assert source["object"], path
    named = [doc["pipelines"]["handler"], doc["sentence_transformers"]["handler"]]
    for handler in list(doc["handlers"].values()) + named:
        assert handler["module"].startswith("snowflake.ml.model._packager.model_handlers"), handler
        assert handler["class"]
    for name, fact in doc["conventions"].items():
        assert fact["source"].startswith("snowflake.ml."), name


def _check_feature(feature, data_types, where):
    assert feature["name"], where
    assert feature["sql_type"], where
    assert feature["shape"] is None or all(isinstance(n, int) for n in feature["shape"]), where
    if "fields" in feature:
        assert feature["class"] == "FeatureGroupSpec", where
        for field in feature["fields"]:
            _check_feature(field, data_types, where + "." + feature["name"])
    else:
        assert feature["class"] == "FeatureSpec", where
        assert feature["dtype"] in data_types, where
        assert isinstance(feature["nullable"], bool), where


@pytest.mark.parametrize("version", VERSIONS)
def test_every_method_has_ordered_inputs_outputs_and_its_sql_face(version):
    doc = fixture(version)
    data_types = doc["data_types"]
    found = methods(doc)
    assert len(found) >= 12
    for where, method, entry in found:
        where = "%s.%s" % (where, method)
        assert entry["rest_path"] == "/" + method.replace("_", "-"), where
        assert entry["inputs"] and entry["outputs"], where
        for feature in entry["inputs"] + entry["outputs"]:
            _check_feature(feature, data_types, where)
        for param in entry["params"]:
            assert param["name"] and param["sql_type"] and "default" in param, where
        manifest = entry["manifest"]
        # One SQL argument per input column, in signature order, then the params in order.
        assert [a["name"] for a in manifest["inputs"]] == [f["name"].upper() for f in entry["inputs"]], where
        assert [a["type"] for a in manifest["inputs"]] == [f["sql_type"] for f in entry["inputs"]], where
        assert [p["name"] for p in manifest.get("params", [])] == [p["name"].upper() for p in entry["params"]], where
        assert manifest["outputs"] == [{"type": "OBJECT"}], where
        call = entry["service_call"]
        if call is None:
            continue
        assert [(a["kind"], a["name"]) for a in call["arguments"]] == (
            [("input", f["name"]) for f in entry["inputs"]] + [("param", p["name"]) for p in entry["params"]]), where
        assert call["function"] == "%s!%s" % (doc["service_placeholders"]["service"], manifest["name"]), where
        assert call["arguments_sql"] == ", ".join(a["sql"] for a in call["arguments"]), where
        assert call["function"] + "(" + call["arguments_sql"] + ")" in call["statement"], where


def test_2_6_0_carries_the_facts_the_plugin_builds_on():
    doc = fixture("2.6.0")
    assert doc["conventions"]["service_endpoint_name"]["value"] == "inference"
    chat = doc["openai_chat"]["variants"]
    assert sorted(chat) == ["OPENAI_CHAT_SIGNATURE", "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING",
                            "OPENAI_CHAT_WITH_PARAMS_SIGNATURE",
                            "OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING"]
    with_params = chat["OPENAI_CHAT_WITH_PARAMS_SIGNATURE"]["methods"]["__call__"]
    assert [f["name"] for f in with_params["inputs"]] == ["messages"]
    assert [p["name"] for p in with_params["params"]][:2] == ["temperature", "max_completion_tokens"]
    all_columns = chat["OPENAI_CHAT_SIGNATURE"]["methods"]["__call__"]
    assert [f["name"] for f in all_columns["inputs"]][:3] == ["messages", "temperature", "max_completion_tokens"]
    assert doc["pipelines"]["handler"]["default_target_methods"] == ["__call__"]
    generation = doc["pipelines"]["tasks"]["text-generation[with_chat_template]"]
    assert generation["same_object_as"] == "snowflake.ml.model.openai_signatures.OPENAI_CHAT_WITH_PARAMS_SIGNATURE"
    encode = doc["sentence_transformers"]["cases"]["wrapper_local_config"]["methods"]["encode"]
    assert ([f["name"] for f in encode["inputs"]], [f["name"] for f in encode["outputs"]]) == (["sentence"], ["output"])
    assert [p["name"] for p in encode["params"]] == ["batch_size", "truncate_dim"]


def test_1_5_4_has_no_services_client_and_its_own_spcs_function():
    doc = fixture("1.5.4")
    assert doc["openai_chat"]["available"] is False
    assert all(entry["service_call"] is None for _, _, entry in methods(doc))
    legacy = doc["conventions"]["legacy_spcs_service_function"]
    assert "(input OBJECT) RETURNS OBJECT" in legacy["ddl"] and legacy["endpoint_name"] == "predict"
