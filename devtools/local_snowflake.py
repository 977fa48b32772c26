"""A local SQL engine standing in for Snowflake in the push-down tests: DuckDB, fed Snowflake SQL.

Statements are parsed with sqlglot's Snowflake dialect and written for DuckDB; two types
DuckDB lacks are mapped (``VECTOR(FLOAT, n)`` -> ``FLOAT[n]``, a bare ``ARRAY`` -> ``JSON``).

Service functions follow the documented grammar (CREATE FUNCTION (Snowpark Container
Services)): ``CREATE [ OR REPLACE ] FUNCTION name(args) RETURNS ... SERVICE = s ENDPOINT = e
[COMMENT = '...'] [MAX_BATCH_ROWS = n] [MAX_BATCH_RETRIES = n] [ON_BATCH_FAILURE = ABORT |
RETURN_NULL] AS '/path'``. ``IF NOT EXISTS`` is not in that grammar and is refused; a plain
``CREATE`` of a name that exists fails; ``OR REPLACE`` rebinds it. A function is bound to
``ServiceFunctionExecutor``, which does what Snowflake's executor does (PLATFORM.md section
2b): it cuts the rows into batches of at most ``MAX_BATCH_ROWS``, POSTs each as
``{"data": [[row, arg1, arg2, ...], ...]}`` to the endpoint's path with the query and batch
id headers, sends batches in parallel, retries a batch on 404, 429, 500, 502, 503 and 504 up
to ``MAX_BATCH_RETRIES`` times (default 3, BCR-1938), then aborts the query or, with
``RETURN_NULL``, gives that batch's rows NULL.

A Model Registry service's method (``SVC!METHOD(...)``, which sqlglot cannot parse) is
bound with ``bind_method`` and its signature's argument types: a call with another number
of arguments fails, as on an account. Its rows go to the ``inference`` endpoint at the
method's path (``_`` as ``-``).

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
DEFAULT_BATCH_RETRIES = 3
_PART = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_NAME = r"%s(?:\.%s){0,2}" % (_PART, _PART)
_CREATE_FUNCTION = re.compile(
    r"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?P<alter>OR\s+ALTER\s+)?FUNCTION\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>%s)\s*\((?P<args>[^)]*)\)\s+RETURNS\s+(?P<returns>\w+)\s+(?P<options>.*?)\s*"
    r"AS\s+'(?P<path>[^']*)'$" % _NAME, re.S | re.I)
_OPTION = re.compile(r"(SERVICE|ENDPOINT|MAX_BATCH_ROWS|MAX_BATCH_RETRIES|ON_BATCH_FAILURE|BATCH_TIMEOUT_SECS)"
                     r"\s*=\s*(%s|\d+)|COMMENT\s*=\s*'(?:[^'\\]|\\.)*'" % _NAME, re.I)
_METHOD_CALL = re.compile(r"(?P<service>%s)!(?P<method>[A-Za-z_][A-Za-z0-9_]*)\s*\(" % _NAME)
# Snowflake types (with the synonyms snowflake-ml's manifests use) -> the UDF's DuckDB types.
_DUCK_TYPES = {"VARCHAR": "VARCHAR", "STRING": "VARCHAR", "TEXT": "VARCHAR", "FLOAT": "DOUBLE", "DOUBLE": "DOUBLE",
               "NUMBER": "BIGINT", "INT": "BIGINT", "INTEGER": "BIGINT", "BIGINT": "BIGINT", "SMALLINT": "BIGINT",
               "BYTEINT": "BIGINT", "BOOLEAN": "BOOLEAN", "ARRAY": "VARCHAR", "OBJECT": "VARCHAR",
               "VARIANT": "VARCHAR"}
_JSON_TYPES = ("ARRAY", "OBJECT", "VARIANT")


class SnowflakeError(Exception):
    """A statement refused as Snowflake refuses it (compilation error)."""


def name_parts(name):
    """The parts of a qualified name as Snowflake resolves them (unquoted upper-cased, quoted exact)."""
    return tuple(p[1:-1].replace('""', '"') if p.startswith('"') else p.upper()
                 for p in re.findall(_PART, name))


class ServiceFunctionExecutor:
    """Calls a service endpoint for the rows of a query, in batches, as Snowflake's executor does."""

    def __init__(self, base_url, token, path, max_batch_rows, parallel=4, max_batch_retries=DEFAULT_BATCH_RETRIES,
                 on_batch_failure="ABORT", backoff=0.05):
        self.url = base_url.rstrip("/") + path
        self.headers = {"Authorization": 'Snowflake Token="%s"' % token, "Content-Type": "application/json"}
        self.max_batch_rows = max_batch_rows
        self.parallel = parallel
        self.max_batch_retries = max_batch_retries
        self.on_batch_failure = on_batch_failure.upper()
        self.backoff = backoff
        self.session = requests.Session()
        self.batches = 0
        self.retries = 0
        self.failed_batches = 0
        self.json_args = ()  # positions of OBJECT / ARRAY arguments, which travel as JSON values

    def __call__(self, *columns):
        """A DuckDB arrow UDF: one JSON text per row (the value the service returned for it)."""
        rows = [tuple(json.loads(v) if i in self.json_args and v is not None else v for i, v in enumerate(row))
                for row in zip(*[c.to_pylist() for c in columns])]
        query_id = str(uuid.uuid4())
        batches = [rows[i:i + self.max_batch_rows] for i in range(0, len(rows), self.max_batch_rows)]
        with ThreadPoolExecutor(self.parallel) as pool:
            answers = list(pool.map(lambda b: self._post(query_id, b), batches))
        out = [None if v is None else json.dumps(v) for batch in answers for v in batch]
        return pa.array(out, type=pa.string())

    def _post(self, query_id, rows):
        batch_id = str(uuid.uuid4())
        body = {"data": [[i] + list(row) for i, row in enumerate(rows)]}
        headers = dict(self.headers, **{"sf-external-function-current-query-id": query_id,
                                        "sf-external-function-query-batch-id": batch_id})
        self.batches += 1
        for attempt in range(self.max_batch_retries + 1):
            r = self.session.post(self.url, json=body, headers=headers, timeout=30)
            if r.status_code == 200:
                answered = r.json()["data"]
                by_index = {row[0]: row[1] for row in answered}
                if sorted(by_index) != list(range(len(rows))):
                    raise RuntimeError("the service answered rows %s for %d rows" % (sorted(by_index), len(rows)))
                return [by_index[i] for i in range(len(rows))]
            if r.status_code not in RETRIED_STATUSES or attempt == self.max_batch_retries:
                self.failed_batches += 1
                if self.on_batch_failure == "RETURN_NULL":
                    return [None] * len(rows)
                raise RuntimeError("service function batch failed: HTTP %d %s" % (r.status_code, r.text[:200]))
            self.retries += 1
            time.sleep(self.backoff * (2 ** attempt))
        raise AssertionError("unreachable")


def to_duckdb(statement):
    """``statement`` (Snowflake SQL) written for DuckDB."""
    def fix(node):
        # A VARIANT string cast to VARCHAR is the string itself in Snowflake; DuckDB's JSON cast
        # keeps its quotes: read it as a scalar instead.
        if (isinstance(node, exp.Cast) and isinstance(node.this, exp.JSONExtract)
                and node.to.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)):
            return exp.JSONExtractScalar(this=node.this.this, expression=node.this.expression)
        if isinstance(node, exp.DataType):
            if node.this == exp.DataType.Type.VECTOR:
                return exp.DataType.build("FLOAT[%s]" % node.expressions[-1].name, dialect="duckdb")
            if node.this == exp.DataType.Type.ARRAY and not node.expressions:
                return exp.DataType.build("JSON")
        return node
    return sqlglot.parse_one(statement, read="snowflake").transform(fix).sql(dialect="duckdb")


class LocalSnowflake:
    """DuckDB with a DB.SCH schema, running Snowflake statements; ``bind`` supplies each service's endpoints."""

    def __init__(self, database="DB", schema="SCH"):
        self.duck = duckdb.connect()
        self.duck.execute("ATTACH ':memory:' AS %s" % database)
        self.duck.execute("CREATE SCHEMA %s.%s" % (database, schema))
        self.services = {}  # service name parts -> (token, {endpoint: base URL} or None for any endpoint)
        self.executors = {}  # function name parts -> ServiceFunctionExecutor
        self.methods = {}  # (service name parts, METHOD) -> (macro name, ServiceFunctionExecutor)
        self.statements = []
        self.query_tag = None
        self.started = []  # query ids passed to on_start, in order

    def bind(self, service, base_url, token, endpoints=None):
        """Service ``service`` answers at ``base_url``; ``endpoints`` ({name: base URL}) lists its endpoints."""
        self.services[name_parts(service)] = (token, endpoints or {None: base_url})

    def bind_method(self, service, method, argument_types, base_url=None, token=None):
        """``service!METHOD(...)`` takes ``argument_types`` (SQL types, signature order) and posts to its inference endpoint."""
        key = name_parts(service)
        if base_url is None:
            token, endpoints = self.services[key]
            base_url = endpoints.get("inference") or endpoints.get(None)
        path = "/" + method.lower().replace("_", "-")
        executor = ServiceFunctionExecutor(base_url, token, path, 1000)
        macro = '"__spcs_method_%d"' % len(self.methods)
        self._register(macro, argument_types, executor, replace=False)
        self.methods[(key, method.upper())] = (macro, executor)
        return executor

    def execute(self, statement, on_start=None):
        """Run one statement; return a query id (``on_start(query_id)`` is called before it runs)."""
        self.statements.append(statement)
        query_id = str(uuid.uuid4())
        text = statement.strip()
        tag = re.match(r"^ALTER SESSION SET QUERY_TAG = '([^']*)'$", text)
        if tag:
            self.query_tag = tag.group(1)  # DuckDB has no query history to tag
            return query_id
        if re.match(r"^CREATE\s+(OR\s+\w+\s+)?FUNCTION\b", text, re.I):
            self._create_function(text)
            return query_id
        if on_start is not None:
            self.started.append(query_id)
            on_start(query_id)
        self.duck.execute(to_duckdb(self._methods_to_macros(text)))
        return query_id

    def rows(self, query):
        cur = self.duck.execute(to_duckdb(self._methods_to_macros(query)))
        names = [d[0].upper() for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def column_types(self, query):
        """{column: DuckDB type} of a query's result (what a driver's result metadata would say)."""
        cur = self.duck.execute("DESCRIBE " + to_duckdb(self._methods_to_macros(query)))
        return {row[0]: row[1] for row in cur.fetchall()}

    def _methods_to_macros(self, text):
        def swap(m):
            key = (name_parts(m.group("service")), m.group("method").upper())
            if key not in self.methods:
                raise SnowflakeError("SQL compilation error: Unknown function %s!%s" % (
                    ".".join(key[0]), key[1]))
            return self.methods[key][0] + "("
        return _METHOD_CALL.sub(swap, text)

    def _create_function(self, statement):
        m = _CREATE_FUNCTION.match(statement)
        if m is None or m.group("ine") or m.group("alter"):
            raise SnowflakeError("SQL compilation error: syntax error in %r: not CREATE [ OR REPLACE ] FUNCTION "
                                 "... SERVICE = ... ENDPOINT = ... AS '<path>' (CREATE FUNCTION (Snowpark "
                                 "Container Services))" % statement[:60])
        name = name_parts(m.group("name"))
        if name in self.executors and not m.group("replace"):
            raise SnowflakeError("SQL compilation error: Object '%s' already exists." % ".".join(name))
        options = {o.group(1).upper(): o.group(2) for o in _OPTION.finditer(m.group("options")) if o.group(1)}
        if "SERVICE" not in options or "ENDPOINT" not in options:
            raise SnowflakeError("SQL compilation error: a service function needs SERVICE and ENDPOINT.")
        service = name_parts(options["SERVICE"])
        if service not in self.services:
            raise SnowflakeError("SQL compilation error: Service '%s' does not exist or not authorized."
                                 % ".".join(service))
        token, endpoints = self.services[service]
        endpoint = name_parts(options["ENDPOINT"])[0] if options["ENDPOINT"].startswith('"') \
            else options["ENDPOINT"].lower()
        base_url = endpoints.get(endpoint) or endpoints.get(None)
        if base_url is None:
            raise SnowflakeError("SQL compilation error: Endpoint '%s' does not exist in service %s (endpoints: %s)."
                                 % (endpoint, ".".join(service), ", ".join(sorted(endpoints))))
        types = [a.strip().split()[-1].upper() for a in m.group("args").split(",") if a.strip()]
        executor = ServiceFunctionExecutor(
            base_url, token, m.group("path"), int(options.get("MAX_BATCH_ROWS") or 1000),  # unset: Snowflake picks
            max_batch_retries=int(options.get("MAX_BATCH_RETRIES", DEFAULT_BATCH_RETRIES)),
            on_batch_failure=options.get("ON_BATCH_FAILURE", "ABORT"))
        self._register(m.group("name"), types, executor, replace=True)
        self.executors[name] = executor

    def _register(self, sql_name, types, executor, replace):
        self._udfs = getattr(self, "_udfs", 0) + 1
        udf = "spcs_udf_%d" % self._udfs
        executor.json_args = tuple(i for i, t in enumerate(types) if t in _JSON_TYPES)
        # DuckDB reads the UDF's arity from its parameters: give it exactly one per argument.
        params = ", ".join("a%d" % i for i in range(len(types)))
        fixed_arity = eval("lambda %s: executor(%s)" % (params, params), {"executor": executor})  # noqa: S307
        self.duck.create_function(udf, fixed_arity, [_DUCK_TYPES[t] for t in types], "VARCHAR", type="arrow",
                                  null_handling="special")
        params = ["a%d" % i for i in range(len(types))]
        args = ", ".join("to_json(%s)::VARCHAR" % p if t in _JSON_TYPES else p for p, t in zip(params, types))
        # A macro gives the UDF the function's schema-qualified name, as Snowflake resolves it.
        self.duck.execute("CREATE %sMACRO %s(%s) AS CAST(%s(%s) AS JSON)" % (
            "OR REPLACE " if replace else "", sql_name, ", ".join(params), udf, args))
