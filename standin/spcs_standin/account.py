"""The Snowflake account side: OAuth session login and renewal, key-pair JWT exchange, PATs.

Behaves as Snowflake documents it: session tokens and master tokens with lifetimes, error
code 390112 for an expired session and 390114 for an expired master token, and
``/oauth/token`` returning a plain-text token bound to the ingress host in its scope.
"""

import base64
import json
import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization


@dataclass
class IssuedToken:
    kind: str  # "session", "master", "ingress", "pat"
    user: str
    expires_at: float
    host: str = None  # ingress tokens only work at this host
    role: str = None


@dataclass
class AccountConfig:
    session_lifetime: float = 3600.0
    master_lifetime: float = 4 * 3600.0
    ingress_token_lifetime: float = 3600.0


@dataclass
class Account:
    """Users, keys, OAuth access tokens and PATs of one fake Snowflake account."""

    name: str = "STANDIN-ACCOUNT"
    config: AccountConfig = field(default_factory=AccountConfig)
    clock: object = time.monotonic
    trickle_seconds: float = 0.0  # a slow account: every answer sent one byte at a time, this far apart
    echo_assertions: bool = False  # a token endpoint whose refusals quote the JWT it was sent
    # Interim responses a proxy in front of the account sends before its next answers, one
    # per answer: fault names of server.INTERIM ("early-hints", "processing").
    interim: deque = field(default_factory=deque)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._public_keys = {}  # (ACCOUNT.USER) -> (fingerprint, key)
        self._oauth = {}  # access token -> (user, expires_at)
        self._tokens = {}  # token -> IssuedToken (live ones)
        self.assertions = []  # every JWT received at /oauth/token
        self.issued = []  # every token ever issued, renewed or expired ones included: what leak checks search for
        self.counters = {"login": 0, "renew": 0, "jwt_exchange": 0}

    # -- registration (what an admin would do in Snowflake) ----------------------------

    def register_public_key(self, user, public_key_pem):
        key = serialization.load_pem_public_key(public_key_pem.encode() if isinstance(public_key_pem, str)
                                                else public_key_pem)
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        fp = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
        self._public_keys["%s.%s" % (self.name.upper(), user.upper())] = (fp, key)
        return fp

    def issue_oauth_access_token(self, user, lifetime=600.0, value=None):
        token = value or "oauth-" + secrets.token_urlsafe(24)
        self._oauth[token] = (user, self.clock() + lifetime)
        return token

    def register_pat(self, user, value=None, lifetime=86400.0, role=None):
        token = value or "pat-" + secrets.token_urlsafe(24)
        self._tokens[token] = IssuedToken("pat", user, self.clock() + lifetime, role=role)
        self.issued.append(token)
        return token

    # -- faults ------------------------------------------------------------------------

    def expire(self, kind):
        """Expire every issued token of ``kind`` now ("session", "master", "ingress", "oauth")."""
        with self._lock:
            if kind == "oauth":
                self._oauth = {k: (u, 0.0) for k, (u, _) in self._oauth.items()}
            for t in self._tokens.values():
                if t.kind == kind:
                    t.expires_at = 0.0

    # -- checks used by the ingress ----------------------------------------------------

    def user_of(self, token):
        issued = self._tokens.get(token)
        return issued.user if issued else None

    def check_ingress_token(self, token, host):
        """None if ``token`` may call ``host``, else the reason it may not."""
        issued = self._tokens.get(token)
        if issued is None or issued.kind == "master":
            return "invalid token"
        if self.clock() >= issued.expires_at:
            return "expired token"
        if issued.kind == "ingress" and issued.host != host:
            return "token scoped to another endpoint"
        return None

    # -- endpoints ---------------------------------------------------------------------

    def login_request(self, body):
        """``/session/v1/login-request`` with OAUTH, SNOWFLAKE_JWT or PROGRAMMATIC_ACCESS_TOKEN."""
        data = (body or {}).get("data") or {}
        authenticator = str(data.get("AUTHENTICATOR") or "").upper()
        if authenticator == "OAUTH":
            entry = self._oauth.get(data.get("TOKEN"))
            if entry is None:
                return _fail("390303", "Invalid OAuth access token.")
            user, expires = entry
            if self.clock() >= expires:
                return _fail("390318", "OAuth access token expired.")
        elif authenticator == "SNOWFLAKE_JWT":
            user, error = self._verify_jwt(data.get("TOKEN") or "")
            if error:
                return _fail("390144", "JWT token is invalid. " + error)
        elif authenticator == "PROGRAMMATIC_ACCESS_TOKEN":
            issued = self._tokens.get(data.get("TOKEN"))
            if issued is None or issued.kind != "pat" or self.clock() >= issued.expires_at:
                return _fail("394400", "Programmatic access token is invalid.")
            user = issued.user
        else:
            return _fail("390100", "Incorrect username or password was specified.")
        with self._lock:
            self.counters["login"] += 1
        session, master = self._new("session", user), self._new("master", user)
        return {"success": True, "code": None, "message": None, "data": {
            "token": session, "masterToken": master, "sessionId": abs(hash(session)) % 10 ** 12,
            "parameters": [], "sessionInfo": {"databaseName": None, "schemaName": None, "warehouseName": None,
                                              "roleName": "SYSADMIN"},
            "validityInSeconds": int(self.config.session_lifetime),
            "masterValidityInSeconds": int(self.config.master_lifetime),
        }}

    def token_request(self, body, master_token):
        master = self._tokens.get(master_token)
        if master is None or master.kind != "master":
            return _fail("390104", "Invalid master token.")
        if self.clock() >= master.expires_at:
            return _fail("390114", "Authentication token has expired.  The user must authenticate again.")
        if (body or {}).get("requestType") != "RENEW":
            return _fail("390100", "Unsupported request type.")
        with self._lock:
            self.counters["renew"] += 1
            old = self._tokens.pop(body.get("oldSessionToken"), None)
        session = self._new("session", master.user)
        _ = old
        return {"success": True, "data": {
            "sessionToken": session, "validityInSecondsST": int(self.config.session_lifetime),
            "masterToken": master_token, "validityInSecondsMT": int(master.expires_at - self.clock()),
        }}

    def session_is_expired(self, token):
        issued = self._tokens.get(token)
        return issued is not None and self.clock() >= issued.expires_at

    def oauth_token(self, form):
        """``/oauth/token`` with the JWT bearer grant: (status, text body)."""
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, '{"error": "unsupported_grant_type", "message": "Unsupported grant type."}'
        self.assertions.append(form.get("assertion") or "")
        user, error = self._verify_jwt(form.get("assertion") or "")
        if error and self.echo_assertions:
            error = "%s Assertion received: %s" % (error, form.get("assertion"))
        if error:
            return 400, json.dumps({"error": "invalid_grant", "message": error})
        scope = (form.get("scope") or "").split()
        role = None
        hosts = []
        for item in scope:
            if item.startswith("session:role:"):
                role = item[len("session:role:"):]
            else:
                hosts.append(item)
        if len(hosts) != 1:
            return 400, '{"error": "invalid_scope", "message": "The scope must name one endpoint host."}'
        with self._lock:
            self.counters["jwt_exchange"] += 1
        token = self._new("ingress", user, host=hosts[0], role=role)
        return 200, token

    def _verify_jwt(self, assertion):
        """(user, None) for a valid key-pair JWT, else (None, reason)."""
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None, "The JWT is malformed."
        iss, sub = str(claims.get("iss", "")), str(claims.get("sub", ""))
        qualified, _, fingerprint = iss.rpartition(".SHA256:")
        entry = self._public_keys.get(sub)
        if not qualified or qualified != sub or entry is None:
            return None, "JWT token is invalid: unknown user or bad iss/sub."
        expected_fp, key = entry
        if "SHA256:" + fingerprint != expected_fp:
            return None, "JWT token is invalid: public key fingerprint mismatch."
        try:
            verified = jwt.decode(assertion, key, algorithms=["RS256"], options={"require": ["exp", "iat"]})
        except jwt.ExpiredSignatureError:
            return None, "JWT token has expired."
        except jwt.PyJWTError:
            return None, "JWT token is invalid: bad signature."
        if verified["exp"] - verified["iat"] > 3600:
            return None, "JWT lifetime exceeds one hour."
        return sub.split(".", 1)[1], None

    def session_user(self, token):
        """The user of a valid session token, else None (for the SQL API)."""
        issued = self._tokens.get(token)
        if issued is None or issued.kind != "session" or self.clock() >= issued.expires_at:
            return None
        return issued.user

    def _new(self, kind, user, host=None, role=None):
        lifetime = {"session": self.config.session_lifetime, "master": self.config.master_lifetime,
                    "ingress": self.config.ingress_token_lifetime}[kind]
        token = "%s-%s" % (kind, secrets.token_urlsafe(24))
        with self._lock:
            self._tokens[token] = IssuedToken(kind, user, self.clock() + lifetime, host=host, role=role)
            self.issued.append(token)
        return token


def _fail(code, message):
    return {"success": False, "code": code, "message": message, "data": None}
