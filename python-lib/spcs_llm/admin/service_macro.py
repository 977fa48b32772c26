"""The "SPCS services" macro: list services and their ingress URLs; resume or suspend one.

``python-runnables/spcs-services/runnable.py`` only hands its config and DSS's progress
callback to ``run``. While a RESUME waits for READY, the seconds waited are reported as
progress against the wait timeout (``progress_target``). The connector's errors never reach
the user raw: a refused login, a service that does not exist or is not authorized, a
missing grant and a missing service name each become our error with the fix, with the
credential's secrets scrubbed from whatever Snowflake said.
"""

import html
import logging
import re
import time

from ..auth.credentials import KeyPairCredential, OAuthCredential, PatCredential
from ..errors import AuthError, ConfigError, ServiceError, SPCSLLMError
from ..settings import parse_connection
from ..snowflake import connection, services
from ..snowflake.identifiers import check_identifier
from ..wire.server_text import Scrubber, clean

logger = logging.getLogger(__name__)

ACTIONS = ("LIST", "RESUME", "SUSPEND")
DEFAULT_WAIT = 600.0
# Snowflake error numbers the connector reports (``errno``): an object that does not exist or that
# the role may not see, and a privilege the role lacks.
DOES_NOT_EXIST = 2003
INSUFFICIENT_PRIVILEGES = 3001


def progress_target(config):
    """What DSS asks before the run: the wait timeout in seconds when a RESUME waits for READY, else None."""
    if _action(config) == "RESUME" and config.get("waitForReady", True):
        return (int(_wait_timeout(config)), "NONE")
    return None


def run(config, connect=connection.connect, progress=None, clock=time.monotonic):
    """Do what the macro's form asks and return the HTML report."""
    auth_mode, account_url, credential = parse_connection(config)
    action = _action(config)
    if action not in ACTIONS:
        raise ConfigError("action", "must be one of %s." % ", ".join(ACTIONS))
    name = None
    if action != "LIST":
        if not (config.get("serviceName") or "").strip():
            raise ConfigError("serviceName", "is needed to %s a service: enter it as DB.SCHEMA.SERVICE, as the "
                                             "action 'List services and endpoints' shows it." % action.lower())
        name = check_identifier(config.get("serviceName"))
    scrub = Scrubber(lambda: _secrets(credential))
    role = config.get("role") or None
    conn = open_session(connect, account_url, credential, role, scrub)
    notes = []
    try:
        if action != "LIST":
            run_sql(lambda: services.alter_service(conn, name, action), "ALTER SERVICE %s %s" % (name, action), name,
                 role, scrub)
            notes.append("ALTER SERVICE %s %s: done." % (name, action))
            if action == "RESUME" and config.get("waitForReady", True):
                notes.append(_wait(conn, name, config, progress, clock, role, scrub))
        found = run_sql(lambda: services.list_services(conn), "SHOW SERVICES IN ACCOUNT", None, role, scrub)
    finally:
        conn.close()
    return render(found, notes, account_url)


def _action(config):
    return (config.get("action") or "LIST").upper()


def _wait_timeout(config):
    return float(config.get("waitTimeoutSeconds") or DEFAULT_WAIT)


def _wait(conn, name, config, progress, clock, role, scrub):
    timeout = _wait_timeout(config)
    started = clock()
    seen = []

    def on_status(status):
        seen.append(status)
        if progress is not None:
            progress(int(min(clock() - started, timeout)))

    status = run_sql(lambda: services.wait_for_status(conn, name, ("READY",), timeout=timeout,
                                                    poll=float(config.get("pollSeconds") or 5), on_status=on_status),
                  "SYSTEM$GET_SERVICE_STATUS", name, role, scrub)
    if progress is not None:
        progress(int(timeout))  # done: the bar ends full whenever READY came
    return "%s is %s (statuses seen: %s)." % (name, status, " → ".join(_dedupe(seen)))


def _secrets(credential):
    return [getattr(credential, k, None) for k in ("token", "access_token", "private_key_pem", "passphrase")]


# The connector writes "<errno> (<sqlstate>): [<query id or None>: ]<message>".
_CONNECTOR_PREFIX = re.compile(r"^\d+ \(\w+\): (?:(?:None|[0-9a-f-]{36}): )?")


def _reason(exc, scrub):
    """What Snowflake said, without the connector's prefix, scrubbed, with its error number."""
    text = _CONNECTOR_PREFIX.sub("", str(getattr(exc, "msg", None) or exc or type(exc).__name__))
    errno = getattr(exc, "errno", None)
    return clean(("Snowflake error %s: %s" % (errno, text)) if errno else text, scrub, limit=200)


def open_session(connect, account_url, credential, role=None, scrub=None):
    """A SQL session, or our ``AuthError`` saying what to check for this kind of credential."""
    scrub = scrub or Scrubber(lambda: _secrets(credential))
    try:
        return connect(account_url, credential, role)
    except SPCSLLMError:
        raise
    except Exception as exc:  # the connector's errors: ours, with the fix, never raw
        reason = _reason(exc, scrub)
    if isinstance(credential, PatCredential):
        what, fix = "the programmatic access token", (
            "Check that the token in the PAT preset is current (not expired or revoked; a new one: ALTER USER "
            "<user> ADD PROGRAMMATIC ACCESS TOKEN <name>), that a network policy of the user allows the DSS host "
            "(PATs need one), and 'snowflakeAccountUrl'.")
    elif isinstance(credential, KeyPairCredential):
        what, fix = "the key-pair login", (
            "Check 'snowflakeAccountUrl', the account and user of the key-pair preset, and that DESC USER shows "
            "this key's fingerprint in RSA_PUBLIC_KEY_FP.")
    elif isinstance(credential, OAuthCredential):
        what, fix = "your OAuth access token", (
            "Reconnect your Snowflake credential in DSS (Profile > Credentials), and check 'snowflakeAccountUrl'.")
    else:
        what, fix = "the credential", "Check the preset and 'snowflakeAccountUrl'."
    raise AuthError("Snowflake refused %s, so no SQL session could be opened (%s). %s" % (what, reason, fix))


def run_sql(statement, what, name=None, role=None, scrub=None):
    """Run ``statement()``; a connector error becomes our ``ServiceError`` naming the grant or the name to fix."""
    scrub = scrub or Scrubber()
    try:
        return statement()
    except SPCSLLMError:
        raise
    except Exception as exc:  # the connector's errors: ours, with the fix, never raw
        reason, errno = _reason(exc, scrub), getattr(exc, "errno", None)
    who = "the role %s" % role if role else "your role"
    if errno == DOES_NOT_EXIST and name:
        raise ServiceError("Service %s does not exist, or %s is not authorized to see it (%s). Check the name "
                           "against the list (action 'List services and endpoints'), database and schema included; "
                           "the role needs USAGE on the database and schema and OPERATE on the service "
                           "(GRANT OPERATE ON SERVICE %s TO ROLE <role>)." % (name, who, reason, name))
    if errno == INSUFFICIENT_PRIVILEGES:
        raise ServiceError("%s may not run %s (%s). Resuming or suspending needs OPERATE on the service "
                           "(GRANT OPERATE ON SERVICE %s TO ROLE <role>)." % (who.capitalize(), what, reason,
                                                                               name or "<service>"))
    raise ServiceError("Snowflake refused %s (%s)." % (what, reason))


def _dedupe(statuses):
    out = []
    for s in statuses:
        if not out or out[-1] != s:
            out.append(s)
    return out


def render(services, notes=(), account_url=""):
    """An HTML table of services, statuses, pools and ingress URLs (escaped)."""
    e = html.escape
    rows = []
    for s in services:
        endpoints = "<br>".join(
            "%s: <code>%s</code>%s" % (e(ep.name), e(_url(ep.ingress_url)), "" if ep.is_public else " (not public)")
            for ep in s.endpoints) or "no endpoint"
        rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            e(s.qualified_name), e(s.status), e(s.compute_pool), endpoints))
    body = "".join("<p>%s</p>" % e(n) for n in notes)
    body += ("<p>%d service(s) visible in %s. Paste an endpoint URL into the model's Endpoint URL field.</p>"
             % (len(services), e(account_url)))
    body += ("<table class='table'><tr><th>Service</th><th>Status</th><th>Compute pool</th>"
             "<th>Public endpoints (ingress URL)</th></tr>%s</table>" % "".join(rows))
    return body


def _url(ingress):
    if not ingress or "://" in ingress:
        return ingress
    host = ingress.split(":")[0]
    return ("http://" if host in ("127.0.0.1", "localhost") else "https://") + ingress
