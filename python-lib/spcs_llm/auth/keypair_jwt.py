"""Key-pair authentication of a Snowflake service user, exchanged for an ingress token.

We sign an RS256 JWT (``iss = ACCOUNT.USER.SHA256:<fingerprint>``, ``sub = ACCOUNT.USER``)
and exchange it at ``<account>/oauth/token`` for a token scoped to the ingress host.
Unlike snowflake-ml-python's helper, which caches its token forever, we renew it before
it expires and whenever the ingress rejects it.
"""

import base64
import hashlib
import logging
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ..errors import AuthError, ConfigError
from ..wire.server_text import clean, describe_error_body
from .base import CachedToken, TokenProvider, post, refresh_time
from .pem import rebuild_pem

logger = logging.getLogger(__name__)

JWT_LIFETIME_SECONDS = 3540  # Snowflake accepts at most one hour.
# The exchanged token carries no lifetime in its plain-text reply; assume the JWT's.
TOKEN_LIFETIME_SECONDS = 3540
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def load_private_key(pem, passphrase=None):
    """Parse a PEM RSA private key; ``ConfigError`` on ``keypair.privateKey`` says what is wrong."""
    key = _load_pem(pem, passphrase)
    if not isinstance(key, rsa.RSAPrivateKey):
        # Snowflake key-pair authentication signs RS256 JWTs: an EC, DSA or Ed25519 key cannot.
        raise ConfigError(
            "keypair.privateKey",
            "is %s key, but Snowflake key-pair authentication takes an RSA key. Generate one with "
            "'openssl genrsa 2048 | openssl pkcs8 -topk8 -nocrypt' and register its public key with "
            "ALTER USER ... SET RSA_PUBLIC_KEY." % _key_kind(key),
        )
    return key


def _key_kind(key):
    for kind, name in ((ec.EllipticCurvePrivateKey, "an EC"), (dsa.DSAPrivateKey, "a DSA"),
                       (ed25519.Ed25519PrivateKey, "an Ed25519"), (ed448.Ed448PrivateKey, "an Ed448")):
        if isinstance(key, kind):
            return name
    return "a %s" % type(key).__name__


def _load_pem(pem, passphrase):
    pem = rebuild_pem(pem)  # DSS may have turned the key's line breaks into spaces
    data = pem.strip().encode("utf-8")
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        return serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise ConfigError(
                "keypair.privateKeyPassphrase",
                "the private key is encrypted: enter its passphrase.",
            ) from None
        raise ConfigError(
            "keypair.privateKeyPassphrase",
            "a passphrase was given but the private key is not encrypted: leave it empty.",
        ) from None
    except ValueError:
        if password is not None:
            raise ConfigError(
                "keypair.privateKey",
                "could not decrypt the private key: check the passphrase, and that the key is a PEM "
                "(-----BEGIN ENCRYPTED PRIVATE KEY-----).",
            ) from None
        raise ConfigError(
            "keypair.privateKey",
            "is not a PEM private key. Paste the whole key, including the -----BEGIN PRIVATE KEY----- "
            "and -----END PRIVATE KEY----- lines.",
        ) from None
    except Exception:  # cryptography raises UnsupportedAlgorithm and others for odd keys
        raise ConfigError("keypair.privateKey", "is not a supported RSA private key.") from None


def account_for_jwt(account):
    """Upper-case account identifier without its region part, as Snowflake expects in the JWT."""
    account = account.strip()
    if ".global" not in account.lower():
        account = account.split(".")[0]
    else:
        account = account.split("-")[0]
    return account.upper()


def public_key_fingerprint(private_key):
    """``SHA256:<base64 sha256 of the public key DER>``, as ``DESC USER`` shows it."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


def build_jwt(account, user, private_key, now=None, lifetime=JWT_LIFETIME_SECONDS):
    """An RS256 JWT for the key-pair login of ``account``.``user``."""
    now = int(now if now is not None else time.time())
    qualified = "%s.%s" % (account_for_jwt(account), user.strip().upper())
    claims = {
        "iss": "%s.%s" % (qualified, public_key_fingerprint(private_key)),
        "sub": qualified,
        "iat": now,
        "exp": now + int(lifetime),
    }
    return jwt.encode(claims, private_key, algorithm="RS256")


def token_scope(ingress_host, role=None):
    """The scope of the exchanged token: the role (optional) and the ingress host."""
    if role:
        return "session:role:%s %s" % (role, ingress_host)
    return ingress_host


class KeyPairTokenProvider(TokenProvider):
    """Ingress tokens for a service user, renewed before they expire."""

    def __init__(self, credential, account_url, ingress_host, session, timeout, verify, wall_clock=time.time,
                 **kwargs):
        super().__init__(**kwargs)
        self._credential = credential
        self._key = load_private_key(credential.private_key_pem, credential.passphrase)
        self._account_url = account_url
        self._ingress_host = ingress_host
        self._session = session
        self._timeout = timeout
        self._verify = verify
        self._wall_clock = wall_clock

    def _credential_secrets(self):
        c = self._credential
        # Key material line by line: a server quoting part of a PEM quotes lines.
        return [line for line in c.private_key_pem.split() if len(line) >= 16] + [c.passphrase or ""]

    def _fetch(self, stale, deadline):
        assertion = build_jwt(self._credential.account, self._credential.user, self._key, now=self._wall_clock())
        self._remember(assertion)
        url = self._account_url + "/oauth/token"
        what = "exchanging the key-pair JWT for an ingress token"
        response = post(
            self._session, url, self._timeout, self._verify, what, deadline,
            data={
                "grant_type": GRANT_TYPE,
                "assertion": assertion,
                "scope": token_scope(self._ingress_host, self._credential.role),
            },
        )
        body = response.text.strip()
        if response.status_code != 200 or not body or body.startswith(("{", "<")):
            raise AuthError(
                "Snowflake refused the key-pair token exchange (HTTP %d: %s). Check that 'keypair.account' "
                "and 'keypair.user' name the service user, that its RSA_PUBLIC_KEY matches the private key "
                "(fingerprint %s), and that the role can use the service endpoint."
                % (response.status_code, clean(describe_error_body(response.content, response.reason), self.scrub),
                   public_key_fingerprint(self._key))
            )
        now = self._clock()
        logger.info("Exchanged a key-pair JWT for an ingress token (%s)", self._ingress_host)
        return CachedToken(body, refresh_time(now, TOKEN_LIFETIME_SECONDS), now + TOKEN_LIFETIME_SECONDS)

