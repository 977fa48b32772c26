"""Checks on HTTP answers and headers shared by the transport, the auth providers and the settings."""


def is_cut_short(headers, received):
    """True when a body of ``received`` bytes is shorter than its ``Content-Length``.

    urllib3 2 raises on such a body, but urllib3 1.26 (still installed next to some
    connector versions) returns it silently: a connection lost mid-answer would then pass
    for a whole answer, such as a truncated token. A compressed body is measured after
    decoding, so its length cannot be compared and is not checked.
    """
    declared = headers.get("Content-Length")
    if not declared or not declared.isdigit():
        return False
    if headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
        return False
    return received < int(declared)


def is_header_safe(token):
    """True if ``token`` can go inside ``Snowflake Token="..."``: printable ASCII, no space, quote or backslash.

    Anything else would either be refused by the HTTP stack, with the header's value (our
    token) in its error message, or split the header.
    """
    return bool(token) and all(33 <= ord(c) <= 126 and c not in '"\\' for c in token)

