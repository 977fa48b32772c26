"""Snowflake SQL sessions: snowflake-connector-python opened with our credential types.

The same credentials as the LLM component (OAuth access token, key pair, PAT), or a live
session an OAuth model already holds (``SessionCredential``).
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..auth.credentials import KeyPairCredential, OAuthCredential, PatCredential
from ..auth.keypair_jwt import load_private_key
from ..errors import ConfigError

# The connector's release notes (DESCRIPTION.md, v3.15.0, Apr 29 2025): "Added new authentication
# methods support for programmatic access tokens (PATs)". Older releases send a PAT nowhere useful
# (3.12 takes an unknown authenticator for an Okta URL); the code env's floor is this version too.
PAT_CONNECTOR = (3, 15, 0)


@dataclass(frozen=True)
class SessionCredential:
    """A live Snowflake session (its session and master tokens), such as the one an OAuth model holds."""

    session_token: str = field(repr=False)
    master_token: str = field(repr=False)


def connector_args(account_url, credential, role=None):
    """Keyword arguments of ``snowflake.connector.connect`` for our credential types."""
    parts = urlsplit(account_url)
    args = {"host": parts.hostname, "port": parts.port or (443 if parts.scheme == "https" else 80),
            "protocol": parts.scheme, "account": parts.hostname.split(".")[0], "login_timeout": 60,
            "network_timeout": 60, "client_session_keep_alive": False}
    if isinstance(credential, SessionCredential):
        # Kept alive on close: the model goes on sending this session's token to the ingress.
        args.update(session_token=credential.session_token, master_token=credential.master_token,
                    server_session_keep_alive=True)
    elif isinstance(credential, OAuthCredential):
        args.update(authenticator="oauth", token=credential.access_token)
    elif isinstance(credential, PatCredential):
        args.update(authenticator="PROGRAMMATIC_ACCESS_TOKEN", token=credential.token)
        role = role or credential.role
    elif isinstance(credential, KeyPairCredential):
        args.update(authenticator="SNOWFLAKE_JWT", account=credential.account, user=credential.user,
                    private_key=load_private_key(credential.private_key_pem, credential.passphrase))
        role = role or credential.role
    else:
        raise TypeError("unknown credential type %s" % type(credential).__name__)
    if role:
        args["role"] = role
    return args


def check_connector_supports(credential, version):
    """``ConfigError`` when the installed connector (``version``, e.g. "3.14.1") cannot log in with ``credential``."""
    if not isinstance(credential, PatCredential):
        return
    numbers = tuple(int(n) for n in re.findall(r"\d+", str(version))[:3])
    if numbers < PAT_CONNECTOR:
        raise ConfigError("authMode", "a programmatic access token (PAT) over Snowflake SQL needs "
                                      "snowflake-connector-python %s or later; this code environment has %s. Update "
                                      "the plugin's code environment (its requirements ask for %s), or use a key "
                                      "pair." % (".".join(map(str, PAT_CONNECTOR)), version,
                                                 ".".join(map(str, PAT_CONNECTOR))))


def connect(account_url, credential, role=None):
    """An open connection (the caller closes it)."""
    import snowflake.connector
    from snowflake.connector.version import VERSION

    check_connector_supports(credential, ".".join(str(n) for n in VERSION[:3]))
    return snowflake.connector.connect(**connector_args(account_url, credential, role))
