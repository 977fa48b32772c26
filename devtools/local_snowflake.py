"""A local SQL engine standing in for Snowflake in the push-down tests: DuckDB, fed Snowflake SQL.

Statements are parsed with sqlglot's Snowflake dialect and written for DuckDB; two types
DuckDB lacks are mapped (``VECTOR(FLOAT, n)`` -> ``FLOAT[n]``, a bare ``ARRAY`` -> ``JSON``).
A ``CREATE FUNCTION ... SERVICE = ...`` is not run: it binds the function's name to
``ServiceFunctionExecutor``, which does what Snowflake's executor does for a service
function (PLATFORM.md section 2b): it cuts the rows into batches of at most
``MAX_BATCH_ROWS``, POSTs each in the row format ``{"data": [[row, arg], ...]}`` to the
service's endpoint path with the query and batch id headers, sends batches in parallel,
and retries a batch on 404, 429, 500, 502, 503 and 504 with backoff.

Test equipment: it imports nothing from the plugin.
"""

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow as pa
import requests
import sqlglot
from sqlglot import exp

RETRIED_STATUSES = (404, 429, 500, 502, 503, 504)
_CREATE_FUNCTION = re.compile(r"^CREATE FUNCTION IF NOT EXISTS (?P<name>\S+?)\((?P<arg>[^)]*)\).*?"
                              r"(?:MAX_BATCH_ROWS = (?P<rows>\d+).*?)?AS '(?P<path>[^']*)'$", re.S)


class ServiceFunctionExecutor:
    """Calls a service endpoint for a column of values, in batches, as Snowflake's executor does."""

    def __init__(self, base_url, token, path, max_batch_rows, parallel=4, max_attempts=5, backoff=0.05):
        self.url = base_url.rstrip("/") + path
        self.headers = {"Authorization": 'Snowflake Token="%s"' % token, "Content-Type": "application/json"}
        self.max_batch_rows = max_batch_rows
        self.parallel = parallel
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.session = requests.Session()
        self.batches = 0
        self.retries = 0

    def __call__(self, column):
        """A DuckDB arrow UDF: one JSON text per input value (the value the service returned for it)."""
        values = column.to_pylist()
        query_id = str(uuid.uuid4())
        batches = [values[i:i + self.max_batch_rows] for i in range(0, len(values), self.max_batch_rows)]
        with ThreadPoolExecutor(self.parallel) as pool:
            answers = list(pool.map(lambda b: self._post(query_id, b), batches))
        out = [json.dumps(v) for batch in answers for v in batch]
        return pa.array(out, type=pa.string())

    def _post(self, query_id, values):
        batch_id = str(uuid.uuid4())
        body = {"data": [[i, v] for i, v in enumerate(values)]}
        headers = dict(self.headers, **{"sf-external-function-current-query-id": query_id,
                                        "sf-external-function-query-batch-id": batch_id})
        self.batches += 1
        for attempt in range(self.max_attempts):
            r = self.session.post(self.url, json=body, headers=headers, timeout=30)
            if r.status_code == 200:
                rows = r.json()["data"]
                by_index = {row[0]: row[1] for row in rows}
                if sorted(by_index) != list(range(len(values))):
                    raise RuntimeError("the service answered rows %s for %d rows" % (sorted(by_index), len(values)))
                return [by_index[i] for i in range(len(values))]
            if r.status_code not in RETRIED_STATUSES or attempt == self.max_attempts - 1:
                raise RuntimeError("service function batch failed: HTTP %d %s" % (r.status_code, r.text[:200]))
            self.retries += 1
            time.sleep(self.backoff * (2 ** attempt))
        raise AssertionError("unreachable")


def to_duckdb(statement):
    """``statement`` (Snowflake SQL) written for DuckDB."""
    def fix(node):
        if isinstance(node, exp.DataType):
            if node.this == exp.DataType.Type.VECTOR:
                return exp.DataType.build("FLOAT[%s]" % node.expressions[-1].name, dialect="duckdb")
            if node.this == exp.DataType.Type.ARRAY and not node.expressions:
                return exp.DataType.build("JSON")
        return node
    return sqlglot.parse_one(statement, read="snowflake").transform(fix).sql(dialect="duckdb")


class LocalSnowflake:
    """DuckDB with a DB.SCH schema, running Snowflake statements; ``bind`` supplies each service's endpoint."""

    def __init__(self, database="DB", schema="SCH"):
        self.duck = duckdb.connect()
        self.duck.execute("ATTACH ':memory:' AS %s" % database)
        self.duck.execute("CREATE SCHEMA %s.%s" % (database, schema))
        self.endpoints = {}  # service name -> (base URL, token)
        self.executors = {}  # function name -> ServiceFunctionExecutor
        self.statements = []
        self.query_tag = None

    def bind(self, service, base_url, token):
        self.endpoints[service] = (base_url, token)

    def execute(self, statement):
        """Run one statement; return a query id."""
        self.statements.append(statement)
        match = _CREATE_FUNCTION.match(statement.strip())
        tag = re.match(r"^ALTER SESSION SET QUERY_TAG = '([^']*)'$", statement.strip())
        if tag:
            self.query_tag = tag.group(1)  # DuckDB has no query history to tag
        elif match:
            self._create_function(statement, match)
        else:
            self.duck.execute(to_duckdb(statement))
        return str(uuid.uuid4())

    def rows(self, query):
        cur = self.duck.execute(to_duckdb(query))
        names = [d[0].upper() for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def _create_function(self, statement, match):
        name = match.group("name")
        if name in self.executors:
            return  # IF NOT EXISTS
        service = re.search(r"SERVICE = (\S+)", statement).group(1)
        base_url, token = self.endpoints[service]
        rows = int(match.group("rows") or 1000)  # without MAX_BATCH_ROWS, Snowflake picks the batch size
        executor = ServiceFunctionExecutor(base_url, token, match.group("path"), rows)
        udf = "spcs_udf_%d" % len(self.executors)
        self.duck.create_function(udf, executor, ["VARCHAR"], "VARCHAR", type="arrow")
        # A macro gives the UDF the function's schema-qualified name, as Snowflake resolves it.
        self.duck.execute("CREATE MACRO %s(x) AS CAST(%s(x) AS JSON)" % (name, udf))
        self.executors[name] = executor
