"""Snowflake SQL for the admin tools: discover services and endpoints, resume and suspend them.

Uses snowflake-connector-python with the same credentials as the LLM component (OAuth
access token, key pair, PAT). Service names from settings are validated as identifiers
before they reach a statement; string arguments are bound, not pasted.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from typing import List
from urllib.parse import urlsplit

from ..errors import ServiceError
from ..auth.keypair_jwt import load_private_key
from ..auth.credentials import KeyPairCredential, OAuthCredential, PatCredential
from .identifiers import check_identifier  # noqa: F401  (re-exported for the admin tools)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionCredential:
    """A live Snowflake session (its session and master tokens), such as the one an OAuth model holds."""

    session_token: str = field(repr=False)
    master_token: str = field(repr=False)


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


def connector_args(account_url, credential, role=None):
    """Keyword arguments of ``snowflake.connector.connect`` for our credential types."""
    parts = urlsplit(account_url)
    args = {"host": parts.hostname, "port": parts.port or (443 if parts.scheme == "https" else 80),
            "protocol": parts.scheme, "account": parts.hostname.split(".")[0], "login_timeout": 60,
            "network_timeout": 60, "client_session_keep_alive": False}
    if isinstance(credential, SessionCredential):
        # Kept alive on close: the model goes on sending this session's token to the ingress.
        args.update(session_token=credential.session_token, master_token=credential.master_token,
                    server_session_keep_alive=True)
    elif isinstance(credential, OAuthCredential):
        args.update(authenticator="oauth", token=credential.access_token)
    elif isinstance(credential, PatCredential):
        args.update(authenticator="PROGRAMMATIC_ACCESS_TOKEN", token=credential.token)
        role = role or credential.role
    elif isinstance(credential, KeyPairCredential):
        args.update(authenticator="SNOWFLAKE_JWT", account=credential.account, user=credential.user,
                    private_key=load_private_key(credential.private_key_pem, credential.passphrase))
        role = role or credential.role
    else:
        raise TypeError("unknown credential type %s" % type(credential).__name__)
    if role:
        args["role"] = role
    return args


def connect(account_url, credential, role=None):
    """An open connection (the caller closes it)."""
    import snowflake.connector

    return snowflake.connector.connect(**connector_args(account_url, credential, role))


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


def service_for_host(services, host):
    """The service one of whose endpoints has ingress host ``host`` (None if none does)."""
    host = host.lower()
    for s in services:
        for e in s.endpoints:
            if e.ingress_url and e.ingress_url.lower().split("/")[0] == host:
                return s
    return None
