"""Opt-in auto-resume: when the endpoint reports its service suspended, resume it and wait.

Off by default: resuming starts a compute pool, which spends credits. The service is the
one named in ``serviceName``, or the one whose public endpoint is this model's ingress host.
One resume runs at a time per model; concurrent calls wait for it instead of starting more.
"""

import logging
import time

from . import snowflake_sql
from .errors import ServiceError, ServiceSuspendedError
from .single_flight import SingleFlight

logger = logging.getLogger(__name__)


class AutoResumer:
    """Resumes the model's service through Snowflake SQL and waits until it is READY."""

    def __init__(self, settings, connect=snowflake_sql.connect, sleep=time.sleep):
        self.settings = settings
        self._connect = connect
        self._sleep = sleep
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
        conn = self._connect(s.account_url, s.credential)
        try:
            name = s.auto_resume.service_name or self._discover(conn)
            status = snowflake_sql.service_status(conn, name)
            if status == "SUSPENDED":
                logger.warning("Service %s is suspended; resuming it (autoResume is on)", name)
                snowflake_sql.alter_service(conn, name, "RESUME")
            snowflake_sql.wait_for_status(conn, name, ("READY",), timeout=s.auto_resume.timeout,
                                          poll=s.auto_resume.poll, sleep=self._sleep)
            logger.info("Service %s is READY", name)
            return name
        except ServiceError as exc:
            raise ServiceSuspendedError("Auto-resume did not bring the service back: %s" % exc) from None
        finally:
            conn.close()

    def _discover(self, conn):
        host = self.settings.ingress_host
        service = snowflake_sql.service_for_host(snowflake_sql.list_services(conn), host)
        if service is None:
            raise ServiceError("no service visible to this role has an endpoint at %s; set 'serviceName'." % host)
        return service.qualified_name
