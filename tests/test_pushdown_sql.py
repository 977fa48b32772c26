"""Golden SQL of the push-down recipes, parsed by sqlglot's Snowflake dialect where it can; injections refused."""

import pytest

from dss import ROOT  # noqa: F401  (puts python-lib on sys.path)
from spcs_llm.errors import ConfigError
from spcs_llm.pushdown import sql
from spcs_llm.pushdown.plan import Table, build_plan
from spcs_llm.snowflake.services import Endpoint, ServiceInfo
from spcs_llm.snowflake.identifiers import string_literal

sqlglot = pytest.importorskip("sqlglot")

SOURCE = Table('"DB"."SCH"."NOTES"', ("ID", "text", "lang"))
OUTPUT = Table('"DB"."SCH"."OUT"', ())
EMBED = {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "textColumn": "text"}


def embed(**config):
    return build_plan("embedding", dict(EMBED, **config), SOURCE, OUTPUT)


def prompt(**config):
    return build_plan("prompt", config, SOURCE, OUTPUT)


def parses(statement):
    """sqlglot reads ``statement`` as exactly one Snowflake statement."""
    parsed = sqlglot.parse(statement, read="snowflake")
    assert len(parsed) == 1 and parsed[0] is not None
    return parsed[0]


def literals(statement):
    return [lit.this for lit in parses(statement).find_all(sqlglot.exp.Literal) if lit.is_string]


def test_registry_method_call():
    query = sql.select_query(embed(serviceName="ml.serving.st", callMode="REGISTRY_METHOD"))
    assert query == '''SELECT "ID", "text", "lang", "__SPCS_RESULT":"output"::ARRAY AS "embedding"
FROM (
  SELECT "ID", "text", "lang", "__SPCS_INPUT", CASE WHEN "__SPCS_INPUT" IS NULL THEN NULL ELSE "ML"."SERVING"."ST"!ENCODE("__SPCS_INPUT", NULL, NULL) END AS "__SPCS_RESULT"
  FROM (
    SELECT "ID", "text", "lang", "text" AS "__SPCS_INPUT"
    FROM "DB"."SCH"."NOTES" AS "__SPCS_SOURCE"
  ) AS "__SPCS_ROWS"
) AS "__SPCS_CALLS"'''
    # sqlglot cannot read the registry's SVC!METHOD(...) call: the golden string above is the check.
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse_one(query, read="snowflake")
    assert sql.function_ddl(embed(serviceName="ml.serving.st", callMode="REGISTRY_METHOD")) is None


def test_existing_function_with_array_output():
    plan = embed(functionName="ML.SERVING.EMBED", callMode="EXISTING_FUNCTION", keepAllColumns=False,
                 keptColumns=["ID"])
    query = sql.select_query(plan)
    assert query == '''SELECT "ID", "__SPCS_RESULT":"output"::ARRAY AS "embedding"
FROM (
  SELECT "ID", "__SPCS_INPUT", CASE WHEN "__SPCS_INPUT" IS NULL THEN NULL ELSE "ML"."SERVING"."EMBED"("__SPCS_INPUT", NULL, NULL) END AS "__SPCS_RESULT"
  FROM (
    SELECT "ID", "text" AS "__SPCS_INPUT"
    FROM "DB"."SCH"."NOTES" AS "__SPCS_SOURCE"
  ) AS "__SPCS_ROWS"
) AS "__SPCS_CALLS"'''
    assert sql.function_ddl(plan) is None
    parses(query)
    assert sql.statements(plan) == ['CREATE OR REPLACE TABLE "DB"."SCH"."OUT" AS\n' + query]
    parses(sql.statements(plan)[0])


def test_created_function_with_vector_output():
    plan = build_plan("embedding", dict(EMBED, serviceName="ML.SERVING.ST", endpointName="inference",
                                        maxBatchRows=128, vectorDimensions=384), SOURCE, OUTPUT, vector_column=True)
    ddl = sql.function_ddl(plan)
    assert ddl == '''CREATE OR REPLACE FUNCTION "DB"."SCH"."SPCS_ST_ENCODE_7B4B757D"("sentence" STRING, "batch_size" BIGINT, "truncate_dim" BIGINT)
  RETURNS VARIANT
  SERVICE = "ML"."SERVING"."ST"
  ENDPOINT = inference
  COMMENT = 'Created by the snowpark-container-services-llm push-down recipes'
  MAX_BATCH_ROWS = 128
  MAX_BATCH_RETRIES = 3
  ON_BATCH_FAILURE = ABORT
  AS '/encode\''''
    # sqlglot reads it but drops the SERVICE options when writing it back: the golden string is the check.
    parses(ddl)
    query = sql.select_query(plan)
    assert query == '''SELECT "ID", "text", "lang", "__SPCS_RESULT":"output"::ARRAY::VECTOR(FLOAT, 384) AS "embedding"
FROM (
  SELECT "ID", "text", "lang", "__SPCS_INPUT", CASE WHEN "__SPCS_INPUT" IS NULL THEN NULL ELSE "DB"."SCH"."SPCS_ST_ENCODE_7B4B757D"("__SPCS_INPUT", NULL, NULL) END AS "__SPCS_RESULT"
  FROM (
    SELECT "ID", "text", "lang", "text" AS "__SPCS_INPUT"
    FROM "DB"."SCH"."NOTES" AS "__SPCS_SOURCE"
  ) AS "__SPCS_ROWS"
) AS "__SPCS_CALLS"'''
    assert any(t.sql(dialect="snowflake") == "VECTOR(FLOAT, 384)" for t in parses(query).find_all(sqlglot.exp.DataType))
    assert sql.statements(plan) == [ddl, 'CREATE OR REPLACE TABLE "DB"."SCH"."OUT" AS\n' + query]


def test_incremental_inserts_only_rows_whose_key_is_not_in_the_output():
    plan = embed(functionName="ML.SERVING.EMBED", callMode="EXISTING_FUNCTION", incremental=True, keyColumn="ID")
    first, later = sql.statements(plan, output_exists=False), sql.statements(plan, output_exists=True)
    assert first == ['CREATE OR REPLACE TABLE "DB"."SCH"."OUT" AS\n' + sql.select_query(plan)]
    assert later == ['''INSERT INTO "DB"."SCH"."OUT" ("ID", "text", "lang", "embedding")
SELECT "ID", "text", "lang", "__SPCS_RESULT":"output"::ARRAY AS "embedding"
FROM (
  SELECT "ID", "text", "lang", "__SPCS_INPUT", CASE WHEN "__SPCS_INPUT" IS NULL THEN NULL ELSE "ML"."SERVING"."EMBED"("__SPCS_INPUT", NULL, NULL) END AS "__SPCS_RESULT"
  FROM (
    SELECT "ID", "text", "lang", "text" AS "__SPCS_INPUT"
    FROM "DB"."SCH"."NOTES" AS "__SPCS_SOURCE"
    WHERE "__SPCS_SOURCE"."ID" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "DB"."SCH"."OUT" AS "__SPCS_DONE" WHERE "__SPCS_DONE"."ID" = "__SPCS_SOURCE"."ID")
  ) AS "__SPCS_ROWS"
) AS "__SPCS_CALLS"''']
    parsed = parses(later[0])
    assert isinstance(parsed, sqlglot.exp.Insert) and parsed.find(sqlglot.exp.Exists) is not None


def test_prompt_for_a_text_generation_service_formats_the_prompt_and_strips_it_from_the_answer():
    plan = prompt(modelHandlingMode="TEXT_GENERATION_MISTRAL", serviceName="ML.SERVING.MISTRAL",
                  endpointName="inference", maxBatchRows=8, promptTemplate="Translate to {{lang}}: {{text}}",
                  outputColumn="translation", keepAllColumns=False, keptColumns=["ID"])
    assert sql.function_ddl(plan) == '''CREATE OR REPLACE FUNCTION "DB"."SCH"."SPCS_MISTRAL_PREDICT_4A57B193"("inputs" STRING)
  RETURNS VARIANT
  SERVICE = "ML"."SERVING"."MISTRAL"
  ENDPOINT = inference
  COMMENT = 'Created by the snowpark-container-services-llm push-down recipes'
  MAX_BATCH_ROWS = 8
  MAX_BATCH_RETRIES = 3
  ON_BATCH_FAILURE = ABORT
  AS '/predict\''''
    generated = 'PARSE_JSON("__SPCS_RESULT":"outputs"::VARCHAR)[0]:"generated_text"::VARCHAR'
    query = sql.select_query(plan)
    assert query == '''SELECT "ID", IFF(STARTSWITH({g}, "__SPCS_INPUT"), LTRIM(SUBSTR({g}, LENGTH("__SPCS_INPUT") + 1)), {g}) AS "translation"
FROM (
  SELECT "ID", "__SPCS_INPUT", CASE WHEN "__SPCS_INPUT" IS NULL THEN NULL ELSE "DB"."SCH"."SPCS_MISTRAL_PREDICT_4A57B193"("__SPCS_INPUT") END AS "__SPCS_RESULT"
  FROM (
    SELECT "ID", '<s>[INST] ' || 'Translate to ' || COALESCE(CAST("lang" AS VARCHAR), '') || ': ' || COALESCE(CAST("text" AS VARCHAR), '') || ' [/INST]' AS "__SPCS_INPUT"
    FROM "DB"."SCH"."NOTES" AS "__SPCS_SOURCE"
  ) AS "__SPCS_ROWS"
) AS "__SPCS_CALLS"'''.format(g=generated)
    parses(query)


def test_prompt_for_the_openai_chat_signature_passes_one_argument_per_signature_input():
    """Issue 24, item 1: one SQL argument per input of snowflake-ml 2.6.0's OPENAI_CHAT_SIGNATURE, in order."""
    plan = prompt(modelHandlingMode="REGISTRY_OPENAI_CHAT", functionName="ML.SERVING.CHAT",
                  callMode="EXISTING_FUNCTION", promptTemplate="Summarize: {{text}}", temperature=0.2,
                  maxOutputTokens=64)
    query = sql.select_query(plan)
    assert ('"ML"."SERVING"."CHAT"(ARRAY_CONSTRUCT(OBJECT_CONSTRUCT(\'role\', \'user\', \'content\', '
            'ARRAY_CONSTRUCT(OBJECT_CONSTRUCT(\'type\', \'text\', \'text\', "__SPCS_INPUT")))), 0.2, 64, '
            'ARRAY_CONSTRUCT(), 1, FALSE, 1.0, 0.0, 0.0, NULL)') in query
    assert '"__SPCS_RESULT":"choices"[0]:"message":"content"::VARCHAR AS "answer"' in query
    parses(query)


def test_service_and_endpoint_found_from_the_ingress_url_of_an_llm_mesh_model():
    services = [ServiceInfo("OTHER", "ML", "SERVING", "READY", "POOL", [Endpoint("api", "x1-org-acct.snowflakecomputing.app", True)]),
                ServiceInfo("ST", "ML", "SERVING", "READY", "POOL", [Endpoint("inference", "ab2-org-acct.snowflakecomputing.app", True)])]
    plan = build_plan("embedding", dict(EMBED, endpointUrl="https://ab2-org-acct.snowflakecomputing.app"), SOURCE, OUTPUT,
                      services)
    assert (plan.call.service, plan.call.endpoint, plan.call.path) == ('"ML"."SERVING"."ST"', "inference", "/encode")
    with pytest.raises(ConfigError, match="'endpointUrl'.*no service visible"):
        build_plan("embedding", dict(EMBED, endpointUrl="zz-org-acct.snowflakecomputing.app"), SOURCE, OUTPUT, services)


@pytest.mark.parametrize("mode", ["OPENAI_COMPATIBLE", "CUSTOM"])
def test_openai_only_services_are_refused_before_running(mode):
    with pytest.raises(ConfigError) as caught:
        embed(modelHandlingMode=mode, serviceName="ML.SERVING.VLLM", endpointName="api")
    message = str(caught.value)
    assert "'modelHandlingMode'" in message and "LLM Mesh" in message and "Model Registry" in message


@pytest.mark.parametrize("field, value, config", [
    ("textColumn", 'text" ) AS x FROM t; DROP TABLE t; --', {}),
    ("keptColumns", ['ID", 1); DROP TABLE t; --'], {"keepAllColumns": False}),
    ("keyColumn", "ID = 1 OR 1", {"incremental": True}),
    ("outputColumn", 'e"; DROP TABLE t; --', {}),
    ("functionName", "ML.SERVING.F(1); DROP TABLE t; --", {"callMode": "EXISTING_FUNCTION"}),
    ("functionName", 'ML.SERVING."F"")(1); --"x', {"callMode": "EXISTING_FUNCTION"}),
    ("serviceName", "ML.SERVING.ST ENDPOINT = x AS '/evil' --", {"endpointName": "inference", "callMode": ""}),
    ("registryMethod", "ENCODE(1); DROP TABLE t; --", {"serviceName": "ML.S.ST", "callMode": "REGISTRY_METHOD"}),
    ("methodPath", "/encode'; DROP TABLE t; --", {"serviceName": "ML.S.ST", "endpointName": "inference",
                                                   "callMode": ""}),
    ("endpointName", 'inference" AS \'/x\'', {"serviceName": "ML.S.ST", "callMode": ""}),
])
def test_names_that_would_break_out_are_refused_naming_the_field(field, value, config):
    base = {"callMode": "EXISTING_FUNCTION", "functionName": "ML.S.F"}
    with pytest.raises(ConfigError, match="'%s'" % field):
        embed(**dict(base, **dict(config, **{field: value})))


def test_a_column_holding_a_quote_is_refused_even_when_it_exists():
    source = Table('"DB"."SCH"."NOTES"', ("ID", 'te"xt'))
    with pytest.raises(ConfigError, match="'textColumn'.*double quote"):
        build_plan("embedding", dict(EMBED, textColumn='te"xt', functionName="F", callMode="EXISTING_FUNCTION",
                                     keepAllColumns=False, keptColumns=["ID"]), source, OUTPUT)


@pytest.mark.parametrize("template, message", [
    ("Answer {{nope}}", "'promptTemplate'.*names no column"),
    ('Answer {{text" || CURRENT_USER() || "}}', "'promptTemplate'.*names no column"),
    ("Answer without a column", "'promptTemplate'.*no {{column}}"),
    ("Answer {{text}} and {{lang", "'promptTemplate'.*unclosed"),
    ("", "'promptTemplate'.*empty"),
])
def test_bad_templates_are_refused(template, message):
    with pytest.raises(ConfigError, match=message):
        prompt(modelHandlingMode="REGISTRY_TEXT2TEXT_GENERATION", functionName="F", callMode="EXISTING_FUNCTION",
               promptTemplate=template)


def test_template_text_that_tries_to_break_out_stays_a_string():
    evil = "x'); DROP TABLE t; -- \\' \\\\'' $$ {{text}} \n end"
    query = sql.select_query(prompt(modelHandlingMode="REGISTRY_TEXT2TEXT_GENERATION", functionName="F",
                                    callMode="EXISTING_FUNCTION", promptTemplate=evil))
    parsed = parses(query)
    assert not list(parsed.find_all(sqlglot.exp.Drop))
    pieces = evil.split("{{text}}")
    assert sorted(p for p in pieces if p) == sorted(s for s in literals(query) if s in pieces)


def test_columns_reserved_for_the_recipe_are_refused():
    with pytest.raises(ConfigError, match="__SPCS_"):
        build_plan("embedding", dict(EMBED, functionName="F", callMode="EXISTING_FUNCTION"),
                   Table('"DB"."SCH"."NOTES"', ("text", "__spcs_result")), OUTPUT)
    with pytest.raises(ConfigError, match="'outputColumn'.*already a kept"):
        embed(functionName="F", callMode="EXISTING_FUNCTION", outputColumn="lang")


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
def test_any_text_round_trips_through_a_string_literal(text):
    literal = string_literal(text, "promptTemplate")
    parsed = sqlglot.parse_one("SELECT %s" % literal, read="snowflake")
    assert [lit.this for lit in parsed.find_all(sqlglot.exp.Literal)] == [text]


def test_command_line_prints_the_statements_without_connecting():
    import io

    from spcs_llm.pushdown.__main__ import main

    def refuse(*args):
        raise AssertionError("no connection is needed to print the SQL")

    out = io.StringIO()
    code = main(["embed", "--input", "ML.DOCS.NOTES", "--output", "ML.DOCS.NOTES_EMB", "--columns", "ID,TEXT",
                 "--param", "textColumn=TEXT", "--param", "serviceName=ML.SERVING.MINILM", "--param",
                 "endpointName=inference", "--param", "maxBatchRows=256"], stream=out, connect=refuse)
    assert code == 0
    ddl, query = out.getvalue().split(";\n\n")
    assert ddl.startswith('CREATE OR REPLACE FUNCTION "ML"."DOCS"."SPCS_MINILM_ENCODE_')
    assert query.startswith('CREATE OR REPLACE TABLE "ML"."DOCS"."NOTES_EMB" AS\nSELECT "ID", "TEXT", ')
    out = io.StringIO()
    assert main(["prompt", "--input", "A.B.C", "--output", "A.B.D", "--columns", "X", "--mode", "OPENAI_COMPATIBLE",
                 "--param", "promptTemplate={{X}}"], stream=out, connect=refuse) == 2
    assert "LLM Mesh" in out.getvalue()


def test_run_costs_use_the_connections_credit_settings():
    from spcs_llm.pushdown import runner

    rates = runner.rates_from({"spcsCreditsPerHourCost": "2", "snowflakeCreditCost": 3})
    usage = runner.WarehouseUsage("WH", "X-Small", 1800.0)
    assert runner.costs(3600.0, usage, rates) == (0.5, 2.0, 7.5)  # (0.5 + 2) credits x $3
    assert runner.costs(1800.0, None, rates) == (None, 1.0, 3.0)  # warehouse unknown: pool alone
    with pytest.raises(ConfigError, match="'snowflakeCreditCost'"):
        runner.rates_from({"snowflakeCreditCost": "-1"})


def test_model_types_are_the_connections_modes():
    from spcs_llm import modes
    from spcs_llm.pushdown import kinds

    for (mode, capability), kind in kinds.KINDS.items():
        if mode == kinds.ROW_FORMAT:
            continue
        wanted = modes.EMBEDDING if capability == kinds.EMBEDDING else modes.CHAT
        assert wanted in modes.BY_NAME[mode].capabilities, mode
    assert set(kinds.NOT_CALLABLE_FROM_SQL) <= set(modes.MODE_NAMES)


def test_a_pipelines_text_answer_is_read_packed_or_unpacked():
    """snowflake-ml 2.x returns a single text output unpacked when the account enables single-output native types."""
    plan = prompt(modelHandlingMode="REGISTRY_SUMMARIZATION", serviceName="ML.SERVING.SUM", callMode="REGISTRY_METHOD",
                  promptTemplate="{{text}}")
    query = sql.select_query(plan)
    assert ('IFF(IS_OBJECT(TO_VARIANT("__SPCS_RESULT")), TO_VARIANT("__SPCS_RESULT"):"summary_text", '
            'TO_VARIANT("__SPCS_RESULT"))::VARCHAR AS "answer"') in query
    # 1 input (documents), then the 62 params of snowflake-ml 2.6.0's summarization signature at their defaults.
    assert [a.param for a in plan.call.arguments] == [False] + [True] * 62
    assert '"ML"."SERVING"."SUM"!__CALL__("__SPCS_INPUT", NULL, NULL, NULL' in query
    parses(query.replace('"ML"."SERVING"."SUM"!__CALL__', "F"))  # sqlglot reads everything but SVC!METHOD
    one_x = sql.select_query(prompt(modelHandlingMode="REGISTRY_SUMMARIZATION", serviceName="ML.SERVING.SUM",
                                    callMode="REGISTRY_METHOD", promptTemplate="{{text}}",
                                    methodSignature="SUMMARIZATION_1X"))
    assert '"ML"."SERVING"."SUM"!__CALL__("__SPCS_INPUT")' in one_x


def test_a_signature_of_another_model_type_is_refused():
    with pytest.raises(ConfigError, match="'methodSignature'.*not a signature of REGISTRY_SENTENCE_TRANSFORMERS"):
        embed(serviceName="ML.S.ST", endpointName="inference", methodSignature="OPENAI_CHAT_SIGNATURE")
