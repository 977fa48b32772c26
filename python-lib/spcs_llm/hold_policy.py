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
now and then so that both slopes stay measured: while holding, one call is sent alone at
once, and the shared request leaves while it is in flight (not holding, requests are
in flight together all the time). Pure: the batcher feeds it samples.
"""

MEMORY = 32.0  # samples: older ones fade by a factor e per this many newer samples
PRIOR_WEIGHT = 0.05  # a slope nobody measures lately keeps its last value with this many samples' weight
QUEUE_KEEP = 0.5  # weight the per-request figure keeps of the requests before the newest
ENTER_GAIN = 0.15  # start holding when it would save this share of a call's latency...
LEAVE_GAIN = 0.05  # ...stop when it saves less than this
PROBE_EVERY = 32  # requests between probes while holding (one text alone: ~2% of a one-worker service's time)
# A request that says the service may have changed makes the next probe come after
# SURPRISE_PROBE_AFTER requests instead of the full interval: alone, a latency this far
# (relative) from the fit's; with others in flight, a cost per request this far from the
# fit's (relative, and more than half a text and 2% of the latency).
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
    more about the slope.
    """

    def __init__(self, memory=MEMORY, prior_weight=PRIOR_WEIGHT):
        self._keep = 1.0 - 1.0 / memory
        self._prior_weight = prior_weight
        self._xx = [[0.0, 0.0], [0.0, 0.0]]
        self._xy = [0.0, 0.0]
        self._nn = self._n_excess = 0.0
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
            self._nn = self._nn * QUEUE_KEEP + in_flight * in_flight
            self._n_excess = self._n_excess * QUEUE_KEEP + in_flight * (seconds - fit.shared(texts))
            self.fit = Fit(fit.base, max(0.0, self._n_excess / self._nn), fit.per_text)
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
            self.fit = Fit(solution[0], fit.per_request, solution[1])
        return self.fit


class HoldPolicy:
    """Holds one-text calls for company while the service queues requests; adapts as it changes.

    ``fixed_wait`` (seconds) forces the old behaviour: always hold that long (0: never).
    """

    def __init__(self, fixed_wait=None, probe_every=None):
        self.fixed_wait = fixed_wait
        self.automatic = fixed_wait is None
        self.latency = LatencyFit()
        self.holding = bool(fixed_wait) if fixed_wait is not None else False
        self.changes = 0  # decisions switched so far
        self.probes = 0
        self.surprises = 0
        self._probe_every = probe_every or PROBE_EVERY
        self._since_probe = 0

    def observe(self, in_flight, texts, seconds, callers):
        """Feed one answered request; re-decide for ``callers`` one-text callers at once."""
        if not self.automatic:
            return self.holding
        if self.latency.samples > MIN_SAMPLES and _surprising(self.latency.fit, in_flight, texts, seconds):
            self.surprises += 1  # the fit may be out of date: probe soon
            self._since_probe = max(self._since_probe, self._probe_every - SURPRISE_PROBE_AFTER)
        fit = self.latency.add(in_flight, texts, seconds)
        self._since_probe += 1
        if self.latency.samples < MIN_SAMPLES or callers < 2:
            return self.holding
        alone = fit.alone(callers)
        gain = (alone - fit.shared(callers)) / alone if alone > 0 else 0.0
        hold = gain > (LEAVE_GAIN if self.holding else ENTER_GAIN)
        if hold != self.holding:
            self.holding = hold
            self.changes += 1
        return self.holding

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
        """Whether the next call, while calls are held, should go alone at once (a probe).

        Held calls travel one request at a time, which says nothing about what requests in
        flight together cost: a call sent alone now and then, with the shared request
        leaving while it is in flight, measures it. Not holding, every request measures it.
        """
        if not self.automatic or not self.holding or callers < 2 or self._since_probe < self._probe_every:
            return False
        self._since_probe = 0
        self.probes += 1
        return True


def _surprising(fit, in_flight, texts, seconds):
    """Whether this request's latency says the fit may be out of date (see SURPRISE)."""
    alone = fit.shared(texts)
    if in_flight == 0:
        return abs(seconds - alone) > SURPRISE * max(alone, 1e-3)
    per_request = (seconds - alone) / in_flight
    return abs(per_request - fit.per_request) > max(SURPRISE_PER_REQUEST * fit.per_request,
                                                    SURPRISE_PER_REQUEST * fit.per_text, 0.02 * alone / in_flight)


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
