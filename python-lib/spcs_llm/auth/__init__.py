"""Snowflake tokens for the SPCS ingress: OAuth session tokens, key-pair JWT tokens, PATs.

``providers.provider_for`` returns the token provider for a model's settings, shared by
every model that uses the same credential and never by two different credentials.
``credentials`` holds the validated credential types, ``single_flight`` the one-at-a-time
refresh that auto-resume reuses.

May import: ``wire``, ``errors``. Imported by: ``transport``, ``snowflake``, ``settings``
and above; never by ``protocols``.
"""

from .base import TokenProvider, authorization_header  # noqa: F401
from .providers import provider_for  # noqa: F401
