"""Per-user Snowflake OAuth: exchange the DSS user's access token for a session token.

Login at ``/session/v1/login-request`` returns a session token (about 1 hour) and a master
token (longer). Before the session token expires we renew it at ``/session/token-request``
with the master token; when the master token is gone too we log in again with the access
token DSS gave us; when that is refused, the user must reconnect the credential in DSS.
"""

import logging
import uuid
from urllib.parse import urlsplit

from .. import __version__
from ..errors import AuthError, CredentialExpiredError
from ..wire.server_text import clean
from .base import CachedToken, TokenProvider, authorization_header, post, refresh_time

logger = logging.getLogger(__name__)

SESSION_EXPIRED = "390112"
MASTER_TOKEN_EXPIRED = "390114"
# Codes Snowflake uses for an OAuth access token that is invalid or expired.
OAUTH_TOKEN_REFUSED = {"390303", "390318", "390302", "390144"}

RECONNECT_HINT = (
    "Reconnect your Snowflake credential in DSS (Profile > Credentials, then the Snowflake OAuth "
    "preset of this connection) and run again."
)


class OAuthSessionTokenProvider(TokenProvider):
    """Session tokens for one DSS user's OAuth access token."""

    def __init__(self, account_url, access_token, session, timeout, verify, **kwargs):
        super().__init__(**kwargs)
        self._account_url = account_url
        self._access_token = access_token
        self._session = session
        self._timeout = timeout
        self._verify = verify
        self._master = None  # CachedToken of the master token

    def _credential_secrets(self):
        return (self._access_token or "",)

    def snowflake_session(self):
        """(session token, master token) of the session this provider holds, if both are still valid; else None.

        The access token DSS gave the model lives about ten minutes, the session an hour:
        auto-resume opens its SQL connection with the session when it can.
        """
        token, master, now = self._token, self._master, self._clock()
        if token is None or master is None or now >= token.expires_at or now >= master.expires_at:
            return None
        return token.value, master.value

    def _fetch(self, stale, deadline):
        master = self._master
        if stale is not None and master is not None and self._clock() < master.expires_at:
            try:
                return self._renew(stale, master, deadline)
            except _SnowflakeCodeError as exc:
                logger.info("Session renewal refused (code %s); logging in again", exc.code)
        return self._login(deadline)

    def _login(self, deadline):
        if not self._access_token:
            raise CredentialExpiredError(
                "No Snowflake OAuth access token is available for this DSS user. " + RECONNECT_HINT
            )
        body = {
            "data": {
                "AUTHENTICATOR": "OAUTH",
                "TOKEN": self._access_token,
                "ACCOUNT_NAME": _account_name(self._account_url),
                "CLIENT_APP_ID": "dss-plugin-snowpark-container-services-llm",
                "CLIENT_APP_VERSION": __version__,
            }
        }
        url = self._account_url + "/session/v1/login-request"
        params = {"request_id": str(uuid.uuid4())}
        data = _snowflake_data(
            post(self._session, url, self._timeout, self._verify, "logging in to Snowflake with OAuth",
                 deadline, json=body, params=params),
            "logging in to Snowflake with OAuth",
            on_code=_login_error, scrub=self.scrub,
        )
        now = self._clock()
        session_life = float(data.get("validityInSeconds") or 3600)
        master_life = float(data.get("masterValidityInSeconds") or 4 * 3600)
        if data.get("masterToken"):
            self._remember(data["masterToken"])
            self._master = CachedToken(data["masterToken"], refresh_time(now, master_life), now + master_life)
        logger.info("Logged in to Snowflake with OAuth; session token valid %.0f s", session_life)
        return CachedToken(data["token"], refresh_time(now, session_life), now + session_life)

    def _renew(self, stale, master, deadline):
        url = self._account_url + "/session/token-request"
        response = post(
            self._session, url, self._timeout, self._verify, "renewing the Snowflake session", deadline,
            json={"oldSessionToken": stale.value, "requestType": "RENEW"},
            headers={"Authorization": authorization_header(master.value)},
            params={"requestId": str(uuid.uuid4())},
        )
        data = _snowflake_data(response, "renewing the Snowflake session", on_code=_raise_code, scrub=self.scrub)
        now = self._clock()
        token = data.get("sessionToken") or data.get("token")
        life = float(data.get("validityInSecondsST") or data.get("validityInSeconds") or 3600)
        if data.get("masterToken"):
            master_life = float(data.get("validityInSecondsMT") or data.get("masterValidityInSeconds") or 4 * 3600)
            self._remember(data["masterToken"])
            self._master = CachedToken(data["masterToken"], refresh_time(now, master_life), now + master_life)
        logger.info("Renewed the Snowflake session token; valid %.0f s", life)
        return CachedToken(token, refresh_time(now, life), now + life)


class _SnowflakeCodeError(AuthError):
    def __init__(self, code, message):
        self.code = code
        super().__init__(message)


def _raise_code(code, message):
    raise _SnowflakeCodeError(code, "Snowflake refused the session renewal (code %s): %s" % (code, message))


def _login_error(code, message):
    if code in OAUTH_TOKEN_REFUSED or "oauth" in message.lower():
        raise CredentialExpiredError(
            "Snowflake refused your OAuth access token (code %s: %s). %s" % (code, message, RECONNECT_HINT)
        )
    raise AuthError(
        "Snowflake refused the OAuth login (code %s: %s). Check 'snowflakeAccountUrl' and that the "
        "OAuth security integration allows this client." % (code, message)
    )


def _snowflake_data(response, what, on_code, scrub):
    """The ``data`` of a Snowflake session API answer, or the error it carries."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise AuthError(
            "Unexpected answer from Snowflake while %s (HTTP %d, not JSON). Check that "
            "'snowflakeAccountUrl' is your account URL (https://<account>.snowflakecomputing.com), "
            "not the service's ingress URL." % (what, response.status_code)
        )
    if payload.get("success") is False or response.status_code >= 400:
        code = str(payload.get("code") or response.status_code)
        message = clean(str(payload.get("message") or "no message"), scrub)
        on_code(code, message)
    data = payload.get("data") or {}
    if not isinstance(data, dict) or not (data.get("token") or data.get("sessionToken")):
        raise AuthError("Snowflake's answer while %s holds no token." % what)
    return data


def _account_name(account_url):
    return urlsplit(account_url).hostname.split(".")[0].upper()


__all__ = ["OAuthSessionTokenProvider", "SESSION_EXPIRED", "MASTER_TOKEN_EXPIRED"]
