"""Where a push-down run's statements run: snowflake-connector-python, or DSS's ``SQLExecutor2``.

Both give ``rows(query)`` (dicts with upper-case keys); the connector engine also ``execute``s
statements (asynchronously for the long one, so its query id is known before it ends), while
in DSS the recipe's query is written by ``exec_recipe_fragment`` (``runner.run_in_dss``).
"""

import time


class ConnectorEngine:
    """Runs statements on a DB-API connection of snowflake-connector-python."""

    def __init__(self, conn, sleep=time.sleep, poll=2.0):
        self.conn = conn
        self._sleep = sleep
        self._poll = poll

    def execute(self, statement, on_start=None):
        """Run one statement; return its query id (None if the driver has none).

        With ``on_start``, the statement is submitted asynchronously and ``on_start(query_id)``
        is called before waiting for it, the connector's documented pattern for long queries
        (``execute_async``, then ``get_query_status_throw_if_error`` until not still running).
        """
        cur = self.conn.cursor()
        try:
            if on_start is None or not hasattr(cur, "execute_async"):
                cur.execute(statement)
                return getattr(cur, "sfqid", None)
            cur.execute_async(statement)
            query_id = cur.sfqid
            on_start(query_id)
            while self.conn.is_still_running(self.conn.get_query_status_throw_if_error(query_id)):
                self._sleep(self._poll)
            return query_id
        finally:
            cur.close()

    def rows(self, query):
        """The rows of ``query`` as dicts with upper-case keys."""
        cur = self.conn.cursor()
        try:
            cur.execute(query)
            names = [d[0].upper() for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]
        finally:
            cur.close()


class DSSEngine:
    """Runs inside a DSS recipe: reads through ``SQLExecutor2``, writes with ``exec_recipe_fragment``."""

    def __init__(self, executor_class, input_dataset, output_dataset):
        self.executor_class = executor_class
        self.executor = executor_class(dataset=input_dataset)
        self.output_dataset = output_dataset

    def rows(self, query):
        """The rows of ``query`` as dicts with upper-case keys."""
        frame = self.executor.query_to_df(query)
        names = [str(c).upper() for c in frame.columns]
        return [dict(zip(names, r)) for r in frame.values.tolist()]

    def cursor(self):
        """The slice of the DB-API that ``services.list_services`` uses."""
        return _ExecutorCursor(self)

    def close(self):
        pass


class _ExecutorCursor:
    def __init__(self, engine):
        self.engine = engine
        self.description = []
        self._rows = []

    def execute(self, query, params=None):
        frame = self.engine.executor.query_to_df(query)
        self.description = [(str(c),) for c in frame.columns]
        self._rows = frame.values.tolist()

    def fetchall(self):
        return self._rows

    def close(self):
        pass
