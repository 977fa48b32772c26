"""What an answer's status and body mean: error statuses to exceptions (retryable or not,
with the fix), size refusals, and the check that a 2xx body is JSON and not a login page.

Pure functions of the response's status, headers and already-cleaned server text.
"""

import re

from ..errors import (AuthError, MalformedResponseError, PayloadTooLargeError, RequestRejectedError, ServiceError,
                      ServiceSuspendedError, TransientServiceError)
from ..wire import json_codec
from .retry_policy import parse_retry_after


def is_auth_failure(response):
    return response.status_code == 401 or 300 <= response.status_code < 400


def auth_failure_message(response, settings, message):
    if 300 <= response.status_code < 400:
        what = "redirected the request to the Snowflake login page (HTTP %d)" % response.status_code
    else:
        what = "refused the token (HTTP 401: %s)" % message
    return (
        "The SPCS ingress %s even after a fresh token was obtained. Check that authentication mode %s is right "
        "for this endpoint, that the user's role has USAGE on the service endpoint (GRANT SERVICE ROLE "
        "<service>!ALL_ENDPOINTS_USAGE TO ROLE <role>), and that 'snowflakeAccountUrl' is the account that "
        "owns the service." % (what, settings.auth_mode)
    )


def connection_reason(exc):
    text = str(exc)
    for marker, reason in (("Name or service not known", "host name not found: check 'llmEndpointUrl'"),
                           ("nodename nor servname", "host name not found: check 'llmEndpointUrl'"),
                           ("Failed to resolve", "host name not found: check 'llmEndpointUrl'"),
                           ("Connection refused", "connection refused"),
                           ("Connection reset", "connection reset"),
                           ("RemoteDisconnected", "the server closed the connection")):
        if marker in text:
            return reason
    return type(exc).__name__


# How servers word a refusal of a batch's size when they do not answer 413: pydantic's
# "List should have at most 32 items" (infinity), "too many inputs", "batch size 64 > maximum
# allowed batch size 32".
_SIZE_REFUSAL = re.compile(r"too long|too many|too large|at most \d+ (items|inputs|elements)|batch size",
                           re.IGNORECASE)


def is_size_refusal(status, message):
    """Whether an error answer refuses the request for its size (so a batch of it can be split)."""
    return status == 413 or (status in (400, 422) and bool(_SIZE_REFUSAL.search(message or "")))


def raise_for_status(response, url, settings, message):
    """Translate an error status into the right exception (retryable or not), with the fix.

    ``message`` is the server's text, already cleaned (``Transport._server_text``).
    """
    status = response.status_code
    if status == 429:
        raise TransientServiceError(
            "The service is rate limiting requests (HTTP 429: %s). Lower 'maxParallelism' if this persists."
            % message, status=status, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 503 and "suspend" in message.lower():
        raise ServiceSuspendedError(
            "The SPCS service behind %s is suspended (HTTP 503: %s). Resume it with ALTER SERVICE <name> RESUME "
            "and wait until SYSTEM$GET_SERVICE_STATUS reports READY." % (url, message),
            status=status, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (502, 503, 504):
        raise TransientServiceError(
            "The service is temporarily unavailable (HTTP %d: %s)." % (status, message), status=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 403:
        raise RequestRejectedError(
            "Access to %s is forbidden (HTTP 403: %s). Grant the role USAGE on the service endpoint "
            "(GRANT SERVICE ROLE <service>!ALL_ENDPOINTS_USAGE TO ROLE <role>)." % (url, message), status)
    if status == 404:
        raise RequestRejectedError(
            "%s does not exist (HTTP 404: %s). Check 'llmEndpointUrl', and that 'modelHandlingMode' (%s) and "
            "'registryMethod' match what the service exposes." % (url, message, settings.mode), status)
    if is_size_refusal(status, message):
        raise PayloadTooLargeError("The service rejected the request as too large (HTTP %d: %s)." % (
            status, message), status, message)
    if 400 <= status < 500:
        raise RequestRejectedError("The service rejected the request (HTTP %d: %s)." % (status, message), status,
                                   message)
    raise ServiceError("The service failed (HTTP %d: %s)." % (status, message), status)


def decode_json_body(content, headers, url):
    """Parse the bytes of a 2xx JSON answer; an HTML page here means a login page, not a model answer."""
    # Parse the bytes: response.text would first guess the charset of the whole body,
    # which costs more than the parse itself on large embedding answers. JSON is UTF-8.
    content_type = headers.get("Content-Type", "")
    if "text/html" in content_type or content[:64].lstrip().startswith(b"<"):
        raise AuthError(
            "%s answered with an HTML page instead of JSON: this is Snowflake's login page, so the request "
            "was not authenticated. Check the authentication settings and that the token's role can use "
            "the endpoint." % url)
    try:
        return json_codec.loads(content)
    except ValueError:
        raise MalformedResponseError(
            "%s answered with a body that is not JSON (%d bytes)." % (url, len(content))) from None
