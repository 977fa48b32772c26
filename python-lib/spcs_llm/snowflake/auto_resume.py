"""Opt-in auto-resume: when the endpoint reports its service suspended, resume it and wait.

Off by default: resuming starts a compute pool, which spends credits. The service is the
one named in ``serviceName``, or the one whose public endpoint is this model's ingress host.
One resume runs at a time per model; concurrent calls wait for it instead of starting more.
The SQL session is opened with the freshest credential the model has: the Snowflake session
it already holds (OAuth), else the credential from ``set_config``.
"""

import logging
import time

from . import connection, services
from ..errors import AuthError, ServiceError, ServiceSuspendedError, SPCSLLMError
from ..wire.server_text import Scrubber, clean
from ..auth.credentials import OAuthCredential
from ..auth.single_flight import SingleFlight

logger = logging.getLogger(__name__)

RECONNECT_HINT = ("Reconnect your Snowflake credential in DSS (Profile > Credentials) and run again, or resume the "
                  "service yourself (ALTER SERVICE <name> RESUME).")


class AutoResumer:
    """Resumes the model's service through Snowflake SQL and waits until it is READY.

    ``session`` returns the (session token, master token) the model holds now, or None.
    """

    def __init__(self, settings, connect=connection.connect, sleep=time.sleep, session=None, scrub=None):
        self.settings = settings
        self._connect = connect
        self._sleep = sleep
        self._session = session
        self._scrub = scrub or Scrubber()
        self._flight = SingleFlight()
        self.resumes = 0

    def resume(self):
        """Block until the service is READY (single-flight across threads)."""
        return self._flight.run(self._resume_counted)

    def _resume_counted(self):
        name = self._resume()
        self.resumes += 1
        return name

    def _resume(self):
        s = self.settings
        conn = self._open()
        try:
            name = s.auto_resume.service_name or self._discover(conn)
            status = services.service_status(conn, name)
            if status == "SUSPENDED":
                logger.warning("Service %s is suspended; resuming it (autoResume is on)", name)
                services.alter_service(conn, name, "RESUME")
            services.wait_for_status(conn, name, ("READY",), timeout=s.auto_resume.timeout,
                                          poll=s.auto_resume.poll, sleep=self._sleep)
            logger.info("Service %s is READY", name)
            return name
        except ServiceError as exc:
            raise ServiceSuspendedError("Auto-resume did not bring the service back: %s" % exc) from None
        except SPCSLLMError:
            raise
        except Exception as exc:  # the connector's errors (a missing grant...): ours, never raw
            raise ServiceSuspendedError(
                "Auto-resume could not resume the service (%s). The role needs OPERATE on the service "
                "(GRANT OPERATE ON SERVICE <name> TO ROLE <role>)." % self._reason(exc)) from None
        finally:
            conn.close()

    def _open(self):
        """A SQL connection with the freshest credential the model has; our ``AuthError`` if none opens one."""
        s = self.settings
        candidates = []
        tokens = self._session() if self._session else None
        if tokens:
            candidates.append(("the model's Snowflake session", connection.SessionCredential(*tokens)))
        candidates.append(("the credential of the connection's preset", s.credential))
        failures = []
        for what, credential in candidates:
            try:
                return self._connect(s.account_url, credential)
            except Exception as exc:  # the connector's errors: reported below as ours, never raw
                failures.append("%s was refused: %s" % (what, self._reason(exc)))
                logger.info("Auto-resume: %s", failures[-1])
        fix = RECONNECT_HINT if isinstance(s.credential, OAuthCredential) else (
            "Check the credential's preset and 'snowflakeAccountUrl', or resume the service yourself "
            "(ALTER SERVICE <name> RESUME).")
        raise AuthError("The service is suspended and auto-resume could not open a Snowflake session to resume it "
                        "(%s). %s" % ("; ".join(failures), fix))

    def _reason(self, exc):
        return clean(getattr(exc, "msg", None) or str(exc) or type(exc).__name__, self._scrub, limit=200)

    def _discover(self, conn):
        host = self.settings.ingress_host
        service = services.service_for_host(services.list_services(conn), host)
        if service is None:
            raise ServiceError("no service visible to this role has an endpoint at %s; set 'serviceName'." % host)
        # Quoted as SHOW SERVICES spells it: a service created as "embed-svc" or "embed_svc" is
        # found as itself, not refused as a name or looked up upper-cased.
        return service.quoted_name
