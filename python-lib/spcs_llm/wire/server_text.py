"""Text a server sent, made fit for an exception or a log line.

Whatever a server puts in an error body may hold our secrets (a proxy echoing the
``Authorization`` header, a 401 quoting the token) or our users' documents (a validation
error listing the request's inputs). Every piece of server text goes through ``clean``
before it reaches a message: secrets the model holds are replaced, token-shaped text is
masked, echoed input is elided, and the result is cut short.
"""

import re

from . import json_codec

REDACTED = "[redacted]"
ELIDED = "[input elided]"
MAX_SERVER_TEXT = 300
# Shorter strings are too common to be told apart from ordinary words of a message.
_MIN_SECRET = 8
_MIN_ECHO = 16
# Keys whose values are request input or credentials; never shown.
_HIDDEN_KEYS = {"input", "inputs", "texts", "text", "documents", "messages", "prompt", "query", "sentence",
                "sentences", "data", "token", "masterToken", "sessionToken", "access_token", "assertion",
                "password", "passphrase", "headers", "authorization"}
# Keys of the request whose values are names, not input: a 404 may rightly quote them.
_NAME_KEYS = {"model", "role", "type", "name", "id", "tool_call_id", "object"}
_PATTERNS = (
    (re.compile(r'(Snowflake\s+Token\s*=\s*(?:\\?")?)[^"\s\\,;}]+', re.I), r"\1" + REDACTED),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1" + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),  # a JWT
    (re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.S), REDACTED),
    (re.compile(r'((?:token|masterToken|sessionToken|access_token|assertion|password|passphrase)["\']?\s*[:=]\s*'
                r'["\']?)[^"\'\s,;}&]{8,}', re.I), r"\1" + REDACTED),
)


class Scrubber:
    """Replaces every secret a model holds, and anything shaped like a token, in a text.

    ``secrets`` is a callable returning the secrets known now (tokens change as they are
    renewed), e.g. ``TokenProvider.known_secrets``.
    """

    def __init__(self, secrets=lambda: ()):
        self._secrets = secrets

    def __call__(self, text):
        text = str(text)
        for secret in sorted({s for s in self._secrets() if s and len(s) >= _MIN_SECRET}, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def describe_error_body(content, reason=None):
    """The message an error body carries (JSON or plain text), with input and credentials left out."""
    try:
        payload = json_codec.loads(content)
    except ValueError:
        text = content.decode("utf-8", "replace").strip()
        if text.startswith("<"):
            return "an HTML page"
        return text or reason or "no message"
    return _describe(payload) or reason or "no message"


def _describe(payload):
    if isinstance(payload, dict):
        err = payload.get("error")
        if isinstance(err, dict):
            return _describe(err)
        for key in ("message", "detail", "error", "error_description", "msg"):
            if payload.get(key):
                return _describe(payload[key])
        return str({k: v for k, v in payload.items() if k not in _HIDDEN_KEYS})
    if isinstance(payload, list):  # FastAPI/pydantic validation errors: [{"loc", "msg", "input"}, ...]
        return "; ".join(_describe_item(item) for item in payload[:5]) + ("; ..." if len(payload) > 5 else "")
    return str(payload)


def _describe_item(item):
    if isinstance(item, dict) and "msg" in item:
        loc = item.get("loc")
        where = ".".join(str(p) for p in loc) if isinstance(loc, (list, tuple)) else ""
        return ("%s: %s" % (where, item["msg"])) if where else str(item["msg"])
    return _describe(item)


def request_strings(body):
    """The strings of a request body that are user input (long enough to be told apart)."""
    found = []

    def walk(value, key=None):
        if isinstance(value, str):
            if key not in _NAME_KEYS and len(value) >= _MIN_ECHO:
                found.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)

    walk(body)
    return found


def clean(text, scrub, request=None, limit=MAX_SERVER_TEXT):
    """``text`` with secrets scrubbed, the request's own input elided, on one line, at most ``limit`` characters."""
    text = scrub(text)
    if request is not None:
        for echoed in sorted(set(request_strings(request)), key=len, reverse=True):
            # The echo may be escaped as JSON, or cut short by the server: its first words go too.
            for form in (echoed, json_codec.dumps(echoed).decode("utf-8")[1:-1], echoed[:_MIN_ECHO * 2]):
                text = text.replace(form, ELIDED)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rstrip() + "... (cut)"
    return text
