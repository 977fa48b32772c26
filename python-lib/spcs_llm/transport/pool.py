"""The connection pool of one model: keep-alive connections sized to its parallelism.

``EnvironmentCachingSession`` reads proxy and CA-bundle variables once per host instead of
on every request. ``InterimSafeAdapter`` makes every pooled connection read past interim
(1xx) responses, so that a connection's next answer is always the answer to its own request.
"""

import http.client
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting

from ..wire import cancel

# A server sending more interim responses than this before its answer is not answering.
MAX_INTERIM_RESPONSES = 32
_MAX_LINE = 65536
_MAX_HEADERS = 100


class EnvironmentCachingSession(requests.Session):
    """A ``requests.Session`` that reads proxy and CA-bundle variables once per host.

    ``requests`` scans the whole environment for them on every request, which was a fifth
    of its CPU per request here. DSS sets them when the backend starts, not while it runs.
    """

    def __init__(self):
        super().__init__()
        self._environment = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        """As ``requests.Session``'s, with the environment part cached per (scheme, host, verify)."""
        if proxies or not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, verify)
        cached = self._environment.get(key)
        if cached is None:
            cached = self._environment[key] = super().merge_environment_settings(url, {}, None, verify, None)
        return {"proxies": dict(cached["proxies"]), "verify": cached["verify"],
                "stream": merge_setting(stream, self.stream), "cert": merge_setting(cert, self.cert)}


class InterimSkippingResponse(http.client.HTTPResponse):
    """``http.client``'s response, reading past every interim (1xx) response to the final one.

    ``http.client`` skips only ``100 Continue``: a ``103 Early Hints`` (sent by CDNs and
    proxies, RFC 8297) or a ``102 Processing`` passes for the whole answer, with an empty
    body, and the real answer stays unread on the connection. Once the connection is back
    in the pool, the next request sent on it reads that answer: one call's answer handed to
    another call's prompt. Interim responses carry no answer (RFC 9110 section 15.2), so
    they are read and dropped here. ``101 Switching Protocols`` (never asked for) ends the
    response and the connection is not reused: what follows is no longer HTTP/1.1.
    """

    def _read_status(self):
        for _ in range(MAX_INTERIM_RESPONSES):
            version, status, reason = super()._read_status()
            if status in (http.client.CONTINUE, http.client.SWITCHING_PROTOCOLS) or not 100 <= status < 200:
                return version, status, reason  # begin() skips a 100 itself
            _skip_headers(self.fp)
        raise http.client.HTTPException("more than %d interim (1xx) responses before the answer"
                                        % MAX_INTERIM_RESPONSES)

    def begin(self):
        """As ``http.client``'s; a final status below 200 (101) also closes the connection."""
        super().begin()
        if 100 <= self.status < 200:
            self.will_close = True


def _skip_headers(fp):
    """Read the header lines of an interim response up to its blank line, within http.client's limits."""
    for _ in range(_MAX_HEADERS + 1):
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            return
    raise http.client.HTTPException("got more than %d headers in an interim response" % _MAX_HEADERS)


_safe_classes = {}


def _safe_pool_class(pool_cls):
    """``pool_cls`` whose connections read their answers with ``InterimSkippingResponse``."""
    safe = _safe_classes.get(pool_cls)
    if safe is None and getattr(pool_cls, "_spcs_interim_safe", False):
        safe = pool_cls
    if safe is None:
        base = pool_cls.ConnectionCls
        connection_cls = type(base.__name__, (base,), {
            "response_class": InterimSkippingResponse,
            "getresponse": _abortable_getresponse(base.getresponse),
        })
        safe = _safe_classes[pool_cls] = type(pool_cls.__name__, (pool_cls,), {
            "ConnectionCls": connection_cls, "_spcs_interim_safe": True})
    return safe


def _abortable_getresponse(getresponse):
    """``getresponse`` that a cancelled async call can interrupt (``wire.cancel``) while it waits."""
    def wrapped(self, *args, **kwargs):
        with cancel.on_abort(lambda: cancel.shut(self.sock)):
            return getresponse(self, *args, **kwargs)
    wrapped.__doc__ = getresponse.__doc__
    return wrapped


def _make_interim_safe(manager):
    """Give a urllib3 pool manager (direct or through a proxy) connections that skip interim responses."""
    manager.pool_classes_by_scheme = {scheme: _safe_pool_class(cls)
                                      for scheme, cls in manager.pool_classes_by_scheme.items()}
    return manager


class InterimSafeAdapter(HTTPAdapter):
    """requests' ``HTTPAdapter`` whose every connection, direct or through a proxy, reads past 1xx answers."""

    def init_poolmanager(self, *args, **kwargs):
        """As ``HTTPAdapter``'s, with ``InterimSkippingResponse`` connections."""
        super().init_poolmanager(*args, **kwargs)
        _make_interim_safe(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        """As ``HTTPAdapter``'s, with ``InterimSkippingResponse`` connections."""
        return _make_interim_safe(super().proxy_manager_for(proxy, **proxy_kwargs))


def pooled_session(parallelism):
    """A session whose pool holds ``parallelism`` keep-alive connections (plus two for token exchanges)."""
    session = EnvironmentCachingSession()
    adapter = InterimSafeAdapter(pool_connections=4, pool_maxsize=max(parallelism, 1) + 2, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
