"""Programmatic access tokens: sent to the ingress as they are."""

from .base import CachedToken, TokenProvider
from ..errors import AuthError


class PatTokenProvider(TokenProvider):
    """A PAT never changes; a rejection means it was revoked, expired or lacks a role."""

    def __init__(self, token, **kwargs):
        super().__init__(**kwargs)
        self._pat = token

    def _fetch(self, stale):
        if stale is not None:
            raise AuthError(
                "The SPCS ingress rejected the programmatic access token. It may be expired or revoked, "
                "or its user's default role lacks USAGE on the service endpoint. Generate a new token "
                "(ALTER USER ... ADD PROGRAMMATIC ACCESS TOKEN) and update the 'pat' preset."
            )
        return CachedToken(self._pat)
