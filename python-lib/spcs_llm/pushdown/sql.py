"""The SQL of a push-down run, generated from a validated ``Plan`` (pure functions).

Nothing from the user is pasted as is: names arrive quoted and checked by ``plan``,
template text is rendered as escaped string literals, numbers are formatted from numbers.
The query has three levels, so that each value is computed once and no level needs a
WITH clause (DSS cannot run a recipe query that starts with WITH):

    SELECT <kept>, <answer read from __SPCS_RESULT> AS <output>
    FROM (SELECT <kept>, __SPCS_INPUT, <function>(<arguments>) AS __SPCS_RESULT
          FROM (SELECT <kept>, <text or prompt> AS __SPCS_INPUT FROM <input>
                [WHERE <key> IS NOT NULL AND NOT EXISTS (<key already in the output>)]) AS __SPCS_ROWS) AS __SPCS_CALLS

Only documented DDL is written: ``CREATE OR REPLACE FUNCTION ... SERVICE = ...`` (the
service-function reference has no ``IF NOT EXISTS``; ``CREATE OR ALTER`` does not list the
handler path among what it alters, so it cannot promise to rebind everything).
"""

from ..snowflake.identifiers import quote_identifier, string_literal
from .kinds import EMBEDDING

INPUT = '"__SPCS_INPUT"'
RESULT = '"__SPCS_RESULT"'
COMMENT = "Created by the snowpark-container-services-llm push-down recipes"


def function_ddl(plan):
    """``CREATE OR REPLACE FUNCTION ... SERVICE = ... ENDPOINT = ... AS '/path'``, or None when none is needed."""
    call = plan.call
    if call.how != "CREATE_FUNCTION":
        return None
    options = ["SERVICE = %s" % call.service, "ENDPOINT = %s" % call.endpoint,
               "COMMENT = %s" % string_literal(COMMENT, "functionName")]
    if call.max_batch_rows:
        options.append("MAX_BATCH_ROWS = %d" % call.max_batch_rows)
    # Written out even at Snowflake's defaults: the definition says what a failed batch does,
    # whatever the account's defaults (they changed with bundle 2025_02).
    options += ["MAX_BATCH_RETRIES = %d" % call.max_batch_retries, "ON_BATCH_FAILURE = %s" % call.on_batch_failure]
    arguments = ", ".join("%s %s" % (quote_identifier(a.name, "methodSignature"), a.sql_type) for a in call.arguments)
    return "CREATE OR REPLACE FUNCTION %s(%s)\n  RETURNS VARIANT\n  %s\n  AS %s" % (
        call.function, arguments, "\n  ".join(options), string_literal(call.path, "methodPath"))


def call_arguments(plan):
    """The SQL of each argument of the method call, in signature order."""
    values = dict(P=INPUT, temperature=repr(float(plan.temperature)), max_tokens=int(plan.max_output_tokens))
    return [a.value.format(**values) for a in plan.call.arguments]


def select_query(plan, incremental=False):
    """The SELECT producing the output rows; with ``incremental``, only rows whose key is not in the output.

    A plan with a key never reads rows whose key is NULL (the runner refuses them before any
    run): such a row could never be found in the output, so it would be sent on every run.
    """
    kept = "".join("%s, " % c for c in plan.kept)
    where = []
    if incremental and not plan.key:
        raise ValueError("an incremental query needs the plan's key column")
    if plan.key:
        where.append('"__SPCS_SOURCE".%s IS NOT NULL' % plan.key)
    if incremental:
        where.append('NOT EXISTS (SELECT 1 FROM %s AS "__SPCS_DONE" WHERE "__SPCS_DONE".%s = "__SPCS_SOURCE".%s)'
                     % (plan.output.name, plan.key, plan.key))
    where = ("\n    WHERE " + " AND ".join(where)) if where else ""
    call = "%s(%s)" % (plan.call.function, ", ".join(call_arguments(plan)))
    # A row without text gets no answer: nothing is sent for it.
    call = "CASE WHEN %s IS NULL THEN NULL ELSE %s END" % (INPUT, call)
    return ("SELECT %s%s AS %s\nFROM (\n  SELECT %s%s, %s AS %s\n  FROM (\n    SELECT %s%s AS %s\n"
            '    FROM %s AS "__SPCS_SOURCE"%s\n  ) AS "__SPCS_ROWS"\n) AS "__SPCS_CALLS"') % (
        kept, _answer(plan), plan.output_column, kept, INPUT, call, RESULT, kept, _input(plan), INPUT,
        plan.source.name, where)


def null_keys_query(plan):
    """Counts the input rows an incremental run refuses: those whose key is NULL."""
    return 'SELECT COUNT(*) AS N FROM %s AS "__SPCS_SOURCE" WHERE "__SPCS_SOURCE".%s IS NULL' % (
        plan.source.name, plan.key)


def retry_failed_rows(plan):
    """``DELETE`` of the output rows without an answer, before an incremental run under ``ON_BATCH_FAILURE = RETURN_NULL``.

    Such a row is in the output with a NULL answer (its batch failed, or it had no text); the
    run that follows writes it again: a failed batch is retried, a row without text costs
    nothing (nothing is sent for it). None when the plan needs no such step.
    """
    if not plan.key or plan.call.on_batch_failure != "RETURN_NULL":
        return None
    return "DELETE FROM %s WHERE %s IS NULL" % (plan.output.name, plan.output_column)


def vector_view_ddl(plan):
    """``CREATE OR REPLACE VIEW`` giving the ARRAY vector column as ``VECTOR(FLOAT, n)``, or None.

    The one statement that hands ``VECTOR_COSINE_SIMILARITY`` and Cortex Search a VECTOR column
    over what a DSS dataset holds. It reads the column as JSON text first, so it works whether
    DSS created the column as ARRAY or as VARCHAR.
    """
    if not plan.vector_view:
        return None
    column = plan.output_column[1:-1]
    return "CREATE OR REPLACE VIEW %s AS\nSELECT *, %s AS %s\nFROM %s" % (
        plan.vector_view, vector_expression(plan.output_column, plan.dimensions),
        quote_identifier(column + "_vector", "vectorView"), plan.output.name)


def vector_expression(column, dimensions):
    """``column`` (ARRAY or JSON text) as ``VECTOR(FLOAT, dimensions)``."""
    return "PARSE_JSON(%s::VARCHAR)::ARRAY::VECTOR(FLOAT, %d)" % (column, dimensions)


def create_table_as(plan):
    """``CREATE OR REPLACE TABLE <output> AS <select>``: a full run outside DSS."""
    return "CREATE OR REPLACE TABLE %s AS\n%s" % (plan.output.name, select_query(plan))


def insert_into(plan):
    """``INSERT INTO <output> (...) <select of the new rows>``: an incremental run into an existing output."""
    columns = ", ".join(plan.kept + (plan.output_column,))
    return "INSERT INTO %s (%s)\n%s" % (plan.output.name, columns, select_query(plan, incremental=True))


def statements(plan, output_exists=False):
    """Every statement of a run outside DSS, in order (for the command line and Snowflake Tasks)."""
    incremental = bool(plan.key) and output_exists
    steps = [function_ddl(plan), retry_failed_rows(plan) if incremental else None,
             insert_into(plan) if incremental else create_table_as(plan), vector_view_ddl(plan)]
    return [s for s in steps if s]


def _input(plan):
    if plan.capability == EMBEDDING:
        return plan.text
    parts = [("COALESCE(CAST(%s AS VARCHAR), '')" % quote_identifier(text, "promptTemplate")) if is_column
             else string_literal(text, "promptTemplate") for is_column, text in plan.template]
    return " || ".join(parts)


def _answer(plan):
    if plan.kind.mode == "ROW_FORMAT" and plan.answer_field:
        value = '%s:"%s"' % (RESULT, plan.answer_field)
        value = value + "::VARCHAR" if plan.capability != EMBEDDING else value
    else:
        value = plan.kind.answer.format(R=RESULT, O=plan.signature.output)
    if plan.kind.strips_prompt:
        # The text-generation pipeline answers the prompt followed by the new text.
        value = "IFF(STARTSWITH(%s, %s), LTRIM(SUBSTR(%s, LENGTH(%s) + 1)), %s)" % (value, INPUT, value, INPUT, value)
    if plan.capability == EMBEDDING:
        value += "::ARRAY"
        if plan.dimensions:
            # A cast to VECTOR checks the length (a wrong one fails the run); a DSS dataset holds
            # the ARRAY it is cast back to, not a VECTOR (the JDBC driver DSS reads with has none).
            value += "::VECTOR(FLOAT, %d)" % plan.dimensions + ("" if plan.vector_column else "::ARRAY")
    return value
