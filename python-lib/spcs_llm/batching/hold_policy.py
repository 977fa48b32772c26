"""Whether one-text embedding calls should wait for company: decided from the service's latency.

Holding a call until others join its request pays off only on a service that queues
requests (one inference worker, the Model Registry default on GPU); on one that serves
requests in parallel it only adds latency. Which kind a service is, and whether it has
changed since (scaled out, another tenant), shows in its latencies:

    latency ~ base + per_request * (other requests in flight during it) + per_text * (texts)

``LatencyFit`` fits these three figures online, forgetting old samples. With ``C`` one-text
callers at once, sending each alone costs each of them about
``base + per_request * (C - 1) + per_text`` (they queue behind each other), one shared
request ``base + per_text * C``: holding wins when ``per_request`` exceeds ``per_text``,
by a margin. ``HoldPolicy`` makes that decision, with hysteresis, and asks for a probe
now and then so that both slopes stay measured: while holding, a few calls are sent
alone at once, and the shared request leaves while they are in flight (not holding,
requests are in flight together all the time).

A straight line through a probe of one call cannot tell a service that serves a few
requests at once (two or four workers) from one that serves them all: two requests in
flight do not queue on either. So holding stops only on what requests showed with at
least half as many others in flight as sending every call alone would put there. Until
then, a probe after which holding no longer looks worth it is followed soon by one
sending twice as many calls alone (1, 2, 4, ...); one after which it does, by a probe
half its size at the usual interval, so probes stay about as small as still shows the
queue. Pure: the batcher feeds it samples.
"""

MEMORY = 32.0  # samples: older ones fade by a factor e per this many newer samples
PRIOR_WEIGHT = 0.05  # a slope nobody measures lately keeps its last value with this many samples' weight
QUEUE_KEEP = 0.5  # weight the per-request figure keeps of the requests before the newest
ENTER_GAIN = 0.15  # start holding when it would save this share of a call's latency...
LEAVE_GAIN = 0.05  # ...stop when it saves less than this
PROBE_EVERY = 32  # requests between probes while holding (one text alone: ~2% of a one-worker service's time)
# Two requests in a row that say the service may have changed make the next probe come
# after SURPRISE_PROBE_AFTER requests instead of the full interval (a fit after which
# holding no longer looks worth it: as soon as the last probe is answered). A request
# says so when, alone, its latency is this far (relative) from the fit's, or, with others
# in flight, its cost per request is this far from the fit's (relative, and more than
# half a text and 2% of the latency), and the next one says so in the same direction.
# One is not enough: behind one worker, of two requests in flight together the first
# served sees no queue and the second a whole request's, both far from the fit's average,
# every time.
SURPRISE = 0.25
SURPRISE_PER_REQUEST = 0.5
SURPRISE_PROBE_AFTER = 4
MIN_SAMPLES = 8  # no decision before this many requests were seen
WAIT_BOUNDS = (0.001, 0.25)  # seconds: how long a held call may wait for company


class Fit:
    """Fitted latency figures, in seconds: ``base``, ``per_request`` in flight, ``per_text``."""

    __slots__ = ("base", "per_request", "per_text")

    def __init__(self, base, per_request, per_text):
        self.base, self.per_request, self.per_text = base, per_request, per_text

    def alone(self, callers):
        """Latency of each of ``callers`` one-text requests sent at once."""
        return self.base + self.per_request * (callers - 1) + self.per_text

    def shared(self, callers):
        """Latency of one request carrying ``callers`` texts."""
        return self.base + self.per_text * callers

    def __repr__(self):
        return "Fit(base=%.1f ms, per_request=%.2f ms, per_text=%.2f ms)" % (
            self.base * 1000, self.per_request * 1000, self.per_text * 1000)


class LatencyFit:
    """The three figures, each measured where the others do not blur it.

    ``base`` and ``per_text``: least squares of latency on texts over the requests sent
    with nothing else in flight, exponentially forgetting (``MEMORY``); a slope the recent
    samples do not pin down (all of one size, say) keeps its last value, as each solve is
    pulled towards the last one with the weight of ``PRIOR_WEIGHT`` samples.
    ``per_request``: least squares of what a request sent with ``n`` others in flight
    took beyond what it would have alone, on ``n``, forgetting fast (``QUEUE_KEEP`` per
    request) so that a few requests are enough to see a service that stopped or started
    queueing; a request with many others in flight weighs more (n squared), as it says
    more about the slope. What a request would have taken alone is reckoned with the
    latest ``base`` and ``per_text`` each time, not those known when it was answered: the
    first requests may all have had others in flight, before anything measured the base.
    """

    def __init__(self, memory=MEMORY, prior_weight=PRIOR_WEIGHT):
        self._keep = 1.0 - 1.0 / memory
        self._prior_weight = prior_weight
        self._xx = [[0.0, 0.0], [0.0, 0.0]]
        self._xy = [0.0, 0.0]
        # Decayed sums over requests with n others in flight: n², n, n·texts, n·seconds.
        self._queued = [0.0, 0.0, 0.0, 0.0]
        self.samples = 0
        self.alone_samples = 0  # requests with nothing else in flight: what ``base`` comes from
        self.typical = 0.0  # moving average of every latency, while ``base`` is not measured yet
        self.fit = Fit(0.0, 0.0, 0.0)

    def add(self, in_flight, texts, seconds):
        """One answered request: others in flight at some moment of it, its texts, its latency."""
        fit = self.fit
        self.samples += 1
        self.typical += (seconds - self.typical) / min(self.samples, MEMORY)
        if in_flight > 0:
            n, q = float(in_flight), self._queued
            for i, x in enumerate((n * n, n, n * texts, n * seconds)):
                q[i] = q[i] * QUEUE_KEEP + x
            self.fit = Fit(fit.base, self._per_request(fit.base, fit.per_text), fit.per_text)
            return self.fit
        self.alone_samples += 1
        x = (1.0, float(texts))
        keep = self._keep
        for i in range(2):
            self._xy[i] = self._xy[i] * keep + x[i] * seconds
            for j in range(2):
                self._xx[i][j] = self._xx[i][j] * keep + x[i] * x[j]
        ridge = self._prior_weight
        solution = _nonnegative_least_squares(
            [[self._xx[0][0] + 1e-9, self._xx[0][1]], [self._xx[1][0], self._xx[1][1] + ridge]],
            [self._xy[0], self._xy[1] + ridge * fit.per_text])
        if solution is not None:
            base, per_text = solution
            self.fit = Fit(base, self._per_request(base, per_text), per_text)
        return self.fit

    def _per_request(self, base, per_text):
        """Least squares of (latency - (base + per_text * texts)) on n, over the queued sums; >= 0."""
        nn, n, nk, ns = self._queued
        return max(0.0, (ns - base * n - per_text * nk) / nn) if nn else 0.0


class HoldPolicy:
    """Holds one-text calls for company while the service queues requests; adapts as it changes.

    ``fixed_wait`` (seconds) forces the old behaviour: always hold that long (0: never).
    """

    def __init__(self, fixed_wait=None, probe_every=None, max_in_flight=None):
        self.fixed_wait = fixed_wait
        self.max_in_flight = max_in_flight  # the most requests the batcher puts on the wire at once
        self.automatic = fixed_wait is None
        self.latency = LatencyFit()
        self.holding = bool(fixed_wait) if fixed_wait is not None else False
        self.changes = 0  # decisions switched so far
        self.probes = 0
        self.surprises = 0
        self._probe_every = probe_every or PROBE_EVERY
        self._since_probe = 0
        self._last_surprise = 0  # -1: the last request was surprisingly fast, 1: slow, 0: neither
        self.probe_size = 1  # calls sent alone at the last probe
        self._probe_left = 0  # calls of the current probe still to go alone
        self._worth_holding = True  # what the fit said after the last request, whatever the decision
        self._surprised = False  # requests said the service may have changed since the last probe
        self._resized = False  # the last probe had another size than the one before

    def observe(self, in_flight, texts, seconds, callers):
        """Feed one answered request; re-decide for ``callers`` one-text callers at once."""
        if not self.automatic:
            return self.holding
        # A probe of another size than the last one measures where the fit has not looked:
        # its requests are expected to differ, not a sign of change.
        resized = self.holding and in_flight > 0 and self._resized
        if self.latency.samples > MIN_SAMPLES and not resized:
            surprise = _surprise(self.latency.fit, in_flight, texts, seconds)
            if surprise and surprise == self._last_surprise:
                self.surprises += 1  # the fit may be out of date: probe soon
                self._surprised = True
            self._last_surprise = surprise
        fit = self.latency.add(in_flight, texts, seconds)
        self._since_probe += 1
        if self.latency.samples < MIN_SAMPLES or callers < 2:
            return self.holding
        alone = fit.alone(callers)
        gain = (alone - fit.shared(callers)) / alone if alone > 0 else 0.0
        hold = gain > (LEAVE_GAIN if self.holding else ENTER_GAIN)
        if self.holding:
            hold = self._still_holding(hold, in_flight, callers)
        if hold != self.holding:
            self.holding = hold
            self.changes += 1
            if hold:  # probes start small again
                self.probe_size, self._probe_left, self._worth_holding = 1, 0, True
        return self.holding

    def _still_holding(self, hold, in_flight, callers):
        """While holding: whether to go on, given what the fit says (``hold``) after this request."""
        self._worth_holding = hold
        if hold:
            return True
        # Measured with at least half as many in flight as every call sent alone would put
        # there: no queue worth holding for (a service that serves that many at once loses
        # little to calls sent at once, two waves at most). Else a queue may show only with
        # more in flight: a larger probe, soon (see ``probe``).
        return in_flight < max(1, self._largest_probe(callers) // 2)

    def _largest_probe(self, callers):
        """Calls a probe may send alone: all but one (which opens the shared request), within the batcher's slots."""
        return max(1, min(callers, self.max_in_flight or callers) - 1)

    def wait_seconds(self, callers):
        """How long a call opening a shared request waits for company (0: not at all).

        Holding: about what one request of ``callers`` texts takes. Requests queued behind
        one worker come back one after the other; waiting that long lets the callers of
        the one answered next catch up, so rounds merge into one request instead of
        staying staggered. Waiting longer cannot pay: the callers still out would be
        answered by then.
        """
        if not self.automatic:
            return self.fixed_wait
        if not self.holding:
            return 0.0
        low, high = WAIT_BOUNDS
        latency = self.latency
        # Until a request has gone with nothing else in flight, the base is unknown: any latency seen will do.
        expected = latency.fit.shared(max(1, callers)) if latency.alone_samples else latency.typical
        return min(high, max(low, expected))

    def probe(self, callers):
        """Whether the next call, while calls are held, should go alone at once (part of a probe).

        Held calls travel one request at a time, which says nothing about what requests in
        flight together cost: ``probe_size`` calls sent alone now and then, with the shared
        request leaving while they are in flight, measure it. Not holding, every request
        measures it. The batcher asks as each call arrives with no shared request open.
        """
        if not self.automatic or not self.holding or callers < 2:
            return False
        if self._probe_left > 0:
            self._probe_left -= 1
            return True
        if not self._worth_holding:  # the next size up, once the last probe's requests are answered
            due = self.probe_size + 1
        else:
            due = SURPRISE_PROBE_AFTER if self._surprised else self._probe_every
        if self._since_probe < due:
            return False
        self._since_probe = 0
        self._surprised = False
        self.probes += 1
        size = self.probe_size // 2 if self._worth_holding else self.probe_size * 2
        size = max(1, min(size, self._largest_probe(callers)))
        self._resized, self.probe_size = size != self.probe_size, size
        self._probe_left = self.probe_size - 1
        return True


def _surprise(fit, in_flight, texts, seconds):
    """1 if this request was surprisingly slow for the fit, -1 if surprisingly fast, else 0 (see SURPRISE)."""
    alone = fit.shared(texts)
    if in_flight == 0:
        off, bound = seconds - alone, SURPRISE * max(alone, 1e-3)
    else:
        off = (seconds - alone) / in_flight - fit.per_request
        bound = max(SURPRISE_PER_REQUEST * fit.per_request, SURPRISE_PER_REQUEST * fit.per_text,
                    0.02 * alone / in_flight)
    return 0 if abs(off) <= bound else (1 if off > 0 else -1)


def _nonnegative_least_squares(xx, xy):
    """The x >= 0 minimising the quadratic with normal equations ``xx x = xy``; None if singular.

    No figure of a real service is negative: a coefficient the plain solution makes
    negative is held at 0 and the others solved again.
    """
    n = len(xy)
    zero = set()
    while True:
        free = [i for i in range(n) if i not in zero]
        if not free:
            return [0.0] * n
        part = _solve([[xx[i][j] for j in free] + [xy[i]] for i in free])
        if part is None:
            return None
        negative = [i for i, v in zip(free, part) if v < 0]
        if not negative:
            x = [0.0] * n
            for i, v in zip(free, part):
                x[i] = v
            return x
        zero.update(negative)


def _solve(a):
    """Gaussian elimination with partial pivoting on an n x (n+1) augmented matrix; None if singular."""
    n = len(a)
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-15:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            f = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= f * a[col][c]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x
