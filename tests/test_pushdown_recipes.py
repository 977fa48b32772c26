"""The two recipes run as DSS runs them: recipe.py executed with the recipe's config and datasets.

DSS's ``customrecipe``, ``Dataset`` and ``SQLExecutor2`` are stand-ins (devtools/stubs) over the
local engine of ``devtools/local_snowflake.py``; the service is the stand-in's.
"""

import json
import os
import runpy

import pytest

from dss import ROOT

pytest.importorskip("duckdb", reason="duckdb has no build for this Python")
pytest.importorskip("sqlglot")

import dataiku  # noqa: E402  (the stand-in)
from dataiku import customrecipe  # noqa: E402
from local_snowflake import LocalSnowflake  # noqa: E402
from spcs_standin import deterministic_vector  # noqa: E402

from spcs_llm.errors import ConfigError  # noqa: E402


def recipe_defaults(name):
    with open(os.path.join(ROOT, "custom-recipes", name, "recipe.json")) as f:
        return {p["name"]: p["defaultValue"] for p in json.load(f)["params"] if "defaultValue" in p}


def run(name, config):
    customrecipe.setup(dict(recipe_defaults(name), **config), {"input": ["notes"]}, {"output": ["notes_out"]})
    runpy.run_path(os.path.join(ROOT, "custom-recipes", name, "recipe.py"))


@pytest.fixture
def engine(env):
    local = LocalSnowflake()
    local.duck.execute('CREATE TABLE DB.SCH.NOTES ("ID" INTEGER, "TEXT" VARCHAR)')
    local.duck.executemany("INSERT INTO DB.SCH.NOTES VALUES (?, ?)", [(i, "note %d" % i) for i in range(200)])
    local.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat)
    dataiku.SQLExecutor2.engine = local
    dataiku.SQLExecutor2.fragments = []
    dataiku.Dataset.register("notes", '"DB"."SCH"."NOTES"', ["ID", "TEXT"])
    dataiku.Dataset.register("notes_out", '"DB"."SCH"."NOTES_OUT"', [], append=True)
    return local


EMBED = {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "serviceName": "ML.SERVING.ST",
         "endpointName": "st-ep", "textColumn": "TEXT", "maxBatchRows": 50}


def test_embed_recipe_writes_every_vector_then_only_new_rows(engine, env):
    run("embed-in-snowflake", dict(EMBED, incremental=True, keyColumn="ID"))
    rows = engine.duck.execute('SELECT "ID", "TEXT", "embedding" FROM DB.SCH.NOTES_OUT').fetchall()
    assert sorted(r[0] for r in rows) == list(range(200))
    assert all(json.loads(v) == deterministic_vector(t) for _, t, v in rows)
    first = dataiku.SQLExecutor2.fragments[0]
    assert first["pre_queries"][0].startswith("ALTER SESSION SET QUERY_TAG = 'spcs-pushdown-")
    assert first["pre_queries"][1].startswith('CREATE OR REPLACE FUNCTION "DB"."SCH"."SPCS_ST_ENCODE_')
    assert "NOT EXISTS" not in first["query"]  # no output yet: every row

    engine.duck.executemany("INSERT INTO DB.SCH.NOTES VALUES (?, ?)", [(i, "note %d" % i) for i in range(200, 230)])
    items = env.standin.services["st"].counters["items"]
    run("embed-in-snowflake", dict(EMBED, incremental=True, keyColumn="ID"))
    assert "NOT EXISTS" in dataiku.SQLExecutor2.fragments[1]["query"]
    assert env.standin.services["st"].counters["items"] - items == 30
    assert engine.duck.execute("SELECT COUNT(*) FROM DB.SCH.NOTES_OUT").fetchone()[0] == 230


def test_prompt_recipe_refuses_an_openai_only_service_before_running(engine):
    with pytest.raises(ConfigError, match="LLM Mesh"):
        run("prompt-in-snowflake", {"modelHandlingMode": "OPENAI_COMPATIBLE", "serviceName": "ML.SERVING.VLLM",
                                    "promptTemplate": "Hello {{TEXT}}"})
    assert dataiku.SQLExecutor2.fragments == []


def test_recipe_finds_the_service_from_an_llm_mesh_endpoint_url(engine, env):
    """The lookup of auto-resume (SHOW SERVICES, SHOW ENDPOINTS) runs through SQLExecutor2."""
    class Executor(dataiku.SQLExecutor2):
        def query_to_df(self, query, pre_queries=None, post_queries=None):
            if query.startswith("SHOW"):
                columns, rows = env.standin.sql.execute(query)
                return dataiku.sql_recipes._Frame(columns, rows)
            return super().query_to_df(query, pre_queries, post_queries)

    original = dataiku.SQLExecutor2
    dataiku.SQLExecutor2 = Executor
    try:
        run("embed-in-snowflake", {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "textColumn": "TEXT",
                                   "endpointUrl": env.standin.url("st"), "maxBatchRows": 50})
    finally:
        dataiku.SQLExecutor2 = original
    ddl = Executor.fragments[-1]["pre_queries"][1]
    assert 'SERVICE = "ML"."SERVING"."ST"' in ddl and 'ENDPOINT = "st-ep"' in ddl
    assert engine.duck.execute("SELECT COUNT(*) FROM DB.SCH.NOTES_OUT").fetchone()[0] == 200
