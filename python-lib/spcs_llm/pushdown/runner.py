"""Running a push-down plan, in DSS (``SQLExecutor2``) or through snowflake-connector-python.

Before the long query starts it logs the query tag, the statement and (outside DSS, where
the query is submitted asynchronously) its query id, so an hours-long run can be found in
Snowsight's Query History while it runs. After a run it logs the query id, the rows
written, the elapsed time and, where the role can read the query history, the warehouse
time; warehouse and compute-pool time are converted to credits and dollars with the
connection's credit settings. Figures that cannot be read are said to be unknown, never guessed.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Optional

from ..errors import ConfigError
from ..snowflake import services
from ..settings import CostSettings, _float  # the connection's credit settings and parser
from ..snowflake.identifiers import string_literal
from . import sql
from .engines import ConnectorEngine, DSSEngine  # noqa: F401  (the runner's engines, by their old home)

logger = logging.getLogger(__name__)

# Credits per hour of a standard warehouse, by size (Snowflake's published table).
WAREHOUSE_CREDITS_PER_HOUR = {"XSMALL": 1, "SMALL": 2, "MEDIUM": 4, "LARGE": 8, "XLARGE": 16, "2XLARGE": 32,
                              "3XLARGE": 64, "4XLARGE": 128, "5XLARGE": 256, "6XLARGE": 512}
WRITING_QUERY_TYPES = ("INSERT", "CREATE_TABLE_AS_SELECT", "MERGE")


@dataclass(frozen=True)
class WarehouseUsage:
    """What the query history says of the writing query."""

    warehouse: str
    size: str
    execution_seconds: float
    query_id: Optional[str] = None


@dataclass(frozen=True)
class RunReport:
    """What one run did and cost."""

    query_id: Optional[str]
    rows_written: Optional[int]
    elapsed_seconds: float
    warehouse: Optional[WarehouseUsage]
    warehouse_credits: Optional[float]
    pool_credits: float
    dollars: Optional[float]

    def summary(self):
        """One line for the log."""
        parts = ["query id %s" % (self.query_id or "unknown"),
                 "%s rows written" % ("unknown" if self.rows_written is None else self.rows_written),
                 "%.1f s elapsed" % self.elapsed_seconds]
        if self.warehouse is None:
            parts.append("warehouse time unknown (the role cannot read the query history)")
        else:
            parts.append("warehouse %s (%s) %.1f s = %.4f credits" % (
                self.warehouse.warehouse, self.warehouse.size, self.warehouse.execution_seconds,
                self.warehouse_credits or 0.0))
        parts.append("compute pool %.4f credits" % self.pool_credits)
        if self.dollars is not None:
            parts.append("$%.4f" % self.dollars)
        return ", ".join(parts)


def rates_from(config):
    """The credit settings of a recipe config, under the connection's field names."""
    return CostSettings(credits_per_hour=_float(config, "spcsCreditsPerHourCost", 0.0, 0, None),
                        dollars_per_credit=_float(config, "snowflakeCreditCost", 0.0, 0, None))


def costs(elapsed_seconds, usage, rates):
    """(warehouse credits or None, pool credits, dollars or None) of a run.

    The pool is billed by the hour whether or not rows flow, so the run is charged its
    elapsed time at the pool's rate; the warehouse its execution time at its size's rate
    (an attribution: Snowflake bills a warehouse per second with a one-minute minimum).
    """
    pool = elapsed_seconds / 3600.0 * rates.credits_per_hour
    warehouse = None
    if usage is not None:
        rate = WAREHOUSE_CREDITS_PER_HOUR.get("".join(ch for ch in usage.size.upper() if ch.isalnum()))
        if rate is not None:
            warehouse = usage.execution_seconds / 3600.0 * rate
    if not rates.dollars_per_credit:
        return warehouse, pool, None
    return warehouse, pool, ((warehouse or 0.0) + pool) * rates.dollars_per_credit


def table_exists(engine, name):
    """Whether table ``name`` (quoted) can be read."""
    try:
        engine.rows("SELECT 1 AS X FROM %s LIMIT 0" % name)
        return True
    except Exception:  # noqa: BLE001 -- every driver names "does not exist" differently
        return False


def count_rows(engine, name, answered=None):
    """Rows in table ``name`` (with ``answered``, only those whose column ``answered`` is not NULL), or None."""
    where = " WHERE %s IS NOT NULL" % answered if answered else ""
    try:
        return int(engine.rows("SELECT COUNT(*) AS N FROM %s%s" % (name, where))[0]["N"])
    except Exception:  # noqa: BLE001
        return None


def warehouse_usage(engine, query_id=None, tag=None):
    """The writing query's warehouse and execution time from the query history, or None if unreadable."""
    if query_id:
        query = ("SELECT QUERY_ID, WAREHOUSE_NAME, WAREHOUSE_SIZE, EXECUTION_TIME FROM "
                 "TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_SESSION()) WHERE QUERY_ID = %s"
                 % string_literal(query_id, "query id"))
    else:
        query = ("SELECT QUERY_ID, WAREHOUSE_NAME, WAREHOUSE_SIZE, EXECUTION_TIME FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY()) "
                 "WHERE QUERY_TAG = %s AND QUERY_TYPE IN (%s) ORDER BY EXECUTION_TIME DESC LIMIT 1"
                 % (string_literal(tag, "query tag"), ", ".join("'%s'" % t for t in WRITING_QUERY_TYPES)))
    try:
        found = engine.rows(query)
    except Exception as exc:  # noqa: BLE001 -- a role without access to the history is normal
        logger.info("Query history not readable (%s): warehouse time unknown", type(exc).__name__)
        return None
    if not found or not found[0].get("WAREHOUSE_SIZE"):
        return None
    row = found[0]
    return WarehouseUsage(str(row.get("WAREHOUSE_NAME") or ""), str(row["WAREHOUSE_SIZE"]),
                          float(row.get("EXECUTION_TIME") or 0) / 1000.0, row.get("QUERY_ID"))


def refuse_null_keys(plan, engine):
    """``ConfigError`` naming 'keyColumn' when input rows have no key: an incremental run could never skip them.

    Such a row is never found in the output (``NULL = NULL`` is not true), so without this
    check it would be sent to the service and written again on every run.
    """
    if not plan.key:
        return
    try:
        missing = int(engine.rows(sql.null_keys_query(plan))[0]["N"])
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the input is read below anyway; its error will say why
        logger.info("Could not count the rows without a key (%s)", type(exc).__name__)
        return
    if missing:
        raise ConfigError("keyColumn", "%d row(s) of the input have no key (%s is NULL). An incremental run finds "
                                       "the rows already done by their key, so these could never be skipped: they "
                                       "would be sent to the service again on every run. Give them a key, filter "
                                       "them out before this recipe, or untick 'Incremental'." % (missing, plan.key))


def _starting(tag, statement, query_id=None):
    logger.info("Push-down query starting: query tag %s, query id %s (Snowsight > Monitoring > Query History, "
                "filter on the query tag). Statement:\n%s", tag, query_id or "known when Snowflake starts it",
                statement)


def run(plan, engine, rates=CostSettings(), clock=time.monotonic):
    """Run ``plan`` on ``engine`` outside DSS (``sql.statements``); log and return a ``RunReport``."""
    refuse_null_keys(plan, engine)
    exists = bool(plan.key) and table_exists(engine, plan.output.name)
    before = _kept_rows(plan, engine) if exists else 0
    tag = new_query_tag()
    engine.execute("ALTER SESSION SET QUERY_TAG = %s" % string_literal(tag, "query tag"))
    steps = sql.statements(plan, output_exists=exists)
    main = sql.insert_into(plan) if plan.key and exists else sql.create_table_as(plan)
    started = clock()
    query_id = None
    for statement in steps:
        if statement == main:
            query_id = engine.execute(statement, on_start=lambda qid, s=statement: _starting(tag, s, qid))
        else:
            engine.execute(statement)
    elapsed = clock() - started
    after = count_rows(engine, plan.output.name)
    rows = None if after is None or before is None else after - before
    return _report(query_id, rows, elapsed, warehouse_usage(engine, query_id=query_id) if query_id else None, rates)


def _kept_rows(plan, engine):
    """Output rows an incremental run keeps (all, or those with an answer when it writes the others again)."""
    answered = plan.output_column if sql.retry_failed_rows(plan) else None
    return count_rows(engine, plan.output.name, answered)


def _report(query_id, rows, elapsed, usage, rates):
    warehouse, pool, dollars = costs(elapsed, usage, rates)
    report = RunReport(query_id, rows, elapsed, usage, warehouse, pool, dollars)
    logger.info("Push-down run done: %s", report.summary())
    return report


def run_in_dss(plan, engine, rates=CostSettings(), clock=time.monotonic):
    """Run ``plan`` as a DSS recipe fragment; log and return a ``RunReport``.

    An incremental run reads the rows already in the output and writes only the new
    ones: the recipe's output must be set to append (DSS empties it otherwise).
    """
    refuse_null_keys(plan, engine)
    incremental = bool(plan.key) and table_exists(engine, plan.output.name)
    before = _kept_rows(plan, engine) if incremental else 0
    tag = new_query_tag()
    pre = ["ALTER SESSION SET QUERY_TAG = %s" % string_literal(tag, "query tag"), sql.function_ddl(plan),
           sql.retry_failed_rows(plan) if incremental else None]
    post = [sql.vector_view_ddl(plan)]
    query = sql.select_query(plan, incremental=incremental)
    # DSS runs the query itself (and writes it as an INSERT into the output): its id is known to
    # Snowflake only once it starts, so the tag is what finds it while it runs.
    _starting(tag, query)
    started = clock()
    engine.executor_class.exec_recipe_fragment(engine.output_dataset, query, pre_queries=[q for q in pre if q],
                                               post_queries=[q for q in post if q],
                                               overwrite_output_schema=not incremental)
    elapsed = clock() - started
    after = count_rows(engine, plan.output.name)
    rows = None if after is None or before is None else after - before
    usage = warehouse_usage(engine, tag=tag)
    return _report(usage.query_id if usage else None, rows, elapsed, usage, rates)


def new_query_tag():
    """A query tag unique to one run, so the query history finds this run's queries and no other's."""
    return "spcs-pushdown-%s" % uuid.uuid4().hex[:16]


def needs_services(config):
    """Whether the plan needs the service listing: a service given by URL, or a function to create with no endpoint named."""
    how = str(config.get("callMode") or "CREATE_FUNCTION").strip()
    return bool(str(config.get("endpointUrl") or "").strip()) or (
        how == "CREATE_FUNCTION" and not str(config.get("endpointName") or "").strip())


def find_services(conn):
    """The services the role can see, with endpoints (the auto-resume lookup, reused)."""
    return services.list_services(conn)
