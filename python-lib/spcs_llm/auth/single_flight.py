"""One call at a time for an expensive operation; concurrent callers share its outcome.

Used for token exchanges and service resumes: the first caller runs the operation, the
others wait for its result (or its exception). No lock is held while it runs.
"""

import threading
from concurrent.futures import Future


class SingleFlight:
    """``run(fn)``: run ``fn`` unless a run is under way, in which case wait for that one."""

    def __init__(self):
        self._lock = threading.Lock()
        self._inflight = None

    def run(self, fn, timeout=None):
        """``fn()``'s result; a caller waiting for another's run gives up after ``timeout`` seconds
        (``concurrent.futures.TimeoutError``)."""
        with self._lock:
            leader = self._inflight is None
            if leader:
                self._inflight = Future()
            inflight = self._inflight
        if not leader:
            return inflight.result(timeout)
        try:
            result = fn()
        except BaseException as exc:
            with self._lock:
                self._inflight = None
            inflight.set_exception(exc)
            raise
        with self._lock:
            self._inflight = None
        inflight.set_result(result)
        return result
