"""The connection pool of one model: keep-alive connections sized to its parallelism.

``EnvironmentCachingSession`` reads proxy and CA-bundle variables once per host instead of
on every request.
"""

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting


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


def pooled_session(parallelism):
    """A session whose pool holds ``parallelism`` keep-alive connections (plus two for token exchanges)."""
    session = EnvironmentCachingSession()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(parallelism, 1) + 2, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
