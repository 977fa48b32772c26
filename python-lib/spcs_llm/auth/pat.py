"""Programmatic access tokens: sent to the ingress as they are."""

from .base import CachedToken, TokenProvider
from ..errors import AuthError


class PatTokenProvider(TokenProvider):
    """A PAT never changes; a rejection means it was revoked, expired or lacks a role."""

    def __init__(self, token, **kwargs):
        super().__init__(**kwargs)
        self._pat = token

    def _fetch(self, stale, deadline):
        return CachedToken(self._pat)

    def _credential_secrets(self):
        return (self._pat,)

    def renew(self, rejected_value, deadline=None):
        """No other token exists to replay with: the refused call fails, the PAT stays in use.

        The refusal may be passing (a role granted a moment later, an ingress restarting),
        so the next call sends the PAT again rather than failing without a request.
        """
        raise AuthError(
            "The SPCS ingress rejected the programmatic access token. It may be expired or revoked, "
            "or its user's default role lacks USAGE on the service endpoint. Generate a new token "
            "(ALTER USER ... ADD PROGRAMMATIC ACCESS TOKEN) and update the 'pat' preset."
        )
