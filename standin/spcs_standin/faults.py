"""Faults a service can be told to show, one-shot (queued) or persistent."""

import random
import threading
from collections import deque
from dataclasses import dataclass, field

# One-shot fault names: "429", "502", "503", "504", "500", "400", "413", "reset", "slow",
# "cut" (connection reset after cut_after_chunks stream events, or half-way through a plain
# answer), "malformed", "html", "login-redirect", "401".
# Servers that quote what they were sent: "echo-auth" (an error of status echo_status whose
# plain-text body lists the request's headers, Authorization included, as a debugging proxy
# does), "401-token" (a 401 whose message quotes the token), "422-echo" (a FastAPI/pydantic
# validation error whose "input" repeats the request's input, as infinity does).
# Servers that never finish: "trickle" (the answer one byte every trickle_seconds),
# "keepalive-only" (an SSE stream of keep-alive comments for keepalive_for seconds, no data),
# "held-open" (a stream whose connection stays open after [DONE] until the gate opens).
# Servers that send too much: "huge" (a JSON answer of huge_megabytes), "gzip-bomb" (a small
# gzip body inflating to bomb_megabytes), "huge-line" (one SSE line of huge_megabytes).
# Interim answers before the normal one (RFC 9110 section 15.2): "early-hints" (a 103 with a
# Link header, as a CDN or proxy sends), "processing" (a 102).
# close_delimited streams end by closing the connection instead of chunked encoding.
# gate_after: a stream waits for ``gate`` (set by the test) after that many events; each wait
# is recorded in gate_waits (True: opened in time, False: gave up after gate_timeout).
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
    echo_status: int = 400  # status of the "echo-auth" answer (502 makes it a retried failure)
    trickle_seconds: float = 0.05
    keepalive_seconds: float = 0.1
    keepalive_for: float = 30.0
    huge_megabytes: float = 2.0
    bomb_megabytes: int = 64
    close_delimited: bool = False
    gate_after: int = None
    usage_override: dict = None  # replaces keys of the OpenAI usage object (odd counts: "12", -1, NaN...)
    refuse_text: str = None  # an embedding request holding this text gets 400, as a server refusing one input does
    gate_timeout: float = 10.0
    seed: int = 1234

    def __post_init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self.injected = 0
        self.gate = threading.Event()
        self.gate_waits = []

    def wait_gate(self):
        """Block the answer until the test opens the gate (or gate_timeout passes); record which."""
        self.gate_waits.append(self.gate.wait(self.gate_timeout))

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
