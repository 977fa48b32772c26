"""The embedding recipe's SQL run end to end on a local engine against the stand-in's registry service.

The engine is DuckDB fed the recipe's Snowflake SQL through sqlglot (``devtools/local_snowflake.py``);
the service function is bound to an executor that POSTs the rows in batches, in the
service-function row format, to the stand-in's sentence-transformers service, as
Snowflake's executor would. fakesnow is not used: it cannot parse ``VECTOR(FLOAT, n)``
nor call a quoted schema-qualified function.
"""

import struct

import pytest

from dss import ROOT  # noqa: F401  (puts devtools, python-lib and standin on sys.path)

duckdb = pytest.importorskip("duckdb", reason="duckdb has no build for this Python")
pytest.importorskip("sqlglot")
pytest.importorskip("pyarrow")

from local_snowflake import LocalSnowflake  # noqa: E402
from spcs_standin import deterministic_vector  # noqa: E402

from spcs_llm.pushdown import runner, sql  # noqa: E402
from spcs_llm.pushdown.plan import Table, build_plan  # noqa: E402

ROWS = 3000
BATCH = 64


def text_of(i):
    return "clinical note %d: patient reports symptom %d" % (i, i % 37)


def make_engine(env, rows=ROWS):
    engine = LocalSnowflake()
    engine.duck.execute('CREATE TABLE DB.SCH.NOTES ("ID" INTEGER, "TEXT" VARCHAR, "WARD" VARCHAR)')
    add_rows(engine, 0, rows)
    engine.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat)
    return engine


def add_rows(engine, start, stop):
    engine.duck.executemany("INSERT INTO DB.SCH.NOTES VALUES (?, ?, ?)",
                            [(i, None if i % 500 == 7 else text_of(i), "ward %d" % (i % 5)) for i in range(start, stop)])


def plan_for(dimensions=0, incremental=False, vector_column=True, **extra):
    config = {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "serviceName": "ML.SERVING.ST",
              "endpointName": "st-ep", "textColumn": "TEXT", "maxBatchRows": BATCH,
              "vectorDimensions": dimensions, "incremental": incremental, "keyColumn": "ID"}
    config.update(extra)
    return build_plan("embedding", config, Table('"DB"."SCH"."NOTES"', ("ID", "TEXT", "WARD")),
                      Table('"DB"."SCH"."NOTES_EMB"', ()), vector_column=vector_column)


def output(engine):
    return {row[0]: row for row in engine.duck.execute('SELECT "ID", "TEXT", "WARD", "embedding" FROM '
                                                       'DB.SCH.NOTES_EMB').fetchall()}


def float32(values):
    return [struct.unpack("f", struct.pack("f", v))[0] for v in values]


def check_vectors(rows, count, exact=True):
    assert sorted(rows) == list(range(count))
    for i, (_, text, ward, vector) in rows.items():
        assert ward == "ward %d" % (i % 5)
        if text is None:
            assert vector is None  # nothing is sent for a row without text
            continue
        assert text == text_of(i)
        want = deterministic_vector(text)
        if exact:
            import json
            assert json.loads(vector) == want
        else:
            assert list(vector) == float32(want)


def test_every_row_gets_its_vector_in_batches_with_retried_faults(env):
    engine = make_engine(env)
    service = env.standin.services["st"]
    service.faults.inject("429", "503")  # the first two batches fail once each
    report = runner.run(plan_for(), engine)

    check_vectors(output(engine), ROWS)
    texts = ROWS - ROWS // 500  # rows 7, 507, ... have no text
    executor = next(iter(engine.executors.values()))
    assert executor.retries == 2
    assert service.counters["items"] == texts  # every text sent once to the model, retries aside
    assert service.counters["requests"] == executor.batches + 2
    assert all(len(r["body"]["data"]) <= BATCH for r in service.requests)
    assert all(isinstance(row[1], str) for r in service.requests for row in r["body"]["data"])  # [index, text]
    assert {r["path"] for r in service.requests} == {"/encode"}
    batch_ids = [r["headers"].get("sf-external-function-query-batch-id") for r in service.requests]
    assert len(batch_ids) - len(set(batch_ids)) == 2  # the two retried batches were sent again under their id
    assert report.rows_written == ROWS
    assert report.warehouse is None  # DuckDB has no query history: said unknown, not guessed
    assert engine.statements[0].startswith("ALTER SESSION SET QUERY_TAG = 'spcs-pushdown-")
    assert engine.statements[1] == sql.function_ddl(plan_for())


def test_vector_column_holds_the_models_floats_outside_dss(env):
    engine = make_engine(env, rows=300)
    runner.run(plan_for(dimensions=384), engine)
    types = dict(engine.duck.execute("SELECT column_name, data_type FROM information_schema.columns "
                                     "WHERE table_name = 'NOTES_EMB'").fetchall())
    assert types["embedding"] == "FLOAT[384]"
    check_vectors(output(engine), 300, exact=False)


def test_incremental_run_processes_only_new_rows(env):
    engine = make_engine(env)
    plan = plan_for(incremental=True)
    first = runner.run(plan, engine)
    assert first.rows_written == ROWS
    assert engine.statements[-1].startswith("CREATE OR REPLACE TABLE")  # the output did not exist yet
    service = env.standin.services["st"]
    items = service.counters["items"]

    add_rows(engine, ROWS, ROWS + 500)
    second = runner.run(plan, engine)

    assert engine.statements[-1].startswith('INSERT INTO "DB"."SCH"."NOTES_EMB"')
    assert second.rows_written == 500
    assert service.counters["items"] - items == 500 - 1  # row 3007 has no text
    check_vectors(output(engine), ROWS + 500)

    third = runner.run(plan, engine)
    assert third.rows_written == 0
    assert service.counters["items"] - items == 499


def test_an_incremental_run_refuses_rows_without_a_key_before_sending_any(env):
    """Issue 23, item 5: rows whose key is NULL are refused, naming 'keyColumn' and how many.

    Before, NOT EXISTS (... key = key) is never true for NULL: those rows were "new" on every
    run, sent to the service again and appended to the output again.
    """
    from spcs_llm.errors import ConfigError

    engine = make_engine(env, rows=300)
    engine.duck.execute('UPDATE DB.SCH.NOTES SET "ID" = NULL WHERE "ID" IN (10, 11, 12)')
    service = env.standin.services["st"]
    with pytest.raises(ConfigError, match="'keyColumn'.*3 row\\(s\\) of the input have no key.*every run"):
        runner.run(plan_for(incremental=True), engine)
    assert service.counters["requests"] == 0
    assert not runner.table_exists(engine, '"DB"."SCH"."NOTES_EMB"')
    # The SQL itself never reads them either (a row added between the check and the query).
    assert '"__SPCS_SOURCE"."ID" IS NOT NULL' in sql.select_query(plan_for(incremental=True))


def test_a_batch_that_keeps_failing_aborts_the_run_after_max_batch_retries(env):
    """Issue 24, item 3: Snowflake's defaults, MAX_BATCH_RETRIES = 3 and ON_BATCH_FAILURE = ABORT, written out."""
    engine = make_engine(env, rows=100)
    service = env.standin.services["st"]
    service.faults.inject("503", "503", "503", "503")  # one batch: its first try and three retries fail
    with pytest.raises(Exception, match="503"):
        runner.run(plan_for(maxBatchRows=100), engine)
    assert service.counters["requests"] == 4
    assert not runner.table_exists(engine, '"DB"."SCH"."NOTES_EMB"')  # nothing written

    service.faults.inject("503", "503", "503", "503")
    assert runner.run(plan_for(maxBatchRows=100, maxBatchRetries=4), engine).rows_written == 100


def test_return_null_keeps_the_run_going_and_the_next_incremental_run_retries_those_rows(env):
    engine = make_engine(env, rows=300)
    service = env.standin.services["st"]
    plan = plan_for(maxBatchRows=300, maxBatchRetries=1, onBatchFailure="RETURN_NULL", incremental=True)
    assert "ON_BATCH_FAILURE = RETURN_NULL" in sql.function_ddl(plan)
    service.faults.inject("503", "503")  # the one batch fails twice: no retry left, its rows get NULL
    first = runner.run(plan, engine)
    missing = engine.duck.execute('SELECT COUNT(*) FROM DB.SCH.NOTES_EMB WHERE "embedding" IS NULL').fetchone()[0]
    assert first.rows_written == 300 and missing == 300  # the run completed, without answers

    items = service.counters["items"]
    second = runner.run(plan, engine)
    assert engine.statements[-2] == 'DELETE FROM "DB"."SCH"."NOTES_EMB" WHERE "embedding" IS NULL'
    assert service.counters["items"] - items == 299  # the failed rows sent again (row 7 has no text)
    assert second.rows_written == 300
    check_vectors(output(engine), 300)
    third = runner.run(plan, engine)
    # Done: nothing is sent again; the one row without text is written again (no request for it).
    assert service.counters["items"] - items == 299 and third.rows_written == 1


def test_the_run_logs_its_query_tag_id_and_statement_before_the_long_query(env, caplog):
    """Issue 26, item 2, outside DSS: the id is known (asynchronous submission) before the rows are sent."""
    import logging

    engine = make_engine(env, rows=100)
    service = env.standin.services["st"]
    at_log = []

    class Watch(logging.Handler):
        def emit(self, record):
            if "query starting" in record.getMessage():
                at_log.append((record.getMessage(), service.counters["requests"]))

    log = logging.getLogger("spcs_llm.pushdown.runner")
    watch = Watch()
    log.addHandler(watch)
    try:
        with caplog.at_level(logging.INFO, logger="spcs_llm"):
            report = runner.run(plan_for(), engine)
    finally:
        log.removeHandler(watch)
    (message, requests_then), = at_log
    assert requests_then == 0 and service.counters["requests"] > 0
    assert "query tag %s" % engine.query_tag in message and "query id %s" % report.query_id in message
    assert engine.started == [report.query_id]
    assert 'CREATE OR REPLACE TABLE "DB"."SCH"."NOTES_EMB" AS' in message
    assert env.pat not in caplog.text
