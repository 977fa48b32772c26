"""Checks on HTTP answer bodies shared by the transport and the auth providers."""


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
