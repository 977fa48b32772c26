"""The SQL of a push-down run, generated from a validated ``Plan`` (pure functions).

Nothing from the user is pasted as is: names arrive quoted and checked by ``plan``,
template text is rendered as escaped string literals, numbers are formatted from numbers.
The query has three levels, so that each value is computed once and no level needs a
WITH clause (DSS cannot run a recipe query that starts with WITH):

    SELECT <kept>, <answer read from __SPCS_RESULT> AS <output>
    FROM (SELECT <kept>, __SPCS_INPUT, <function>(<argument>) AS __SPCS_RESULT
          FROM (SELECT <kept>, <text or prompt> AS __SPCS_INPUT FROM <input>
                [WHERE NOT EXISTS (<key already in the output>)]) AS __SPCS_ROWS) AS __SPCS_CALLS
"""

from ..snowflake.identifiers import quote_identifier, string_literal
from .kinds import EMBEDDING

INPUT = '"__SPCS_INPUT"'
RESULT = '"__SPCS_RESULT"'


def function_ddl(plan):
    """``CREATE FUNCTION IF NOT EXISTS ... SERVICE = ... ENDPOINT = ... AS '/path'``, or None when none is needed."""
    call = plan.call
    if call.how != "CREATE_FUNCTION":
        return None
    options = ["SERVICE = %s" % call.service, "ENDPOINT = %s" % call.endpoint]
    if call.max_batch_rows:
        options.append("MAX_BATCH_ROWS = %d" % call.max_batch_rows)
    return "CREATE FUNCTION IF NOT EXISTS %s(%s %s)\n  RETURNS VARIANT\n  %s\n  AS %s" % (
        call.function, INPUT, plan.kind.argument_type, "\n  ".join(options), string_literal(call.path, "methodPath"))


def select_query(plan, incremental=False):
    """The SELECT producing the output rows; with ``incremental``, only rows whose key is not in the output."""
    kept = "".join("%s, " % c for c in plan.kept)
    where = ""
    if incremental:
        if not plan.key:
            raise ValueError("an incremental query needs the plan's key column")
        where = ('\n    WHERE NOT EXISTS (SELECT 1 FROM %s AS "__SPCS_DONE" WHERE "__SPCS_DONE".%s = '
                 '"__SPCS_SOURCE".%s)' % (plan.output.name, plan.key, plan.key))
    argument = plan.kind.argument.format(P=INPUT, temperature=repr(float(plan.temperature)),
                                         max_tokens=int(plan.max_output_tokens))
    call = "%s(%s)" % (plan.call.function, argument)
    # A row without text gets no answer: nothing is sent for it.
    call = "CASE WHEN %s IS NULL THEN NULL ELSE %s END" % (INPUT, call)
    return ("SELECT %s%s AS %s\nFROM (\n  SELECT %s%s, %s AS %s\n  FROM (\n    SELECT %s%s AS %s\n"
            '    FROM %s AS "__SPCS_SOURCE"%s\n  ) AS "__SPCS_ROWS"\n) AS "__SPCS_CALLS"') % (
        kept, _answer(plan), plan.output_column, kept, INPUT, call, RESULT, kept, _input(plan), INPUT,
        plan.source.name, where)


def create_table_as(plan):
    """``CREATE OR REPLACE TABLE <output> AS <select>``: a full run outside DSS."""
    return "CREATE OR REPLACE TABLE %s AS\n%s" % (plan.output.name, select_query(plan))


def insert_into(plan):
    """``INSERT INTO <output> (...) <select of the new rows>``: an incremental run into an existing output."""
    columns = ", ".join(plan.kept + (plan.output_column,))
    return "INSERT INTO %s (%s)\n%s" % (plan.output.name, columns, select_query(plan, incremental=True))


def statements(plan, output_exists=False):
    """Every statement of a run outside DSS, in order (for the command line and Snowflake Tasks)."""
    ddl = function_ddl(plan)
    main = insert_into(plan) if plan.key and output_exists else create_table_as(plan)
    return [s for s in (ddl, main) if s]


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
        value = plan.kind.answer.format(R=RESULT)
    if plan.kind.strips_prompt:
        # The text-generation pipeline answers the prompt followed by the new text.
        value = "IFF(STARTSWITH(%s, %s), LTRIM(SUBSTR(%s, LENGTH(%s) + 1)), %s)" % (value, INPUT, value, INPUT, value)
    if plan.capability == EMBEDDING:
        value += "::ARRAY" + ("::VECTOR(FLOAT, %d)" % plan.dimensions if plan.dimensions else "")
    return value
