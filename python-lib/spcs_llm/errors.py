"""Exceptions raised by the plugin.

Every message names the cause and, where there is one, the fix. No message ever
contains a token, key or other secret: callers pass only non-secret context.
"""


class SPCSLLMError(Exception):
    """Base class of every error this plugin raises on purpose."""


class ConfigError(SPCSLLMError, ValueError):
    """A connection setting is invalid. Raised from ``set_config``, naming the DSS field."""

    def __init__(self, field, message):
        self.field = field
        super().__init__("Invalid setting '%s': %s" % (field, message))


class InvalidInputError(SPCSLLMError, ValueError):
    """The query DSS handed us cannot be sent to this model (names the offending input)."""


class AuthError(SPCSLLMError):
    """Snowflake or the SPCS ingress refused our credentials."""


class CredentialExpiredError(AuthError):
    """The user's own credential (OAuth access token) is no longer valid: reconnect it in DSS."""


class ServiceError(SPCSLLMError):
    """The model service answered with an error we cannot or may no longer retry."""

    def __init__(self, message, status=None):
        self.status = status
        super().__init__(message)


class RequestRejectedError(ServiceError):
    """A 4xx answer: the request itself is wrong, retrying cannot help."""


class PayloadTooLargeError(RequestRejectedError):
    """HTTP 413: the batch is too large; the embedding batcher splits and retries."""


class TransientServiceError(ServiceError):
    """A failure worth retrying (429, 502-504, connection errors, malformed bodies)."""

    def __init__(self, message, status=None, retry_after=None):
        self.retry_after = retry_after
        super().__init__(message, status)


class ServiceSuspendedError(TransientServiceError):
    """The SPCS service is suspended; retried within budget, then reported with the fix."""


class MalformedResponseError(TransientServiceError):
    """The body does not have the shape the configured protocol expects."""


class StreamInterruptedError(ServiceError):
    """A stream ended before its end marker after text had already been delivered."""


class DeadlineExceededError(ServiceError):
    """A call went past its wall-clock deadline (retry budget plus read timeout): not retried."""


class ResponseTooLargeError(ServiceError):
    """An answer, or one line of a stream, is larger than the model's size limit: not retried."""
