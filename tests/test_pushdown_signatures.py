"""SVC!METHOD(...) takes one SQL argument per signature input, then every param (issue 24, item 1).

The lists are checked against snowflake-ml-python's own objects, exported to
``tests/fixtures/snowml_signatures`` (``make snowml-signatures``): the manifest snowflake-ml
writes for each method and the ``SVC!METHOD(...)`` statement it sends. Then the calls run on
the local engine, whose registry methods are bound with the fixture's argument types, against
the stand-in's services.
"""

import json
import os
import re
import sys

import pytest

from dss import ROOT
from spcs_llm.pushdown import kinds, signatures, sql
from spcs_llm.pushdown.plan import Table, build_plan

sys.path.insert(0, os.path.join(ROOT, "devtools"))
import pushdown_signatures  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "snowml_signatures")
SET_BY_THE_RECIPE = {"temperature": "{temperature}", "max_completion_tokens": "{max_tokens}"}


def fixture(version):
    with open(os.path.join(FIXTURES, "%s.json" % version)) as f:
        return json.load(f)


def fixture_method(key):
    version, path, _ = pushdown_signatures.FROM_FIXTURES[key]
    node = fixture(version)
    for step in path:
        node = node[step]
    return node


def test_the_shipped_table_is_what_the_fixtures_give():
    assert pushdown_signatures.main(["--check"]) == 0


@pytest.mark.parametrize("key", sorted(pushdown_signatures.FROM_FIXTURES))
def test_each_argument_list_is_the_manifests_inputs_then_params(key):
    method = fixture_method(key)
    manifest = method["manifest"]
    mine = signatures.BY_KEY[key]
    assert [(a.name.upper(), a.sql_type) for a in mine.arguments] == (
        [(i["name"], i["type"]) for i in manifest["inputs"]] + [(p["name"], p["type"]) for p in manifest.get("params", [])])
    assert [a.param for a in mine.arguments] == [False] * len(manifest["inputs"]) + [True] * len(manifest.get("params", []))
    chat = any(a.name == "messages" for a in mine.arguments)  # the recipe sets the chat params only
    for argument, param in zip([a for a in mine.arguments if a.param], manifest.get("params", [])):
        wanted = SET_BY_THE_RECIPE.get(argument.name, param["default"]) if chat else param["default"]
        assert argument.value == wanted, argument.name
    assert mine.method == manifest["name"].lower()
    assert mine.output == method["outputs"][0]["name"]


@pytest.mark.parametrize("key", sorted(k for k, v in pushdown_signatures.FROM_FIXTURES.items() if v[0] == "2.6.0"))
def test_the_registry_call_passes_what_snowflake_ml_passes(key):
    """The recipe's SVC!METHOD(...) against the statement snowflake-ml 2.6.0 sends (captured in the fixture)."""
    call = fixture_method(key)["service_call"]
    kind = next(k for k in kinds.KINDS.values() if any(s.key == key for s in k.signatures))
    config = {"modelHandlingMode": kind.mode, "serviceName": "MY_DB.MY_SCHEMA.MY_SERVICE", "callMode": "REGISTRY_METHOD",
              "methodSignature": key, "temperature": 1.0, "maxOutputTokens": 250}  # the params' own defaults
    if kind.capability == kinds.EMBEDDING:
        config["textColumn"] = "TEXT"
    else:
        config["promptTemplate"] = "{{TEXT}}"
    plan = build_plan(kind.capability, config, Table('"DB"."SCH"."T"', ("TEXT",)), Table('"DB"."SCH"."O"', ()))
    assert plan.call.function == '"MY_DB"."MY_SCHEMA"."MY_SERVICE"!' + call["function"].rsplit("!", 1)[1]
    ours = sql.call_arguments(plan)
    assert len(ours) == len(call["arguments"])
    for mine, theirs in zip(ours, call["arguments"]):
        if theirs["kind"] == "param":
            assert _same_literal(mine, theirs["sql"]), (theirs["name"], mine, theirs["sql"])


def _same_literal(a, b):
    """Two SQL literals of one value ('1.0' and '1.0', '[]' and 'ARRAY_CONSTRUCT()', 'false' and 'FALSE')."""
    norm = {"[]": "ARRAY_CONSTRUCT()"}
    a, b = norm.get(a, a), norm.get(b, b)
    try:
        return float(a) == float(b)
    except ValueError:
        return a.upper() == b.upper()


def test_every_kind_offers_the_signatures_snowflake_ml_logs_for_it():
    by_mode = {(k.mode, k.capability): [s.key for s in k.signatures] for k in kinds.KINDS.values()}
    assert by_mode[("REGISTRY_SENTENCE_TRANSFORMERS", kinds.EMBEDDING)][0] == "ST_ENCODE"
    assert by_mode[("REGISTRY_OPENAI_CHAT", kinds.PROMPT)][0] == "OPENAI_CHAT_SIGNATURE"  # "the default signature"
    assert set(by_mode[("REGISTRY_OPENAI_CHAT", kinds.PROMPT)]) >= set(fixture("2.6.0")["openai_chat"]["variants"])
    for mode in ("REGISTRY_TEXT2TEXT_GENERATION", "REGISTRY_SUMMARIZATION", "REGISTRY_TRANSLATION"):
        assert [signatures.BY_KEY[k].method for k in by_mode[(mode, kinds.PROMPT)]] == ["__call__", "__call__"]


# -- end to end on the local engine ---------------------------------------------------------

pytest.importorskip("duckdb", reason="duckdb has no build for this Python")


@pytest.fixture
def engine(env):
    from local_snowflake import LocalSnowflake

    local = LocalSnowflake()
    local.duck.execute('CREATE TABLE DB.SCH.NOTES ("ID" INTEGER, "TEXT" VARCHAR)')
    local.duck.executemany("INSERT INTO DB.SCH.NOTES VALUES (?, ?)", [(i, "note %d" % i) for i in range(40)])
    local.bind('"ML"."SERVING"."OPENAI-CHAT-SIG"', env.standin.url("openai-chat-sig"), env.pat)
    local.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat)
    return local


def fixture_types(key):
    manifest = fixture_method(key)["manifest"]
    return [i["type"] for i in manifest["inputs"]] + [p["type"] for p in manifest.get("params", [])]


@pytest.mark.parametrize("key", ["OPENAI_CHAT_SIGNATURE", "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING",
                                 "OPENAI_CHAT_WITH_PARAMS_SIGNATURE"])
def test_a_chat_prompt_runs_through_the_registry_method_with_its_signatures_arguments(engine, env, key):
    """Before, the recipe passed one OBJECT_CONSTRUCT(...) to SVC!__CALL__: refused by a function of 10 or 11 arguments."""
    from spcs_llm.pushdown import runner

    engine.bind_method('"ML"."SERVING"."OPENAI-CHAT-SIG"', "__CALL__", fixture_types(key))
    config = {"modelHandlingMode": "REGISTRY_OPENAI_CHAT", "serviceName": 'ML.SERVING."OPENAI-CHAT-SIG"',
              "callMode": "REGISTRY_METHOD", "methodSignature": key, "promptTemplate": "Summarize {{TEXT}}",
              "maxOutputTokens": 64}
    plan = build_plan(kinds.PROMPT, config, Table('"DB"."SCH"."NOTES"', ("ID", "TEXT")),
                      Table('"DB"."SCH"."ANSWERS"', ()))
    report = runner.run(plan, engine)
    assert report.rows_written == 40
    answers = dict(engine.duck.execute('SELECT "ID", "answer" FROM DB.SCH.ANSWERS').fetchall())
    assert answers[3] == "Turn 1. You said: Summarize note 3"
    service = env.standin.services["openai-chat-sig"]
    row = service.requests[-1]["body"]["data"][0]
    assert len(row) == 1 + len(fixture_types(key))  # [row, one value per input, then per param]
    assert row[3] == 64  # max_completion_tokens, the recipe's, in its signature position


def test_an_embedding_runs_through_the_registry_method_with_batch_size_and_truncate_dim(engine, env):
    from spcs_llm.pushdown import runner
    from spcs_standin import deterministic_vector

    engine.bind_method('"ML"."SERVING"."ST"', "ENCODE", fixture_types("ST_ENCODE"))
    plan = build_plan(kinds.EMBEDDING, {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "serviceName": "ML.SERVING.ST",
                                        "callMode": "REGISTRY_METHOD", "textColumn": "TEXT"},
                      Table('"DB"."SCH"."NOTES"', ("ID", "TEXT")), Table('"DB"."SCH"."VECTORS"', ()))
    assert re.search(r'!ENCODE\("__SPCS_INPUT", NULL, NULL\)', sql.select_query(plan))
    runner.run(plan, engine)
    rows = engine.duck.execute('SELECT "TEXT", "embedding" FROM DB.SCH.VECTORS').fetchall()
    assert len(rows) == 40 and all(json.loads(v) == deterministic_vector(t) for t, v in rows)


def test_a_call_with_the_wrong_number_of_arguments_is_refused_as_on_an_account(engine):
    engine.bind_method('"ML"."SERVING"."ST"', "ENCODE", fixture_types("ST_ENCODE"))
    with pytest.raises(Exception, match="(?i)no function matches|argument"):
        engine.rows('SELECT "ML"."SERVING"."ST"!ENCODE(OBJECT_CONSTRUCT(\'sentence\', "TEXT")) AS V FROM DB.SCH.NOTES')
