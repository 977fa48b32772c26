"""What every token provider shares: caching with expiry, single-flight refresh, HTTP posts."""

import logging
import threading
import time
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import requests

from ..errors import AuthError, TransientServiceError
from ..wire.deadline import Deadline
from ..wire.http_body import ACCEPT_ENCODING, MEGABYTE, BodyReader, headers_as_set, is_header_safe
from ..wire.server_text import Scrubber
from .single_flight import SingleFlight

logger = logging.getLogger(__name__)

# Refresh a token this long before it expires, capped to a tenth of its lifetime.
REFRESH_MARGIN_SECONDS = 60.0
# A login or token answer is a few kilobytes.
MAX_ACCOUNT_ANSWER_BYTES = MEGABYTE


def authorization_header(token):
    """The header SPCS ingress and Snowflake's session API expect."""
    return 'Snowflake Token="%s"' % token


@dataclass
class CachedToken:
    """A token and the monotonic time after which it must not be used."""

    value: str = field(repr=False)
    refresh_at: float = float("inf")
    expires_at: float = float("inf")


def refresh_time(now, lifetime_seconds):
    """When to refresh a token issued at ``now`` that lives ``lifetime_seconds``."""
    margin = min(REFRESH_MARGIN_SECONDS, lifetime_seconds / 10.0)
    return now + lifetime_seconds - margin


class TokenProvider:
    """Hands out a valid token, fetching one only when none is cached or it is stale.

    The fast path reads the cache without a lock. A refresh is single-flight: the first
    thread to find the token stale fetches it, the others wait for that fetch's outcome,
    and no lock is held during the network call. Subclasses implement ``_fetch(stale, deadline)``
    returning a ``CachedToken``.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._token = None
        self._flight = SingleFlight()
        self.exchanges = 0
        # Tokens this provider obtained lately: a server may echo an old one too.
        self._issued = deque(maxlen=16)
        self.scrub = Scrubber(self.known_secrets)

    def known_secrets(self):
        """Every secret this provider holds or obtained lately, for ``Scrubber``."""
        return list(self._issued) + list(self._credential_secrets())

    def _credential_secrets(self):
        return ()

    def _remember(self, *values):
        self._issued.extend(v for v in values if v)

    def _valid(self, token):
        return token is not None and self._clock() < token.refresh_at

    def get_token(self, deadline=None):
        """A token valid now; a fetch (or the wait for another thread's) ends by ``deadline``."""
        token = self._token
        if self._valid(token):
            return token.value
        deadline = deadline or self._default_deadline()
        try:
            return self._flight.run(lambda: self._refresh(deadline),
                                    timeout=deadline.timeout(float("inf"), "obtaining a Snowflake token")).value
        except FutureTimeout:
            raise deadline.error("waiting for a Snowflake token another call is obtaining") from None

    def _default_deadline(self):
        return Deadline(120.0, "a token exchange outside a call")

    def _refresh(self, deadline):
        current = self._token
        if self._valid(current):  # renewed by the flight that just ended
            return current
        fresh = self._fetch(current, deadline)
        self._remember(fresh.value)
        if not is_header_safe(fresh.value):
            raise AuthError("Snowflake returned a token that cannot be sent in an HTTP header (it holds a space, "
                            "quote or non-ASCII character); check 'snowflakeAccountUrl'.")
        with self._lock:
            self._token = fresh
            self.exchanges += 1
        return fresh

    def invalidate(self, rejected_value):
        """Forget ``rejected_value`` after the ingress refused it (other threads may have renewed already)."""
        with self._lock:
            if self._token is not None and self._token.value == rejected_value:
                self._token.refresh_at = float("-inf")

    def renew(self, rejected_value, deadline=None):
        """A fresh token to replay with after the ingress refused ``rejected_value``.

        A failure here fails only the call that got the refusal: nothing is remembered,
        so the next call fetches again instead of failing without a request.
        """
        self.invalidate(rejected_value)
        return self.get_token(deadline)

    def _fetch(self, stale, deadline):
        raise NotImplementedError


def _lost_mid_answer(what):
    return TransientServiceError("The connection to Snowflake was lost half-way through its answer while %s." % what)


def post(session, url, timeout, verify, what, deadline=None, **kwargs):
    """POST to Snowflake's account API within ``deadline``, turning network failures into retryable errors.

    The answer is read (at most ``MAX_ACCOUNT_ANSWER_BYTES``) before it is returned, so a slow
    or endless token endpoint costs the call its deadline, never more.
    """
    deadline = deadline or Deadline(timeout[0] + timeout[1], "the connect and read timeouts")
    timeout = (deadline.timeout(timeout[0], what), deadline.timeout(timeout[1], what))
    kwargs["headers"] = dict(kwargs.get("headers") or {}, **{"Accept-Encoding": ACCEPT_ENCODING})
    kwargs.setdefault("auth", headers_as_set)  # no ~/.netrc entry replaces what we send
    try:
        response = session.post(url, timeout=timeout, verify=verify, allow_redirects=False, stream=True, **kwargs)
    except requests.exceptions.SSLError as exc:
        raise AuthError(
            "TLS verification failed while %s at %s (%s). Check the account URL, or give a CA bundle "
            "in 'caBundlePath' if a proxy re-signs traffic." % (what, url, type(exc).__name__)
        ) from None
    except requests.exceptions.ChunkedEncodingError:  # urllib3 2: the answer stopped half-way
        raise _lost_mid_answer(what) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        if deadline.expired():
            raise deadline.error(what) from None
        raise TransientServiceError(
            "Could not reach Snowflake while %s at %s (%s). Check 'snowflakeAccountUrl' and that "
            "the DSS host can reach it." % (what, url, type(exc).__name__)
        ) from None
    with response:
        try:
            body = BodyReader(response, url, deadline, timeout[1], MAX_ACCOUNT_ANSWER_BYTES,
                              "the size of a Snowflake login answer").read_all()
        except TransientServiceError:
            raise _lost_mid_answer(what) from None
    response._content = body  # what requests keeps for .text and .json()
    response._content_consumed = True
    if response.status_code in (429, 502, 503, 504):
        raise TransientServiceError(
            "Snowflake answered HTTP %d while %s." % (response.status_code, what), status=response.status_code
        )
    return response
