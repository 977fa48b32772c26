"""URL rules: HTTPS everywhere except loopback, and registry method names as SPCS paths."""

import ipaddress
import re
from urllib.parse import urlsplit

from ..errors import ConfigError

_LOOPBACK_NAMES = {"localhost"}
# "https:/host", "https:host", "https//host", "https:\\host": a bare host would get "https://"
# put in front, and the request would go to a host named "https".
_SCHEME_TYPO = re.compile(r"^(https?)(?::/?(?!/)|:\\+|//|/(?!/))", re.I)


def is_loopback(hostname):
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts allowed over plain HTTP."""
    if not hostname:
        return False
    if hostname.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_base_url(value, field):
    """Validate a base URL from a DSS field and return it without a trailing slash.

    A bare host (as ``SHOW ENDPOINTS`` prints ``ingress_url``) gets ``https://``.
    """
    if value is None or not str(value).strip():
        raise ConfigError(field, "is empty. Enter the URL, e.g. https://abc-myorg-myaccount.snowflakecomputing.app")
    text = str(value).strip()
    typo = _SCHEME_TYPO.match(text)
    if typo:
        raise ConfigError(field, "'%s' has a mistyped scheme: write %s://%s" % (
            _redact_userinfo(text), typo.group(1).lower(), text[typo.end():]))
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(field, "'%s' is not an http(s) URL." % _redact_userinfo(text))
    if parts.username or parts.password:
        raise ConfigError(field, "must not contain a user name or password; use the authentication settings.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            field,
            "must use https:// (plain http is only allowed for loopback addresses such as 127.0.0.1). "
            "Snowflake ingress and account URLs are always https.",
        )
    if parts.query or parts.fragment:
        raise ConfigError(field, "must not contain a query string or fragment.")
    return "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))


def host_of(url):
    """The host[:port] of a URL, as used in the key-pair token scope."""
    return urlsplit(url).netloc


def method_path(method_name):
    """The ingress path of a Model Registry method: ``__call__`` -> ``/--call--``.

    SPCS replaces underscores with dashes; a leading slash is accepted and ignored.
    """
    name = str(method_name).strip().lstrip("/")
    return "/" + name.replace("_", "-")


def _redact_userinfo(text):
    parts = urlsplit(text)
    if parts.username or parts.password:
        return text.replace(parts.netloc, parts.hostname or "")
    return text
