"""The "SPCS services" macro: list services and their ingress URLs; resume or suspend one.

``python-runnables/spcs-services/runnable.py`` only hands its config to ``run``.
"""

import html
import logging

from ..snowflake import connection, services
from ..snowflake.identifiers import check_identifier
from ..errors import ConfigError
from ..settings import parse_connection

logger = logging.getLogger(__name__)

ACTIONS = ("LIST", "RESUME", "SUSPEND")


def run(config, connect=connection.connect, progress=None):
    """Do what the macro's form asks and return the HTML report."""
    auth_mode, account_url, credential = parse_connection(config)
    action = (config.get("action") or "LIST").upper()
    if action not in ACTIONS:
        raise ConfigError("action", "must be one of %s." % ", ".join(ACTIONS))
    name = None
    if action != "LIST":
        name = check_identifier(config.get("serviceName"))
    conn = connect(account_url, credential, (config.get("role") or None))
    notes = []
    try:
        if action != "LIST":
            services.alter_service(conn, name, action)
            notes.append("ALTER SERVICE %s %s: done." % (name, action))
            if action == "RESUME" and config.get("waitForReady", True):
                seen = []
                status = services.wait_for_status(
                    conn, name, ("READY",), timeout=float(config.get("waitTimeoutSeconds") or 600),
                    poll=float(config.get("pollSeconds") or 5), on_status=seen.append)
                notes.append("%s is %s (statuses seen: %s)." % (name, status, " → ".join(_dedupe(seen))))
        found = services.list_services(conn)
    finally:
        conn.close()
    return render(found, notes, account_url)


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
