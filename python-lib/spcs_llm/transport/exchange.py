"""One request and its answer: the auth header, one refresh and replay, retries, SSE streams.

One ``Transport`` per model owns a ``requests.Session`` whose pool holds as many
keep-alive connections as the model's parallelism, so concurrent calls never queue for a
socket. Every request is authenticated; a login redirect or a 401 triggers one token
refresh and one replay; transient failures are retried by ``RetryPolicy``. A call, its
retries and its token exchanges included, ends by its ``Deadline``; bodies are read by
``BodyReader`` (size limit, SSE lines as they arrive); server text reaches an error only
through ``server_text.clean``.
"""

import logging

import requests
from tenacity import Retrying, retry_if_exception

from ..auth import authorization_header, provider_for
from ..errors import AuthError, SPCSLLMError, ServiceSuspendedError, StreamInterruptedError, TransientServiceError
from ..wire import json_codec
from ..wire.deadline import Deadline
from ..wire.http_body import ACCEPT_ENCODING, MEGABYTE, BodyReader, headers_as_set
from ..wire.server_text import clean, describe_error_body
from .pool import pooled_session
from .retry_policy import RetryPolicy
from .status import auth_failure_message, connection_reason, decode_json_body, is_auth_failure, raise_for_status

logger = logging.getLogger(__name__)

USER_AGENT = "dss-plugin-snowpark-container-services-llm"
# An SSE line is one event; a chat event is at most kilobytes.
MAX_SSE_LINE_BYTES = MEGABYTE
# Error bodies and refused answers are read only for their message.
MAX_ERROR_BODY_BYTES = 64 * 1024
# After [DONE], what is left is read within this (the end of the answer follows at once on a
# healthy server); past it, the connection is dropped instead of waited for.
DRAIN_BYTES = 64 * 1024
DRAIN_SECONDS = 1.0


class Transport:
    """Sends JSON to one SPCS endpoint and returns parsed JSON or a stream of SSE data."""

    def __init__(self, settings, session=None):
        self.settings = settings
        self.base_url = settings.endpoint_url
        t = settings.transport
        self.timeout = (t.connect_timeout, t.read_timeout)
        self.verify = t.verify
        self.session = session or pooled_session(t.max_parallelism)
        self.auth = provider_for(settings, self.session)
        self.requests_sent = 0
        self.resumer = None
        if settings.auto_resume is not None:
            from ..snowflake.auto_resume import AutoResumer

            self.resumer = AutoResumer(settings, session=getattr(self.auth, "snowflake_session", None),
                                       scrub=self.auth.scrub)

    # -- public API ------------------------------------------------------------------

    def post_json(self, path, body):
        """POST ``body`` to ``path`` and return the decoded JSON answer, retrying within budget."""
        data = _encode(body)
        return self._with_retries(lambda deadline: self._post_json_once(path, data, body, deadline))

    def stream_sse(self, path, body, is_complete=None):
        """POST and yield each SSE ``data:`` payload (str) until ``[DONE]``.

        A failure before the first payload is retried like any request; a failure after
        it raises ``StreamInterruptedError`` rather than returning a truncated answer.
        A stream that ends without ``[DONE]`` is complete only if ``is_complete()`` (asked
        once the caller has consumed every payload) says its answer was whole, e.g. it had
        a finish reason: some servers (``transformers serve``) never send ``[DONE]``.
        If the server answers plain JSON instead of a stream, yields that dict once.
        """
        data = _encode(body)

        def open_stream(deadline):
            items = self._stream_once(path, data, body, deadline, is_complete)
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
        """``attempt_fn(deadline)`` retried within the budget; every attempt shares the call's deadline."""
        policy = self._policy()
        deadline = Deadline.for_call(self.settings.transport)
        resume_now = self.resumer is not None and not resumed
        retrying = Retrying(
            # With auto-resume, a suspended service is resumed at once instead of retried.
            retry=retry_if_exception(lambda e: isinstance(e, TransientServiceError) and not (
                resume_now and isinstance(e, ServiceSuspendedError))),
            wait=policy.wait, stop=policy.stop, before_sleep=policy.before_sleep, reraise=True,
        )
        try:
            return retrying(attempt_fn, deadline)
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

    def _post_json_once(self, path, data, request, deadline):
        # stream=True defers the body, which BodyReader reads under the deadline and size limit.
        response = self._send(path, data, stream=True, request=request, deadline=deadline)
        with response:
            return self._json_answer(response, path, deadline)

    def _json_answer(self, response, path, deadline):
        url = self.base_url + path
        return decode_json_body(self._reader(response, url, deadline).read_all(), response.headers, url)

    def _reader(self, response, url, deadline, max_bytes=None):
        t = self.settings.transport
        return BodyReader(response, url, deadline, t.read_timeout, max_bytes or t.max_response_bytes)

    def _stream_once(self, path, data, request, deadline, is_complete=None):
        response = self._send(path, data, stream=True, accept="text/event-stream", request=request, deadline=deadline)
        with response:
            content_type = response.headers.get("Content-Type", "")
            if "text/event-stream" not in content_type:
                yield self._json_answer(response, path, deadline)
                return
            # Lines are handed on as they arrive, chunked or close-delimited (requests' iter_lines
            # waits for the whole of a close-delimited body).
            body = self._reader(response, self.base_url + path, deadline)
            for raw in body.lines(MAX_SSE_LINE_BYTES):
                if not raw or not raw.startswith(b"data:"):
                    continue  # blank separators, comments, event names
                payload = raw[5:].strip().decode("utf-8")
                if payload == "[DONE]":
                    _drain(body)
                    return
                yield payload
            # The generator resumes here only after the caller consumed the last payload.
            if is_complete is not None and is_complete():
                return
            raise TransientServiceError("the stream ended without its [DONE] marker or a finish reason")

    def _send(self, path, data, stream, accept="application/json", request=None, deadline=None):
        """One authenticated POST; refreshes the token and replays once on an auth failure.

        ``request`` is the body as an object, only read to elide its input from an error message.
        """
        deadline = deadline or Deadline.for_call(self.settings.transport)
        token = self.auth.get_token(deadline)
        response = self._post(path, data, token, stream, accept, deadline)
        if is_auth_failure(response):
            self._error_body(response, deadline)  # read before closing, so the replay reuses the connection
            response.close()
            logger.info("Ingress refused the token (HTTP %d); refreshing it once", response.status_code)
            token = self.auth.renew(token, deadline)
            response = self._post(path, data, token, stream, accept, deadline)
            if is_auth_failure(response):
                message = self._server_text(response, request, deadline)
                response.close()
                raise AuthError(auth_failure_message(response, self.settings, message))
        if response.status_code >= 300:
            try:
                raise_for_status(response, self.base_url + path, self.settings,
                                 self._server_text(response, request, deadline))
            finally:
                response.close()
        return response

    def _error_body(self, response, deadline):
        """The start of a refusal's or an error's body (read once, bounded); empty if it cannot be read."""
        cached = getattr(response, "_spcs_error_body", None)
        if cached is None:
            try:
                reader = self._reader(response, response.url, deadline.sooner(self.settings.transport.read_timeout),
                                      MAX_ERROR_BODY_BYTES)
                cached = reader.read_all()
            except SPCSLLMError:  # too large, too slow or cut: the status says enough
                cached = b""
            response._spcs_error_body = cached
        return cached

    def _server_text(self, response, request, deadline):
        """The server's error message, safe for an exception or a log line (see ``server_text``)."""
        return clean(describe_error_body(self._error_body(response, deadline), response.reason), self.auth.scrub,
                     request)

    def _post(self, path, data, token, stream, accept, deadline):
        url = self.base_url + path
        headers = {
            "Authorization": authorization_header(token),
            "Content-Type": "application/json",
            "Accept": accept,
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": USER_AGENT,
        }
        what = "sending the request to %s" % url
        timeout = (deadline.timeout(self.timeout[0], what), deadline.timeout(self.timeout[1], what))
        self.requests_sent += 1
        try:
            return self.session.post(url, data=data, headers=headers, timeout=timeout, verify=self.verify,
                                     stream=stream, allow_redirects=False, auth=headers_as_set)
        except requests.exceptions.SSLError:
            raise AuthError(
                "TLS verification of %s failed. Check 'llmEndpointUrl', or give a CA bundle in 'caBundlePath' "
                "if a proxy re-signs traffic." % url) from None
        except requests.exceptions.ConnectTimeout:
            raise TransientServiceError("Timed out connecting to %s after %g s." % (url, self.timeout[0])) from None
        except requests.exceptions.ReadTimeout:
            if deadline.expired():
                raise deadline.error("waiting for %s to answer" % url) from None
            raise TransientServiceError(
                "No answer from %s within %g s (setting 'readTimeoutSeconds')." % (url, self.timeout[1])) from None
        except requests.exceptions.ConnectionError as exc:
            raise TransientServiceError("Connection to %s failed (%s)." % (url, connection_reason(exc))) from None
        except ValueError as exc:  # requests' InvalidHeader, or http.client's: their message holds the header's value
            if not isinstance(exc, requests.exceptions.InvalidHeader) and "header" not in str(exc).lower():
                raise
            raise AuthError("The token cannot be sent in an HTTP header (it holds a line break, space, quote or "
                            "non-ASCII character). Check the credential's preset.") from None

    def close(self):
        """Close pooled connections."""
        self.session.close()


def _drain(body):
    """Read a stream to its end after ``[DONE]``, so its connection goes back to the pool.

    Closing a response that is not fully read closes its connection, and the next stream
    would pay a new TCP and TLS handshake before its first token (openai-python drains the
    same way). The answer is complete by then: a server that holds the connection open or
    keeps sending loses the connection after a bounded read, never holds the call.
    """
    if not body.drain(DRAIN_BYTES, DRAIN_SECONDS):
        logger.debug("The stream's connection was not finished after [DONE]; it will not be reused")


def _encode(body):
    return json_codec.dumps(body)


