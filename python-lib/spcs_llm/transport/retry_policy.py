"""How long to wait between attempts, and when to stop: pure functions over tenacity state."""

import email.utils
import logging
import time
from datetime import datetime, timezone

from tenacity import wait_random_exponential

from ..errors import TransientServiceError

logger = logging.getLogger(__name__)

_backoff = wait_random_exponential(multiplier=0.25, max=20)


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now if now is not None else datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RetryPolicy:
    """Jittered exponential backoff that honours ``Retry-After`` and a total time budget.

    ``wait`` and ``stop`` are tenacity callables. A wait that would end past the budget
    stops the retries at once instead of sleeping into a certain failure.
    """

    def __init__(self, max_retries, budget_seconds, clock=time.monotonic):
        self.max_retries = max_retries
        self.budget = budget_seconds
        self._clock = clock
        self.started = clock()

    def elapsed(self):
        return self._clock() - self.started

    def wait(self, retry_state):
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        delay = getattr(exc, "retry_after", None)
        if delay is None:
            delay = _backoff(retry_state)
        return float(delay)

    def stop(self, retry_state):
        if retry_state.attempt_number > self.max_retries:
            return True
        upcoming = getattr(retry_state, "upcoming_sleep", 0.0) or 0.0
        return self.elapsed() + upcoming > self.budget

    def before_sleep(self, retry_state):
        exc = retry_state.outcome.exception()
        logger.warning(
            "Attempt %d failed (%s); retrying in %.2f s",
            retry_state.attempt_number, exc, getattr(retry_state, "upcoming_sleep", 0.0) or 0.0,
        )

    def exhausted(self, exc, attempts):
        """The error to raise once retries are over: the last one, with what was tried."""
        message = "%s Gave up after %d attempt%s over %.1f s (settings 'maxRetries'=%d, 'retryBudgetSeconds'=%g)." % (
            exc, attempts, "" if attempts == 1 else "s", self.elapsed(), self.max_retries, self.budget)
        new = type(exc).__new__(type(exc))
        TransientServiceError.__init__(new, message, status=exc.status, retry_after=exc.retry_after)
        new.before_retries = str(exc)  # the failure itself, for the doctor, whose probes set no retries
        return new
