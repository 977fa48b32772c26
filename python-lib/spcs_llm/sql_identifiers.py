"""Snowflake identifiers from settings: checked before they reach a SQL statement.

Shared by the settings (``serviceName``), the admin SQL and the push-down recipes; it
imports nothing of ours, so any module may use it without an import cycle.
"""

import re

from .errors import ConfigError

_PART = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_IDENTIFIER = re.compile(r"^%s(?:\.%s){0,2}$" % (_PART, _PART))


def check_identifier(name, field_name="serviceName"):
    """``name`` if it is a (qualified) Snowflake identifier, else ``ConfigError`` naming ``field_name``."""
    text = (name or "").strip()
    if not _IDENTIFIER.match(text):
        raise ConfigError(field_name, "%r is not a Snowflake object name such as DB.SCHEMA.SERVICE." % name)
    return text
