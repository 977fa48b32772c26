"""Snowflake SQL about services: discover services and endpoints, read their status, resume and suspend them.

Runs on a connection from ``connection``. Service names from settings are validated as
identifiers before they reach a statement; string arguments are bound, not pasted.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from typing import List

from ..errors import ServiceError
from .identifiers import check_identifier

logger = logging.getLogger(__name__)


@dataclass
class Endpoint:
    name: str
    ingress_url: str
    is_public: bool
    port: str = ""


@dataclass
class ServiceInfo:
    """One service as SHOW SERVICES and SHOW ENDPOINTS describe it."""

    name: str
    database: str
    schema: str
    status: str
    compute_pool: str
    endpoints: List[Endpoint] = field(default_factory=list)

    @property
    def qualified_name(self):
        return "%s.%s.%s" % (self.database, self.schema, self.name)

    @property
    def quoted_name(self):
        """DB.SCHEMA.NAME with every part quoted as SHOW SERVICES spells it (a lower-case or odd name stays itself)."""
        return _qualified(self)


def _rows(cursor, sql, params=None):
    cursor.execute(sql, params)
    names = [d[0].lower() for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def list_services(conn, with_endpoints=True):
    """Every service the role can see, with its public endpoints' ingress URLs."""
    cur = conn.cursor()
    try:
        services = [ServiceInfo(r["name"], r.get("database_name", ""), r.get("schema_name", ""), r.get("status", ""),
                                r.get("compute_pool", "")) for r in _rows(cur, "SHOW SERVICES IN ACCOUNT")]
        if with_endpoints:
            for s in services:
                for r in _rows(cur, "SHOW ENDPOINTS IN SERVICE %s" % _qualified(s)):
                    s.endpoints.append(Endpoint(r.get("name", ""), r.get("ingress_url") or "",
                                                str(r.get("is_public", "")).lower() == "true", str(r.get("port", ""))))
        return services
    finally:
        cur.close()


def _qualified(service):
    return ".".join('"%s"' % p.replace('"', '""') for p in (service.database, service.schema, service.name) if p)


def service_status(conn, name):
    """READY, PENDING, SUSPENDED, FAILED... for service ``name`` (the first container's status)."""
    cur = conn.cursor()
    try:
        cur.execute("SELECT SYSTEM$GET_SERVICE_STATUS(%s)", (check_identifier(name),))
        raw = cur.fetchone()[0]
    finally:
        cur.close()
    containers = json.loads(raw) if raw else []
    return containers[0].get("status", "UNKNOWN") if containers else "UNKNOWN"


def alter_service(conn, name, action):
    """``ALTER SERVICE <name> RESUME`` or ``SUSPEND``."""
    if action not in ("RESUME", "SUSPEND"):
        raise ValueError(action)
    cur = conn.cursor()
    try:
        cur.execute("ALTER SERVICE %s %s" % (check_identifier(name), action))
    finally:
        cur.close()


def wait_for_status(conn, name, wanted=("READY",), timeout=600.0, poll=2.0, clock=time.monotonic, sleep=time.sleep,
                    on_status=None):
    """Poll until the service's status is in ``wanted``; ``ServiceError`` after ``timeout`` seconds."""
    deadline = clock() + timeout
    while True:
        status = service_status(conn, name)
        if on_status:
            on_status(status)
        if status in wanted:
            return status
        if status == "FAILED":
            raise ServiceError("Service %s FAILED to start: see SHOW SERVICE CONTAINERS IN SERVICE %s and its "
                               "logs (SYSTEM$GET_SERVICE_LOGS)." % (name, name))
        if clock() >= deadline:
            raise ServiceError("Service %s is still %s after %.0f s." % (name, status, timeout))
        sleep(poll)


# The endpoint snowflake-ml gives a Model Registry service and looks for (``ModelOperator.
# INFERENCE_SERVICE_ENDPOINT_NAME`` in snowflake/ml/model/_client/ops/model_ops.py, 2.6.0).
INFERENCE_ENDPOINT = "inference"


def endpoints_at_host(services, host):
    """Every (service, endpoint) whose ingress URL is at ``host`` (host[:port], any case)."""
    host = host.lower()
    return [(s, e) for s in services for e in s.endpoints
            if e.ingress_url and e.ingress_url.lower().split("/")[0] == host]


def service_for_host(services, host):
    """The service one of whose endpoints has ingress host ``host`` (None if none does).

    An ingress host belongs to one service; if the listing shows it under several (it
    should not), ``ServiceError`` names them rather than picking one.
    """
    found = {s.quoted_name: s for s, _ in endpoints_at_host(services, host)}
    if len(found) > 1:
        raise ServiceError("the ingress host %s is listed under several services (%s): give the service name "
                           "instead." % (host, ", ".join(sorted(found))))
    return next(iter(found.values()), None)
