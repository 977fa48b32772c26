"""A push-down run sends its rows to the service, endpoint and batch size the recipe asks for (issues 23 and 24).

The recipes run as DSS runs them (``recipe.py`` with the recipe's config, through the
``SQLExecutor2`` stand-in) over the local engine of ``devtools/local_snowflake.py``, which
follows the documented CREATE FUNCTION (Snowpark Container Services) grammar and checks a
function's SERVICE and ENDPOINT; services are listed by the stand-in's SQL API
(``SHOW SERVICES`` / ``SHOW ENDPOINTS``), which resolves names as Snowflake does.
"""

import json
import logging
import os
import runpy
import struct

import pytest

from dss import ROOT

pytest.importorskip("duckdb", reason="duckdb has no build for this Python")
pytest.importorskip("sqlglot")

import dataiku  # noqa: E402  (the stand-in)
from dataiku import customrecipe  # noqa: E402
from local_snowflake import LocalSnowflake  # noqa: E402
from spcs_standin import Service, deterministic_vector  # noqa: E402

from spcs_llm.errors import ConfigError  # noqa: E402
from spcs_llm.pushdown.plan import Table, build_plan  # noqa: E402
from spcs_llm.snowflake.services import Endpoint, ServiceInfo  # noqa: E402

ROWS = 200


def recipe_defaults(name):
    with open(os.path.join(ROOT, "custom-recipes", name, "recipe.json")) as f:
        return {p["name"]: p["defaultValue"] for p in json.load(f)["params"] if "defaultValue" in p}


def run(config, name="embed-in-snowflake"):
    customrecipe.setup(dict(recipe_defaults(name), **config), {"input": ["notes"]}, {"output": ["notes_out"]})
    runpy.run_path(os.path.join(ROOT, "custom-recipes", name, "recipe.py"))
    return dataiku.SQLExecutor2.fragments[-1]


class ListingExecutor(dataiku.SQLExecutor2):
    """SQLExecutor2 whose SHOW statements reach the stand-in's SQL API (the account's service listing)."""

    standin = None

    def query_to_df(self, query, pre_queries=None, post_queries=None):
        if query.startswith("SHOW"):
            columns, rows = self.standin.sql.execute(query)
            return dataiku.sql_recipes._Frame(columns, rows)
        return super().query_to_df(query, pre_queries, post_queries)


@pytest.fixture
def engine(env, monkeypatch):
    """ML.SERVING.ST and ML.STAGING.ST: two sentence-transformers services of the same last name."""
    env.standin.add_service(Service("st2", "registry-sentence-transformers"))
    env.standin.sql.locations["st2"] = ("ML", "STAGING")
    env.standin.sql.names["st2"] = "ST"
    local = LocalSnowflake()
    local.duck.execute('CREATE TABLE DB.SCH.NOTES ("ID" INTEGER, "TEXT" VARCHAR)')
    local.duck.executemany("INSERT INTO DB.SCH.NOTES VALUES (?, ?)", [(i, "note %d" % i) for i in range(ROWS)])
    local.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat, endpoints={"st-ep": env.standin.url("st")})
    local.bind('"ML"."STAGING"."ST"', env.standin.url("st2"), env.pat, endpoints={"st2-ep": env.standin.url("st2")})
    ListingExecutor.standin = env.standin
    base = dataiku.sql_recipes.SQLExecutor2  # exec_recipe_fragment is a static method of the base class
    monkeypatch.setattr(base, "engine", local)
    monkeypatch.setattr(base, "fragments", [])
    monkeypatch.setattr(dataiku, "SQLExecutor2", ListingExecutor)
    dataiku.Dataset.register("notes", '"DB"."SCH"."NOTES"', ["ID", "TEXT"])
    dataiku.Dataset.register("notes_out", '"DB"."SCH"."NOTES_OUT"', [])
    return local


EMBED = {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "textColumn": "TEXT"}


def float32(values):
    return [struct.unpack("f", struct.pack("f", v))[0] for v in values]


def vectors_written(engine, rounded=False):
    """Every row has its text's vector (``rounded``: as 32-bit floats, the elements of a VECTOR(FLOAT, n))."""
    rows = engine.duck.execute('SELECT "ID", "TEXT", "embedding" FROM DB.SCH.NOTES_OUT').fetchall()
    assert sorted(r[0] for r in rows) == list(range(ROWS))
    want = float32 if rounded else list
    return all(json.loads(v) == want(deterministic_vector(t)) for _, t, v in rows)


def test_another_service_or_batch_size_gets_its_own_function(engine, env):
    """Issue 23, item 6: ML.STAGING.ST after ML.SERVING.ST gets the staging service, and maxBatchRows is honoured.

    Before, both were bound to one function SPCS_ST_ENCODE created IF NOT EXISTS: every row went
    to the serving service and a new maxBatchRows was ignored (200 rows in one request with 10).
    """
    serving, staging = env.standin.services["st"], env.standin.services["st2"]
    first = run(dict(EMBED, serviceName="ML.SERVING.ST", endpointName="st-ep", maxBatchRows=200))
    assert vectors_written(engine) and serving.counters["items"] == ROWS and staging.counters["items"] == 0

    second = run(dict(EMBED, serviceName="ML.STAGING.ST", endpointName="st2-ep", maxBatchRows=200))
    assert vectors_written(engine)
    assert (serving.counters["items"], staging.counters["items"]) == (ROWS, ROWS)  # none went to serving

    third = run(dict(EMBED, serviceName="ML.STAGING.ST", endpointName="st2-ep", maxBatchRows=10))
    assert vectors_written(engine) and staging.counters["items"] == 2 * ROWS
    recent = list(staging.requests)[-ROWS // 10:]
    assert max(len(r["body"]["data"]) for r in recent) == 10  # batches of the size asked for

    names = [f["pre_queries"][1].split("(")[0] for f in (first, second, third)]
    assert len(set(names)) == 3  # one function per binding
    assert all(f["pre_queries"][1].startswith("CREATE OR REPLACE FUNCTION ") for f in (first, second, third))

    again = run(dict(EMBED, serviceName="ML.SERVING.ST", endpointName="st-ep", maxBatchRows=200))
    assert again["pre_queries"][1] == first["pre_queries"][1]  # the same binding: the same name, rebound
    assert serving.counters["items"] == 2 * ROWS


def test_a_partial_service_name_matching_two_services_is_refused(engine, env):
    with pytest.raises(ConfigError, match="'serviceName'.*several services.*\"ML\".\"SERVING\".\"ST\".*\"ML\".\"STAGING\""):
        run(dict(EMBED, serviceName="ST"))
    assert ListingExecutor.fragments == []


def test_the_endpoint_url_picks_the_endpoint_it_names(engine, env):
    """Issue 23, item 7: a service listing a ``ui`` endpoint before ``inference``; the URL is inference's.

    Before, the function was created on the first endpoint listed (ui), which serves no rows.
    """
    ui_host = "ui-host-of-st.standin.invalid"
    env.standin.sql.endpoints["st"] = [("ui", ui_host), ("inference", None)]
    engine.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat,
                endpoints={"ui": env.standin.url("openai"), "inference": env.standin.url("st")})
    fragment = run(dict(EMBED, endpointUrl=env.standin.url("st"), maxBatchRows=50))
    assert "ENDPOINT = inference" in fragment["pre_queries"][1]
    assert vectors_written(engine)
    assert env.standin.services["openai"].counters["requests"] == 0


@pytest.mark.parametrize("endpoints, chosen", [
    ([("ui", "ui.invalid"), ("inference", None)], "inference"),  # snowflake-ml's endpoint, wherever it is listed
    ([("st-ep", None)], '"st-ep"'),  # the only one
])
def test_the_default_endpoint_is_inference_or_the_only_one(engine, env, endpoints, chosen):
    """Issue 24, item 4: with no endpoint named, the one snowflake-ml uses (``inference``), not the first listed."""
    env.standin.sql.endpoints["st"] = endpoints
    engine.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat,
                endpoints={name: env.standin.url("st") for name, _ in endpoints})
    fragment = run(dict(EMBED, serviceName="ML.SERVING.ST", maxBatchRows=50))
    assert "ENDPOINT = %s\n" % chosen in fragment["pre_queries"][1]
    assert vectors_written(engine)


def test_several_endpoints_and_none_named_inference_is_an_error_naming_them(engine, env):
    env.standin.sql.endpoints["st"] = [("ui", None), ("api", None)]  # both at the service's one ingress host
    with pytest.raises(ConfigError, match="'endpointName'.*several endpoints \\(ui, api\\).*'inference'"):
        run(dict(EMBED, serviceName="ML.SERVING.ST"))
    with pytest.raises(ConfigError, match="'endpointUrl'.*several endpoints \\(ui, api\\)"):
        run(dict(EMBED, endpointUrl=env.standin.url("st")))  # two endpoints at one host: the URL cannot tell
    assert ListingExecutor.fragments == []


def test_the_query_tag_statement_and_query_are_logged_before_the_long_query_starts(engine, env, caplog):
    """Issue 26, item 2: an hours-long run can be found in Snowsight's query history while it runs."""
    service = env.standin.services["st"]
    seen = []

    class Watch(logging.Handler):
        def emit(self, record):
            if "query starting" in record.getMessage():
                seen.append((record.getMessage(), service.counters["requests"]))

    watch = Watch()
    logging.getLogger("spcs_llm.pushdown.runner").addHandler(watch)
    try:
        with caplog.at_level(logging.INFO, logger="spcs_llm"):
            fragment = run(dict(EMBED, serviceName="ML.SERVING.ST", endpointName="st-ep", maxBatchRows=50))
    finally:
        logging.getLogger("spcs_llm.pushdown.runner").removeHandler(watch)
    (message, requests_then), = seen
    tag = fragment["pre_queries"][0].split("'")[1]
    assert requests_then == 0 and service.counters["requests"] > 0  # logged before any row was sent
    assert "query tag %s" % tag in message and fragment["query"] in message
    assert env.pat not in caplog.text


def test_a_vector_column_dss_cannot_hold_is_written_as_an_array_and_a_view_gives_the_vector(engine, env):
    """Issue 24, item 5: a DSS dataset cannot hold VECTOR(FLOAT, n) (DSS reads through the JDBC driver).

    Before, 'vectorDimensions' made the recipe's query return a VECTOR column, which DSS cannot map.
    """
    fragment = run(dict(EMBED, serviceName="ML.SERVING.ST", endpointName="st-ep", maxBatchRows=50,
                        vectorDimensions=384, vectorView="NOTES_VECTORS"))
    types = dict(engine.duck.execute("SELECT column_name, data_type FROM information_schema.columns "
                                     "WHERE table_name = 'NOTES_OUT'").fetchall())
    assert types["embedding"] == "JSON"  # the local engine's ARRAY
    assert vectors_written(engine, rounded=True)  # checked as a VECTOR(FLOAT, 384): 32-bit floats
    view, = fragment["post_queries"]
    assert view.startswith('CREATE OR REPLACE VIEW "DB"."SCH"."NOTES_VECTORS" AS')
    got = engine.duck.execute('SELECT "ID", "embedding_vector" FROM DB.SCH.NOTES_VECTORS ORDER BY "ID" LIMIT 3')
    for i, vector in got.fetchall():
        assert len(vector) == 384 and vector[0] == pytest.approx(deterministic_vector("note %d" % i)[0], rel=1e-6)
    types = dict(engine.duck.execute("SELECT column_name, data_type FROM information_schema.columns "
                                     "WHERE table_name = 'NOTES_VECTORS'").fetchall())
    assert types["embedding_vector"] == "FLOAT[384]"  # the local engine's VECTOR(FLOAT, 384)


def test_a_vector_of_another_length_fails_the_run(engine, env):
    with pytest.raises(Exception, match="384|size|length|dimension"):
        run(dict(EMBED, serviceName="ML.SERVING.ST", endpointName="st-ep", vectorDimensions=384 * 2))


SERVICES = [ServiceInfo("ST", "ML", "SERVING", "READY", "POOL", [Endpoint("ui", "a-org-acct.snowflakecomputing.app",
                                                                          True),
                                                                 Endpoint("inference", "b-org-acct.snowflakecomputing.app",
                                                                          True)]),
            ServiceInfo("ST", "ML", "STAGING", "READY", "POOL", [Endpoint("inference", "c-org-acct.snowflakecomputing.app",
                                                                          True)])]


def plan(**config):
    return build_plan("embedding", dict(EMBED, textColumn="TEXT", **config), Table('"DB"."SCH"."NOTES"', ("ID", "TEXT")),
                      Table('"DB"."SCH"."OUT"', ()), SERVICES)


def test_binding_names_are_unique_to_every_part_of_the_binding():
    """Rule 6 (a name bound to exactly one target), property-checked over the parts of a binding."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    parts = st.fixed_dictionaries({
        "serviceName": st.sampled_from(["ML.SERVING.ST", "ML.STAGING.ST"]),
        "endpointName": st.sampled_from(["", "inference", "ui"]),
        "maxBatchRows": st.sampled_from([0, 10, 200]),
        "maxBatchRetries": st.sampled_from([0, 3, 10]),
        "onBatchFailure": st.sampled_from(["ABORT", "RETURN_NULL"]),
        "methodPath": st.sampled_from(["", "/encode", "/encode-query"]),
    })

    @hypothesis.settings(max_examples=150, deadline=None)
    @hypothesis.given(parts, parts)
    def check(a, b):
        if a["serviceName"] == "ML.STAGING.ST" and a["endpointName"] == "ui" or (
                b["serviceName"] == "ML.STAGING.ST" and b["endpointName"] == "ui"):
            return  # staging lists no ui endpoint: refused (tested above)
        pa, pb = plan(**a).call, plan(**b).call
        same_target = (pa.service, pa.endpoint, pa.path, pa.max_batch_rows, pa.max_batch_retries,
                       pa.on_batch_failure) == (pb.service, pb.endpoint, pb.path, pb.max_batch_rows,
                                                pb.max_batch_retries, pb.on_batch_failure)
        assert (pa.function == pb.function) == same_target

    check()


def test_a_service_found_by_url_or_name_is_exactly_one_service():
    by_url = plan(endpointUrl="https://c-org-acct.snowflakecomputing.app").call
    assert (by_url.service, by_url.endpoint) == ('"ML"."STAGING"."ST"', "inference")
    ui = plan(endpointUrl="https://a-org-acct.snowflakecomputing.app").call  # the URL of the ui endpoint
    assert (ui.service, ui.endpoint) == ('"ML"."SERVING"."ST"', "ui")
    with pytest.raises(ConfigError, match="'endpointName'.*'nope' is not an endpoint of \"ML\".\"SERVING\".\"ST\" "
                                          "\\(its endpoints: ui, inference\\)"):
        plan(endpointUrl="https://b-org-acct.snowflakecomputing.app", endpointName="nope")
    by_name = plan(serviceName="staging.st").call
    assert by_name.service == '"ML"."STAGING"."ST"'
    with pytest.raises(ConfigError, match="'serviceName'.*no service ML.OTHER.ST"):
        plan(serviceName="ML.OTHER.ST")
    with pytest.raises(ConfigError, match="'serviceName'.*several services"):
        plan(serviceName="st")
