"""Snowflake tokens for the SPCS ingress: OAuth session tokens, key-pair JWT tokens, PATs.

``providers.provider_for`` returns the token provider for a model's settings, shared by
every model that uses the same credential and never by two different credentials.
"""

from .base import TokenProvider, authorization_header  # noqa: F401
from .providers import provider_for  # noqa: F401
