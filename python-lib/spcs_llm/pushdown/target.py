"""Where a push-down run sends its rows: the service, its endpoint, and the function bound to them.

One rule runs through this module: a name is bound to exactly one target (issue 23, item 6).

- A service named in 'serviceName' or found from 'endpointUrl' is one service of the listing
  (SHOW SERVICES): a partial name that matches several is refused, naming them.
- An ingress URL picks the endpoint it names, not the service's first one; with no URL and
  no 'endpointName', the endpoint is the one snowflake-ml gives a Model Registry service,
  ``inference`` (``services.INFERENCE_ENDPOINT``), else the service's only endpoint, else an
  error naming the endpoints found.
- A function the recipe creates is named after everything it is bound to (service, endpoint,
  path, arguments, batch options) and created with the documented ``CREATE OR REPLACE``:
  pointing a recipe at another service, endpoint or batch size gives another function,
  never the old one; running it again rebinds the same name to the same definition.

Nothing here touches the network: the caller lists the services (``runner.find_services``).
"""

import hashlib
import logging
import re

from ..errors import ConfigError
from ..snowflake.identifiers import quote_identifier, quote_qualified, resolved_parts
from ..snowflake.services import INFERENCE_ENDPOINT, endpoints_at_host
from ..wire.urls import host_of, normalize_base_url

logger = logging.getLogger(__name__)

FUNCTION_PREFIX = "SPCS_"
_BARE_ENDPOINT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def find_service(url, service_name, services):
    """(ServiceInfo, endpoints at the URL's host) for 'endpointUrl', else (ServiceInfo or None, ()) for 'serviceName'.

    ``services`` is the listing, or None when it was not read (then only a name can be used).
    """
    if url:
        host = host_of(normalize_base_url(url, "endpointUrl"))
        found = endpoints_at_host(services or [], host)
        if not found:
            raise ConfigError("endpointUrl", "no service visible to this role has a public endpoint at %s: check "
                                             "the URL (SHOW ENDPOINTS IN SERVICE ...) or give 'serviceName'." % host)
        owners = sorted({s.quoted_name for s, _ in found})
        if len(owners) > 1:
            raise ConfigError("endpointUrl", "%s is listed under several services (%s): give 'serviceName'." % (
                host, ", ".join(owners)))
        return found[0][0], tuple(e for _, e in found)
    if not service_name or services is None:
        return None, ()
    wanted = resolved_parts(service_name)
    matches = [s for s in services if [s.database, s.schema, s.name][-len(wanted):] == wanted]
    if len(matches) > 1:
        raise ConfigError("serviceName", "%r names several services (%s): give DB.SCHEMA.SERVICE." % (
            service_name, ", ".join(sorted(s.quoted_name for s in matches))))
    if not matches:
        raise ConfigError("serviceName", "no service %s is visible to this role (SHOW SERVICES): check the name, "
                                         "its quoting and the role's USAGE grant." % ".".join(wanted))
    return matches[0], ()


def choose_endpoint(name, service, at_url):
    """The endpoint name for ``CREATE FUNCTION ... ENDPOINT =``, quoted if it needs to be.

    ``name`` is 'endpointName' (may be empty); ``service`` the ServiceInfo when listed;
    ``at_url`` the endpoints at the ingress URL's host, when the service was found by URL.
    """
    listed = [e.name for e in (service.endpoints if service is not None else ())]
    if name:
        if listed and name not in listed:
            raise ConfigError("endpointName", "%r is not an endpoint of %s (its endpoints: %s)." % (
                name, service.quoted_name, ", ".join(listed)))
        return _endpoint_identifier(name)
    candidates = [e.name for e in at_url] or listed
    if not candidates:
        if service is not None:
            raise ConfigError("endpointName", "%s lists no endpoint (SHOW ENDPOINTS IN SERVICE): enter the "
                                              "endpoint name." % service.quoted_name)
        logger.info("No endpoint named and the service was not looked up: using %r, the endpoint snowflake-ml "
                    "gives Model Registry services", INFERENCE_ENDPOINT)
        return INFERENCE_ENDPOINT
    if INFERENCE_ENDPOINT in candidates:
        return INFERENCE_ENDPOINT
    if len(candidates) == 1:
        return _endpoint_identifier(candidates[0])
    field = "endpointUrl" if at_url else "endpointName"
    raise ConfigError(field, "%s has several endpoints (%s) and none is named %r: enter 'endpointName'." % (
        service.quoted_name if service is not None else "the service", ", ".join(candidates), INFERENCE_ENDPOINT))


def _endpoint_identifier(name):
    if _BARE_ENDPOINT.match(name):
        return name  # as Snowflake's own examples write it: ENDPOINT = echoendpoint
    return quote_identifier(name, "endpointName")


def binding_digest(*parts):
    """Eight hex digits naming one binding: any change in any part gives another name."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:8].upper()


def created_function_name(config_name, qualifier, service, path, binding):
    """The function a CREATE_FUNCTION run creates: 'functionName' as given, else one named after its binding.

    ``binding`` is every part of the definition (service, endpoint, path, arguments, options):
    the default name is ``SPCS_<SERVICE>_<PATH>_<digest of the binding>`` in the output's schema.
    """
    if config_name:
        return quote_qualified(config_name, "functionName")
    last = resolved_parts(service)[-1]
    base = re.sub(r"[^A-Z0-9_]", "_", ("%s%s_%s" % (FUNCTION_PREFIX, last, path.strip("/") or "ROOT")).upper())
    name = quote_identifier("%s_%s" % (base[:200], binding_digest(*binding)), "functionName")
    return ("%s.%s" % (qualifier, name)).lstrip(".")

