"""The three kinds of Snowflake credential a model can hold, as validated in ``set_config``.

Secrets are kept out of ``repr`` so that a logged settings object never shows them.
"""

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class OAuthCredential:
    """The DSS user's current Snowflake OAuth access token (from the ``oauth`` preset)."""

    access_token: Optional[str] = field(repr=False, default=None)


@dataclass(frozen=True)
class KeyPairCredential:
    """A Snowflake service user with an RSA key pair (``keypair`` preset)."""

    account: str
    user: str
    private_key_pem: str = field(repr=False)
    passphrase: Optional[str] = field(repr=False, default=None)
    role: Optional[str] = None


@dataclass(frozen=True)
class PatCredential:
    """A Snowflake programmatic access token (``pat`` preset)."""

    token: str = field(repr=False)
    role: Optional[str] = None
