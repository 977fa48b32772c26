"""The wall-clock end of a call, however slowly the server answers.

Timeouts alone do not bound a call: a body trickling one byte a second, or a stream of
keep-alive comments, never leaves a socket idle for ``readTimeoutSeconds``. Each call gets
one ``Deadline`` (retry budget plus read timeout); every socket wait is clipped to what is
left of it, and a call past it fails with ``DeadlineExceededError`` naming the settings.
"""

import time

from ..errors import DeadlineExceededError


class Deadline:
    """When a call must be over (monotonic clock), and which settings set it.

    >>> d = Deadline(420, "'retryBudgetSeconds' 120 + 'readTimeoutSeconds' 300")
    >>> sock_timeout = d.timeout(300, "reading the answer")  # min(300, seconds left), or the error
    """

    def __init__(self, seconds, reason, clock=time.monotonic):
        self.seconds = seconds
        self.reason = reason
        self._clock = clock
        self.end = clock() + seconds

    @classmethod
    def for_call(cls, transport_settings, clock=time.monotonic):
        """The deadline of one call with these ``TransportSettings``: retry budget plus read timeout."""
        t = transport_settings
        return cls(t.retry_budget + t.read_timeout, "'retryBudgetSeconds' %g + 'readTimeoutSeconds' %g"
                   % (t.retry_budget, t.read_timeout), clock)

    def remaining(self):
        return self.end - self._clock()

    def expired(self):
        return self.remaining() <= 0

    def timeout(self, limit, what):
        """``limit`` clipped to the time left; ``DeadlineExceededError`` when none is left."""
        left = self.remaining()
        if left <= 0:
            raise self.error(what)
        return min(limit, left)

    def sooner(self, seconds):
        """A deadline ``seconds`` from now, or this one if it comes first (same reason)."""
        return Deadline(max(0.0, min(seconds, self.remaining())), self.reason, self._clock)

    def error(self, what):
        """The error for a call that ran out of time while ``what``."""
        return DeadlineExceededError(
            "The call did not finish within its deadline of %.0f s (%s) and was stopped while %s. The server "
            "is answering too slowly; raise those settings if its answers legitimately take longer."
            % (self.seconds, self.reason, what))
