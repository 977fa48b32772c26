"""The SQL API of the account (``/queries/v1/query-request``), for snowflake-connector-python.

Answers the statements the plugin's admin tools run, in the connector's JSON result
format (``rowtype`` + ``rowset`` of strings): ``SHOW SERVICES``, ``SHOW ENDPOINTS IN
SERVICE``, ``DESCRIBE SERVICE``, ``SELECT SYSTEM$GET_SERVICE_STATUS(...)`` and
``ALTER SERVICE ... RESUME | SUSPEND``. Anything else fails as Snowflake does, with a SQL
compilation error.

Names resolve as Snowflake resolves them: an unquoted part is upper-cased, a quoted part is
kept exactly (``"embed_svc"`` is not ``EMBED_SVC``), and a name that gives its database or
schema must give the service's. By default stand-in service ``st`` lives at ``ML.SERVING.ST``
(as if created unquoted) with one endpoint ``st-ep``; ``names``, ``locations`` and
``endpoints`` change that per service, e.g. a service created as ``ML.STAGING."embed-svc"``
with a ``ui`` endpoint listed before ``inference``.
"""

import json
import re
import time
import uuid

SERVICE_COLUMNS = ["name", "status", "database_name", "schema_name", "owner", "compute_pool", "dns_name",
                   "current_instances", "target_instances", "min_instances", "max_instances", "auto_resume",
                   "created_on", "comment"]
ENDPOINT_COLUMNS = ["name", "port", "port_range", "protocol", "is_public", "ingress_url"]
_NAME = r"((?:\"(?:[^\"]|\"\")+\"|[A-Za-z0-9_$]+)(?:\.(?:\"(?:[^\"]|\"\")+\"|[A-Za-z0-9_$]+)){0,2})"


def name_parts(name):
    """The parts of a qualified name as Snowflake resolves them (unquoted: upper case; quoted: exact)."""
    parts, current, quoted, i = [], "", False, 0
    text = name.strip()
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and text[i + 1:i + 2] == '"':  # a doubled quote inside a quoted part
                current += '"'
                i += 2
                continue
            quoted = not quoted
            current += "\x00" if quoted else ""  # marks the part as quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return [p[1:] if p.startswith("\x00") else p.upper() for p in parts]


class SqlEngine:
    """Runs the supported statements against the stand-in's services."""

    def __init__(self, standin, resume_seconds=1.0):
        self.standin = standin
        self.resume_seconds = resume_seconds  # how long a resumed service stays PENDING
        self.statements = []
        self.names = {}  # stand-in service -> its Snowflake name, exactly (default: the name upper-cased)
        self.locations = {}  # stand-in service -> (database, schema) (default: ("ML", "SERVING"))
        self.endpoints = {}  # stand-in service -> [(endpoint name, ingress host or None for the service's)]

    def snowflake_name(self, service):
        """(database, schema, name) of a stand-in service, as SHOW SERVICES spells them."""
        database, schema = self.locations.get(service.name, ("ML", "SERVING"))
        return database, schema, self.names.get(service.name, service.name.upper())

    def _service(self, name):
        wanted = name_parts(name)
        for service in self.standin.services.values():
            if tuple(wanted) == self.snowflake_name(service)[-len(wanted):]:
                return service
        raise _SqlError("002003", "02000", "SQL compilation error:\nService '%s' does not exist or not authorized."
                        % ".".join(wanted))

    def _service_row(self, s):
        status = s.status()
        database, schema, name = self.snowflake_name(s)
        return [name, status, database, schema, "SYSADMIN", "STANDIN_POOL", name.lower() + ".svc.spcs.internal",
                "0" if status == "SUSPENDED" else "1", "1", "1", "1", "true", "2026-01-01 00:00:00.000 +0000", ""]

    def _endpoint_rows(self, s):
        listed = self.endpoints.get(s.name) or [(s.name.lower() + "-ep", None)]
        return [[name, str(s.port), "", "HTTP", "true", host or self.standin.host_of(s.name)] for name, host in listed]

    def execute(self, sql):
        """(column names, rows) for ``sql``, or raises _SqlError."""
        text = " ".join(sql.strip().rstrip(";").split())
        self.statements.append(text)
        upper = text.upper()
        if re.fullmatch(r"SHOW SERVICES( IN (ACCOUNT|DATABASE \S+|SCHEMA \S+))?( LIMIT \d+)?", upper):
            return SERVICE_COLUMNS, [self._service_row(s) for s in self.standin.services.values()]
        m = re.fullmatch(r"SHOW ENDPOINTS IN SERVICE " + _NAME, text, re.IGNORECASE)
        if m:
            return ENDPOINT_COLUMNS, self._endpoint_rows(self._service(m.group(1)))
        m = re.fullmatch(r"(?:DESCRIBE|DESC) SERVICE " + _NAME, text, re.IGNORECASE)
        if m:
            return SERVICE_COLUMNS + ["spec"], [self._service_row(self._service(m.group(1))) + ["spec: {}"]]
        m = re.fullmatch(r"SELECT SYSTEM\$GET_SERVICE_STATUS\('([^']+)'(?:\s*,\s*\d+)?\)", text, re.IGNORECASE)
        if m:
            s = self._service(m.group(1))
            status = s.status()
            value = json.dumps([{"status": status, "message": {"READY": "Running", "PENDING": "Resuming",
                                                                "SUSPENDED": "Service is suspended"}[status],
                                 "containerName": "main", "instanceId": "0", "serviceName": self.snowflake_name(s)[2],
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
