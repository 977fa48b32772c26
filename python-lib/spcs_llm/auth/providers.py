"""One token provider per credential and way of reaching Snowflake, shared by the models that use it.

The cache key holds a SHA-256 digest of the secret, never the secret, so two DSS users
with different credentials can never receive each other's tokens, while one user's many
calls (and many models on one account) share one session. Everything that changes how a
token is obtained or sent (account URL, role, TLS verification and CA bundle, timeouts)
is part of the key too: a model that verifies TLS never sends its credential through a
provider built by a model that does not.
"""

import hashlib
import threading
from collections import OrderedDict

from .credentials import KeyPairCredential, OAuthCredential, PatCredential
from .keypair_jwt import KeyPairTokenProvider
from .oauth_session import OAuthSessionTokenProvider
from .pat import PatTokenProvider

# OAuth access tokens rotate (DSS refreshes them), so old entries are dropped, oldest first.
MAX_PROVIDERS = 512
_providers = OrderedDict()
_lock = threading.Lock()


def _digest(*parts):
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode("utf-8")).hexdigest()


def provider_for(settings, session):
    """The shared ``TokenProvider`` for ``settings``' credential, created on first use."""
    credential = settings.credential
    timeout = (settings.transport.connect_timeout, min(settings.transport.read_timeout, 60.0))
    verify = settings.transport.verify  # False, True or the CA bundle's path
    reach = (settings.account_url, verify, timeout, getattr(credential, "role", None))
    if isinstance(credential, PatCredential):
        key = ("PAT", _digest(credential.token)) + reach
        factory = lambda: PatTokenProvider(credential.token)  # noqa: E731
    elif isinstance(credential, OAuthCredential):
        key = ("OAUTH", _digest(credential.access_token)) + reach
        factory = lambda: OAuthSessionTokenProvider(  # noqa: E731
            settings.account_url, credential.access_token, session, timeout, verify)
    elif isinstance(credential, KeyPairCredential):
        key = ("KEYPAIR_JWT", settings.ingress_host,
               _digest(credential.account.upper(), credential.user.upper(), credential.private_key_pem)) + reach
        factory = lambda: KeyPairTokenProvider(  # noqa: E731
            credential, settings.account_url, settings.ingress_host, session, timeout, verify)
    else:
        raise TypeError("unknown credential type %s" % type(credential).__name__)
    with _lock:
        provider = _providers.get(key)
        if provider is None:
            provider = _providers[key] = factory()
            while len(_providers) > MAX_PROVIDERS:
                _providers.popitem(last=False)
        else:
            _providers.move_to_end(key)
        return provider


def clear():
    """Forget every cached provider (tests, and the doctor between checks)."""
    with _lock:
        _providers.clear()
