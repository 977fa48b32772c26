"""Token count estimates for services that report no usage (about 4 characters a token)."""

import math


def estimate_tokens(text):
    """A rough token count of ``text``: ceil(characters / 4), at least 1 for non-empty text."""
    if not text:
        return 0
    return max(1, int(math.ceil(len(text) / 4.0)))


# Counts beyond this are not token counts (and would lose precision as floats in a cost).
MAX_USAGE_COUNT = 2 ** 53


def usage_count(value):
    """A token count a server reported, if it is one: a non-negative finite integer, else None.

    Numbers in strings are parsed (``"12"``, ``"12.0"``); booleans, negatives, fractions,
    NaN, infinities and absurdly large values are not counts, and the caller estimates
    instead (flagging the answer ``tokenCountsAreEstimated``).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip()) if not value.strip().isdigit() else int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        value = int(value)
    if not isinstance(value, int) or value < 0 or value > MAX_USAGE_COUNT:
        return None
    return value


def count_or_estimate(value, estimate):
    """(tokens, estimated?): the server's count when ``usage_count`` accepts it, else ``estimate()``."""
    count = usage_count(value)
    if count is None:
        return estimate(), True
    return count, False
