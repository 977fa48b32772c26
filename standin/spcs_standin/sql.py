"""The SQL API of the account (``/queries/v1/query-request``), for snowflake-connector-python.

Answers the statements the plugin's admin tools run, in the connector's JSON result
format (``rowtype`` + ``rowset`` of strings): ``SHOW SERVICES``, ``SHOW ENDPOINTS IN
SERVICE``, ``DESCRIBE SERVICE``, ``SELECT SYSTEM$GET_SERVICE_STATUS(...)`` and
``ALTER SERVICE ... RESUME | SUSPEND``. Anything else fails as Snowflake does, with a SQL
compilation error.
"""

import json
import re
import time
import uuid

SERVICE_COLUMNS = ["name", "status", "database_name", "schema_name", "owner", "compute_pool", "dns_name",
                   "current_instances", "target_instances", "min_instances", "max_instances", "auto_resume",
                   "created_on", "comment"]
ENDPOINT_COLUMNS = ["name", "port", "port_range", "protocol", "is_public", "ingress_url"]
_NAME = r"((?:\"[^\"]+\"|[A-Za-z0-9_$]+)(?:\.(?:\"[^\"]+\"|[A-Za-z0-9_$]+)){0,2})"


def _unquote(name):
    return name.split(".")[-1].strip('"').upper()


class SqlEngine:
    """Runs the supported statements against the stand-in's services."""

    def __init__(self, standin, resume_seconds=1.0):
        self.standin = standin
        self.resume_seconds = resume_seconds  # how long a resumed service stays PENDING
        self.statements = []

    def _service(self, name):
        wanted = _unquote(name)
        for service in self.standin.services.values():
            if service.name.upper() == wanted:
                return service
        raise _SqlError("002003", "02000", "SQL compilation error:\nService '%s' does not exist or not authorized."
                        % name.upper())

    def _service_row(self, s):
        status = s.status()
        return [s.name.upper(), status, "ML", "SERVING", "SYSADMIN", "STANDIN_POOL", s.name.lower() + ".svc.spcs.internal",
                "0" if status == "SUSPENDED" else "1", "1", "1", "1", "true", "2026-01-01 00:00:00.000 +0000", ""]

    def execute(self, sql):
        """(column names, rows) for ``sql``, or raises _SqlError."""
        text = " ".join(sql.strip().rstrip(";").split())
        self.statements.append(text)
        upper = text.upper()
        if re.fullmatch(r"SHOW SERVICES( IN (ACCOUNT|DATABASE \S+|SCHEMA \S+))?( LIMIT \d+)?", upper):
            return SERVICE_COLUMNS, [self._service_row(s) for s in self.standin.services.values()]
        m = re.fullmatch(r"SHOW ENDPOINTS IN SERVICE " + _NAME, text, re.IGNORECASE)
        if m:
            s = self._service(m.group(1))
            return ENDPOINT_COLUMNS, [[s.name.lower() + "-ep", str(s.port), "", "HTTP", "true",
                                       self.standin.host_of(s.name)]]
        m = re.fullmatch(r"(?:DESCRIBE|DESC) SERVICE " + _NAME, text, re.IGNORECASE)
        if m:
            return SERVICE_COLUMNS + ["spec"], [self._service_row(self._service(m.group(1))) + ["spec: {}"]]
        m = re.fullmatch(r"SELECT SYSTEM\$GET_SERVICE_STATUS\('([^']+)'(?:\s*,\s*\d+)?\)", text, re.IGNORECASE)
        if m:
            s = self._service(m.group(1))
            status = s.status()
            value = json.dumps([{"status": status, "message": {"READY": "Running", "PENDING": "Resuming",
                                                                "SUSPENDED": "Service is suspended"}[status],
                                 "containerName": "main", "instanceId": "0", "serviceName": s.name.upper(),
                                 "image": "/ml/serving/repo/" + s.kind + ":latest", "restartCount": 0,
                                 "startTime": ""}])
            return ["SYSTEM$GET_SERVICE_STATUS('%s')" % m.group(1)], [[value]]
        m = re.fullmatch(r"ALTER SERVICE (?:IF EXISTS )?" + _NAME + r" (RESUME|SUSPEND)", text, re.IGNORECASE)
        if m:
            s = self._service(m.group(1))
            if m.group(2).upper() == "SUSPEND":
                s.suspend()
            elif s.status() == "SUSPENDED":
                s.suspend(auto_resume_after=self.resume_seconds)  # PENDING, then READY
            return ["status"], [["Statement executed successfully."]]
        raise _SqlError("001003", "42000", "SQL compilation error:\nsyntax error line 1 at position 0 unexpected '%s'."
                        % text.split(" ")[0])


class _SqlError(Exception):
    def __init__(self, code, state, message):
        self.code, self.state = code, state
        super().__init__(message)


def query_response(engine, body):
    """The connector's JSON answer to a query-request body."""
    query_id = str(uuid.uuid4())
    try:
        columns, rows = engine.execute(body.get("sqlText") or "")
    except _SqlError as exc:
        return {"success": False, "code": exc.code, "message": str(exc),
                "data": {"queryId": query_id, "sqlState": exc.state, "errorCode": exc.code}}
    return {"success": True, "code": None, "message": None, "data": {
        "parameters": [], "queryId": query_id, "queryResultFormat": "json", "total": len(rows),
        "returned": len(rows), "rowtype": [
            {"name": c, "database": "", "schema": "", "table": "", "type": "text", "length": 16777216,
             "byteLength": 16777216, "precision": None, "scale": None, "nullable": True, "collation": None}
            for c in columns],
        "rowset": rows, "sqlState": "00000", "statementTypeId": 4096,
        "finalDatabaseName": "ML", "finalSchemaName": "SERVING", "finalRoleName": "SYSADMIN",
        "finalWarehouseName": None, "queryContext": {"entries": []}, "sendResultTime": int(time.time() * 1000)}}
