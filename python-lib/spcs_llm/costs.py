"""Cost attribution: a compute pool bills per hour whether or not we call it.

Each call is charged its share of the pool's busy time: when several calls overlap,
the seconds they overlap are split evenly between them. Over a run, the sum of every
call's ``estimatedCost`` therefore equals rate x (time at least one call was in flight),
instead of the Java plugin's cumulative busy time charged again on every call.
Optional per-token prices are added on top for admins who prefer them.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class BusyTimeMeter:
    """Shares busy seconds between overlapping calls, in O(1) per call start and end.

    ``_share`` is the integral over time of 1/(calls in flight): a call's share of busy
    time is its value at the call's end minus its value at the call's start.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last = None
        self._share = 0.0
        self.busy_seconds = 0.0

    def _advance(self, now):
        if self._in_flight:
            elapsed = now - self._last
            self._share += elapsed / self._in_flight
            self.busy_seconds += elapsed
        self._last = now

    def start(self):
        """Mark a call as started; pass the returned ticket to ``finish``."""
        with self._lock:
            self._advance(self._clock())
            self._in_flight += 1
            return self._share

    def finish(self, ticket):
        """Mark the call as finished; return its share of busy seconds."""
        with self._lock:
            self._advance(self._clock())
            self._in_flight -= 1
            return self._share - ticket


@dataclass
class UsageTotals:
    """What a model has done since it was configured (the demo and the doctor print it)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    busy_seconds: float = 0.0
    credits: float = 0.0
    dollars: float = 0.0


class CostAccountant:
    """Turns a call's busy-time share and tokens into dollars, and keeps totals."""

    def __init__(self, cost_settings, clock=time.monotonic):
        self.settings = cost_settings
        self.meter = BusyTimeMeter(clock)
        self.totals = UsageTotals()
        self._lock = threading.Lock()

    def start(self):
        """Ticket for a call that starts now."""
        return self.meter.start()

    def finish(self, ticket, prompt_tokens=0, completion_tokens=0):
        """The call's estimated cost in US dollars; updates the totals."""
        share = self.meter.finish(ticket)
        s = self.settings
        credits = _sane(share / 3600.0 * s.credits_per_hour)
        dollars = _sane(credits * s.dollars_per_credit)
        dollars = _sane(dollars + _sane(float(prompt_tokens or 0) * s.input_dollars_per_million / 1e6))
        dollars = _sane(dollars + _sane(float(completion_tokens or 0) * s.output_dollars_per_million / 1e6))
        with self._lock:
            t = self.totals
            t.calls += 1
            t.prompt_tokens += prompt_tokens or 0
            t.completion_tokens += completion_tokens or 0
            t.busy_seconds = _added(t.busy_seconds, share)
            t.credits = _added(t.credits, credits)
            t.dollars = _added(t.dollars, dollars)
        return dollars


def _sane(amount):
    """``amount`` if finite and >= 0, else 0: absurd rates (near the float limit) must not make a
    cost infinite or NaN, which DSS Cost Control would add to every quota."""
    if math.isfinite(amount) and amount >= 0:
        return amount
    logger.warning("A cost came out as %r with these rates; reported as 0. Check the cost settings.", amount)
    return 0.0


def _added(total, amount):
    """``total + amount``, unless that overflows: a running total, once infinite, stays wrong forever."""
    result = total + amount
    return result if math.isfinite(result) else total


class Bill:
    """One call's cost, settled when its ``with costs.call() as bill:`` block ends.

    Inside the block the call reports its tokens with ``bill.tokens(...)``; a call that
    fails is still charged its share of busy time (the pool ran for it), with no tokens.
    After the block, ``bill.cost`` holds the dollars.
    """

    def __init__(self, accountant):
        self._accountant = accountant
        self._ticket = accountant.start()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cost = 0.0

    def tokens(self, prompt_tokens=0, completion_tokens=0):
        """Record the tokens of a call that succeeded."""
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.prompt_tokens = self.completion_tokens = 0
        self.cost = self._accountant.finish(self._ticket, self.prompt_tokens, self.completion_tokens)
        return False
