"""Stand-ins for ``dataiku.Dataset`` and ``dataiku.SQLExecutor2`` over a local SQL engine.

``Dataset.register`` declares a Snowflake table dataset (its location info and schema);
``SQLExecutor2.engine`` is the engine (``devtools/local_snowflake.LocalSnowflake``).
``exec_recipe_fragment`` does what DSS documents: run the pre-queries, then write the
SELECT's rows to the output, replacing them unless the output is in append mode, then the
post-queries. DSS reads a Snowflake query's columns through the Snowflake JDBC driver, which
does not support the VECTOR type (Snowflake: "The VECTOR data type is only supported in SQL,
the Python connector and the Snowpark Python library"; snowflake-jdbc#2684: no Java type for
VECTOR in the result metadata): a query returning a VECTOR column is refused here.
"""

import re


class _Frame:
    """The slice of a pandas DataFrame the plugin reads: ``columns`` and ``values.tolist()``."""

    def __init__(self, columns, rows):
        self.columns = columns
        self.values = self
        self._rows = rows

    def tolist(self):
        return [list(r) for r in self._rows]


class Dataset(object):
    registry = {}

    def __init__(self, name, project_key=None):
        self.name = name
        self._spec = self.registry[name]

    @classmethod
    def register(cls, name, table, columns, connection="snowflake", append=False):
        """``table`` quoted and qualified, as DSS's quotedResolvedTableName."""
        cls.registry[name] = {"table": table, "columns": list(columns), "connection": connection, "append": append}

    def get_location_info(self, sensitive_info=False):
        return {"locationInfoType": "SQL", "info": {
            "databaseType": "Snowflake", "connectionName": self._spec["connection"],
            "quotedResolvedTableName": self._spec["table"], "table": self._spec["table"].split(".")[-1].strip('"')}}

    def read_schema(self, raise_if_empty=True):
        return [{"name": c, "type": "string"} for c in self._spec["columns"]]


class SQLExecutor2(object):
    engine = None
    fragments = []

    def __init__(self, connection=None, dataset=None):
        self.dataset = dataset

    def query_to_df(self, query, pre_queries=None, post_queries=None):
        for q in pre_queries or []:
            self.engine.execute(q)
        rows = self.engine.rows(query)
        columns = list(rows[0]) if rows else []
        return _Frame(columns, [[r[c] for c in columns] for r in rows])

    @staticmethod
    def exec_recipe_fragment(output_dataset, query, pre_queries=[], post_queries=[], overwrite_output_schema=True,
                             drop_partitioned_on_schema_mismatch=False):
        engine = SQLExecutor2.engine
        SQLExecutor2.fragments.append({"query": query, "pre_queries": list(pre_queries),
                                       "post_queries": list(post_queries),
                                       "overwrite_output_schema": overwrite_output_schema})
        for q in pre_queries:
            engine.execute(q)
        vectors = [c for c, t in engine.column_types(query).items() if re.match(r"^FLOAT\[\d+\]$", t)]
        if vectors:  # the local engine's VECTOR(FLOAT, n)
            raise RuntimeError("DSS cannot read the column type of %s: the Snowflake JDBC driver has no Java type "
                               "for VECTOR" % ", ".join(vectors))
        table = output_dataset._spec["table"]
        if output_dataset._spec["append"] and _exists(engine, table):
            engine.execute("INSERT INTO %s %s" % (table, query))
        else:
            engine.execute("CREATE OR REPLACE TABLE %s AS %s" % (table, query))
        for q in post_queries:
            engine.execute(q)


def _exists(engine, table):
    try:
        engine.rows("SELECT 1 FROM %s LIMIT 0" % table)
        return True
    except Exception:
        return False
