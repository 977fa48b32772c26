"""HTTP to the SPCS ingress: pooled connections, auth header, retries, error translation.

One ``Transport`` per model owns a ``requests.Session`` whose pool holds as many
keep-alive connections as the model's parallelism, so concurrent calls never queue for a
socket. Every request is authenticated; a login redirect or a 401 triggers one token
refresh and one replay; transient failures are retried by ``RetryPolicy``.
"""

import logging
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from tenacity import Retrying, retry_if_exception

from . import json_codec
from .auth import authorization_header, provider_for
from .errors import (
    AuthError,
    MalformedResponseError,
    PayloadTooLargeError,
    RequestRejectedError,
    ServiceError,
    ServiceSuspendedError,
    StreamInterruptedError,
    TransientServiceError,
)
from .http_body import is_cut_short
from .retry_policy import RetryPolicy, parse_retry_after
from .server_text import clean, describe_error_body

logger = logging.getLogger(__name__)

USER_AGENT = "dss-plugin-snowpark-container-services-llm"


class Transport:
    """Sends JSON to one SPCS endpoint and returns parsed JSON or a stream of SSE data."""

    def __init__(self, settings, session=None):
        self.settings = settings
        self.base_url = settings.endpoint_url
        t = settings.transport
        self.timeout = (t.connect_timeout, t.read_timeout)
        self.verify = t.verify
        self.session = session or _pooled_session(t.max_parallelism)
        self.auth = provider_for(settings, self.session)
        self.requests_sent = 0
        self.resumer = None
        if settings.auto_resume is not None:
            from .auto_resume import AutoResumer

            self.resumer = AutoResumer(settings)

    # -- public API ------------------------------------------------------------------

    def post_json(self, path, body):
        """POST ``body`` to ``path`` and return the decoded JSON answer, retrying within budget."""
        data = _encode(body)
        return self._with_retries(lambda: self._post_json_once(path, data, body))

    def stream_sse(self, path, body):
        """POST and yield each SSE ``data:`` payload (str) until ``[DONE]``.

        A failure before the first payload is retried like any request; a failure after
        it raises ``StreamInterruptedError`` rather than returning a truncated answer.
        If the server answers plain JSON instead of a stream, yields that dict once.
        """
        data = _encode(body)

        def open_stream():
            items = self._stream_once(path, data, body)
            try:
                return next(items), items
            except StopIteration:
                return None, iter(())

        first, items = self._with_retries(open_stream)
        if first is None:
            return
        try:
            yield first
            for item in items:
                yield item
        except TransientServiceError as exc:
            raise StreamInterruptedError(
                "The stream from %s%s broke off after part of the answer was delivered (%s). "
                "Run the query again." % (self.base_url, path, exc)) from None
        finally:
            close = getattr(items, "close", None)
            if close:
                close()

    # -- one attempt -----------------------------------------------------------------

    def _with_retries(self, attempt_fn, resumed=False):
        policy = self._policy()
        resume_now = self.resumer is not None and not resumed
        retrying = Retrying(
            # With auto-resume, a suspended service is resumed at once instead of retried.
            retry=retry_if_exception(lambda e: isinstance(e, TransientServiceError) and not (
                resume_now and isinstance(e, ServiceSuspendedError))),
            wait=policy.wait, stop=policy.stop, before_sleep=policy.before_sleep, reraise=True,
        )
        try:
            return retrying(attempt_fn)
        except ServiceSuspendedError as exc:
            if not resume_now:
                raise policy.exhausted(exc, retrying.statistics.get("attempt_number", 1)) from None
            self.resumer.resume()
            return self._with_retries(attempt_fn, resumed=True)  # a fresh budget once the service is READY
        except TransientServiceError as exc:
            raise policy.exhausted(exc, retrying.statistics.get("attempt_number", 1)) from None

    def _policy(self):
        t = self.settings.transport
        return RetryPolicy(t.max_retries, t.retry_budget)

    def _post_json_once(self, path, data, request):
        # stream=True only defers the body, which read_body then takes in one read.
        response = self._send(path, data, stream=True, request=request)
        with response:
            return self._json_answer(response, path)

    def _json_answer(self, response, path):
        url = self.base_url + path
        return decode_json_body(read_body(response, url, self.timeout[1]), response.headers, url)

    def _stream_once(self, path, data, request):
        response = self._send(path, data, stream=True, accept="text/event-stream", request=request)
        with response:
            content_type = response.headers.get("Content-Type", "")
            if "text/event-stream" not in content_type:
                yield self._json_answer(response, path)
                return
            lines = response.iter_lines(chunk_size=None, decode_unicode=False)
            try:
                for raw in lines:
                    if not raw or not raw.startswith(b"data:"):
                        continue  # blank separators, comments, event names
                    payload = raw[5:].strip().decode("utf-8")
                    if payload == "[DONE]":
                        _drain(lines)
                        return
                    yield payload
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                    requests.exceptions.Timeout) as exc:
                raise TransientServiceError("connection lost mid-stream: %s" % type(exc).__name__) from None
            raise TransientServiceError("the stream ended without its [DONE] marker")

    def _send(self, path, data, stream, accept="application/json", request=None):
        """One authenticated POST; refreshes the token and replays once on an auth failure.

        ``request`` is the body as an object, only read to elide its input from an error message.
        """
        token = self.auth.get_token()
        response = self._post(path, data, token, stream, accept)
        if _is_auth_failure(response):
            _release(response)
            logger.info("Ingress refused the token (HTTP %d); refreshing it once", response.status_code)
            token = self.auth.renew(token)
            response = self._post(path, data, token, stream, accept)
            if _is_auth_failure(response):
                message = self._server_text(response, request)
                _release(response)
                raise AuthError(_auth_failure_message(response, self.settings, message))
        if response.status_code >= 300:
            try:
                raise_for_status(response, self.base_url + path, self.settings, self._server_text(response, request))
            finally:
                response.close()
        return response

    def _server_text(self, response, request):
        """The server's error message, safe for an exception or a log line (see ``server_text``)."""
        return clean(describe_error_body(_content_or_empty(response), response.reason), self.auth.scrub, request)

    def _post(self, path, data, token, stream, accept):
        url = self.base_url + path
        headers = {
            "Authorization": authorization_header(token),
            "Content-Type": "application/json",
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }
        self.requests_sent += 1
        try:
            return self.session.post(url, data=data, headers=headers, timeout=self.timeout, verify=self.verify,
                                     stream=stream, allow_redirects=False)
        except requests.exceptions.SSLError:
            raise AuthError(
                "TLS verification of %s failed. Check 'llmEndpointUrl', or give a CA bundle in 'caBundlePath' "
                "if a proxy re-signs traffic." % url) from None
        except requests.exceptions.ConnectTimeout:
            raise TransientServiceError("Timed out connecting to %s after %g s." % (url, self.timeout[0])) from None
        except requests.exceptions.ReadTimeout:
            raise TransientServiceError(
                "No answer from %s within %g s (setting 'readTimeoutSeconds')." % (url, self.timeout[1])) from None
        except requests.exceptions.ConnectionError as exc:
            raise TransientServiceError("Connection to %s failed (%s)." % (url, _connection_reason(exc))) from None
        except ValueError as exc:  # requests' InvalidHeader, or http.client's: their message holds the header's value
            if not isinstance(exc, requests.exceptions.InvalidHeader) and "header" not in str(exc).lower():
                raise
            raise AuthError("The token cannot be sent in an HTTP header (it holds a line break, space, quote or "
                            "non-ASCII character). Check the credential's preset.") from None

    def close(self):
        """Close pooled connections."""
        self.session.close()


class EnvironmentCachingSession(requests.Session):
    """A ``requests.Session`` that reads proxy and CA-bundle variables once per host.

    ``requests`` scans the whole environment for them on every request, which was a fifth
    of its CPU per request here. DSS sets them when the backend starts, not while it runs.
    """

    def __init__(self):
        super().__init__()
        self._environment = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        """As ``requests.Session``'s, with the environment part cached per (scheme, host, verify)."""
        if proxies or not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, verify)
        cached = self._environment.get(key)
        if cached is None:
            cached = self._environment[key] = super().merge_environment_settings(url, {}, None, verify, None)
        return {"proxies": dict(cached["proxies"]), "verify": cached["verify"],
                "stream": merge_setting(stream, self.stream), "cert": merge_setting(cert, self.cert)}


def _release(response):
    """Read a small refusal (401, login redirect) before closing it, so its connection is reused."""
    _content_or_empty(response)
    response.close()


def _content_or_empty(response):
    """The body of a small answer; empty if the connection died while it was being read."""
    try:
        return response.content
    except requests.exceptions.RequestException:
        return b""


def _drain(lines):
    """Read a stream to its end after ``[DONE]``, so its connection goes back to the pool.

    Closing a response that is not fully read closes its connection, and the next stream
    would pay a new TCP and TLS handshake before its first token (openai-python drains the
    same way). The answer is complete by then, so a failure here only loses the connection.
    """
    try:
        for _ in lines:
            pass
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError):
        logger.debug("The stream's connection broke after [DONE]; it will not be reused")


def _pooled_session(parallelism):
    session = EnvironmentCachingSession()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(parallelism, 1) + 2, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _encode(body):
    return json_codec.dumps(body)


def _is_auth_failure(response):
    return response.status_code == 401 or 300 <= response.status_code < 400


def _auth_failure_message(response, settings, message):
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


def _connection_reason(exc):
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
    if status == 413:
        raise PayloadTooLargeError("The service rejected the request as too large (HTTP 413: %s)." % message,
                                   status)
    if 400 <= status < 500:
        raise RequestRejectedError("The service rejected the request (HTTP %d: %s)." % (status, message), status)
    raise ServiceError("The service failed (HTTP %d: %s)." % (status, message), status)


def read_body(response, url, read_timeout):
    """The whole body of a ``stream=True`` response, in one read.

    ``response.content`` reads it 10 KB at a time, which cost a multi-megabyte embedding
    answer more CPU than parsing it. A connection that dies mid-body is a transient failure
    (retried), never a truncated answer.
    """
    try:
        body = response.raw.read(decode_content=True)
    except urllib3.exceptions.ReadTimeoutError:
        raise TransientServiceError(
            "%s stopped sending its answer for %g s (setting 'readTimeoutSeconds')." % (url, read_timeout)) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise TransientServiceError("The connection to %s was lost while reading the answer (%s)."
                                    % (url, _connection_reason(exc))) from None
    if is_cut_short(response.headers, len(body)):
        raise TransientServiceError("The connection to %s was lost while reading the answer (%d of %s bytes)."
                                    % (url, len(body), response.headers["Content-Length"]))
    return body


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
