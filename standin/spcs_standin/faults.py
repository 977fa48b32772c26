"""Faults a service can be told to show, one-shot (queued) or persistent."""

import random
import threading
from collections import deque
from dataclasses import dataclass, field

# One-shot fault names: "429", "502", "503", "504", "500", "400", "413", "reset", "slow",
# "cut" (connection reset after cut_after_chunks stream events, or half-way through a plain
# answer), "malformed", "html", "login-redirect", "401".
TRANSIENT_MIX = ("429", "502", "503", "504", "reset")


@dataclass
class Faults:
    """What goes wrong on this service. All fields may be changed while it runs."""

    queue: deque = field(default_factory=deque)
    transient_rate: float = 0.0  # share of requests that get one of TRANSIENT_MIX
    retry_after: str = "0"  # Retry-After sent with 429 (seconds or an HTTP date)
    slow_seconds: float = 5.0  # how long "slow" stalls before answering
    cut_after_chunks: int = 3
    max_batch: int = 0  # embedding batches or rerank document lists above this are refused (0: no limit)
    max_body_bytes: int = 0  # request bodies above this get 413, as an ingress limit would (0: none)
    seed: int = 1234

    def __post_init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self.injected = 0

    def inject(self, *names):
        with self._lock:
            self.queue.extend(names)

    def next(self):
        """The fault for the request arriving now, or None."""
        with self._lock:
            if self.queue:
                self.injected += 1
                return self.queue.popleft()
            if self.transient_rate and self._rng.random() < self.transient_rate:
                self.injected += 1
                return self._rng.choice(TRANSIENT_MIX)
        return None

    def clear(self):
        with self._lock:
            self.queue.clear()
            self.transient_rate = 0.0
            self.max_batch = 0
