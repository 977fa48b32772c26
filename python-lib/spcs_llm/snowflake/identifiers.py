"""Snowflake identifiers from settings: checked before they reach a SQL statement.

Shared by the settings (``serviceName``), the admin SQL and the push-down recipes; it
imports nothing of ours, so any module may use it without an import cycle.
"""

import re

from ..errors import ConfigError

_PART = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_IDENTIFIER = re.compile(r"^%s(?:\.%s){0,2}$" % (_PART, _PART))


def check_identifier(name, field_name="serviceName"):
    """``name`` if it is a (qualified) Snowflake identifier, else ``ConfigError`` naming ``field_name``."""
    text = (name or "").strip()
    if not _IDENTIFIER.match(text):
        raise ConfigError(field_name, "%r is not a Snowflake object name such as DB.SCHEMA.SERVICE." % name)
    return text


_BARE_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_FORBIDDEN_IN_NAME = re.compile(r'["\x00-\x1f\x7f]')
MAX_IDENTIFIER_LENGTH = 255  # Snowflake's limit


def quote_identifier(name, field_name):
    """One name (a column, an endpoint) as a quoted Snowflake identifier, kept exactly as written.

    Quoting keeps DSS's mixed-case column names as they are. A name holding a double quote
    or a control character is refused rather than escaped: no DSS column needs one, and it
    is the shape of an attempt to break out of the identifier.
    """
    text = "" if name is None else str(name)
    if not text.strip():
        raise ConfigError(field_name, "is empty: choose a column.")
    if _FORBIDDEN_IN_NAME.search(text):
        raise ConfigError(field_name, "%r contains a double quote or a control character, which no Snowflake "
                                      "column of a DSS dataset should: rename the column." % text)
    if len(text) > MAX_IDENTIFIER_LENGTH:
        raise ConfigError(field_name, "is longer than %d characters." % MAX_IDENTIFIER_LENGTH)
    return '"%s"' % text


def quote_qualified(name, field_name):
    """A checked DB.SCHEMA.OBJECT name with every part quoted: bare parts upper-cased, as Snowflake resolves them."""
    text = check_identifier(name, field_name)
    return ".".join(part if part.startswith('"') else '"%s"' % part.upper() for part in _split_parts(text))


def resolved_parts(name, field_name="serviceName"):
    """The parts of a (qualified) name as Snowflake resolves them: unquoted upper-cased, quoted exact.

    ``ML.serving."embed-svc"`` -> ``["ML", "SERVING", "embed-svc"]``: what SHOW SERVICES lists.
    """
    return [part[1:-1].replace('""', '"') if part.startswith('"') else part.upper()
            for part in _split_parts(check_identifier(name, field_name))]


def _split_parts(text):
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted  # a doubled quote inside a quoted part toggles twice
        if ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def string_literal(text, field_name):
    """``text`` as a Snowflake single-quoted literal: backslashes and quotes escaped, NUL refused."""
    value = "" if text is None else str(text)
    if "\x00" in value:
        raise ConfigError(field_name, "contains a NUL character.")
    return "'%s'" % value.replace("\\", "\\\\").replace("'", "\\'")


def check_bare_name(name, field_name, what):
    """A single unquoted name (a registry method, an endpoint): letters, digits, _ and $ only."""
    text = (name or "").strip()
    if not _BARE_PART.match(text):
        raise ConfigError(field_name, "%r is not a %s name (letters, digits and _ only)." % (name, what))
    return text
