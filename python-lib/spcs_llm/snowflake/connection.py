"""Snowflake SQL sessions: snowflake-connector-python opened with our credential types.

The same credentials as the LLM component (OAuth access token, key pair, PAT), or a live
session an OAuth model already holds (``SessionCredential``).
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..auth.credentials import KeyPairCredential, OAuthCredential, PatCredential
from ..auth.keypair_jwt import load_private_key


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


def connect(account_url, credential, role=None):
    """An open connection (the caller closes it)."""
    import snowflake.connector

    return snowflake.connector.connect(**connector_args(account_url, credential, role))
