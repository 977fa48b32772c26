"""Token count estimates for services that report no usage (about 4 characters a token)."""

import math


def estimate_tokens(text):
    """A rough token count of ``text``: ceil(characters / 4), at least 1 for non-empty text."""
    if not text:
        return 0
    return max(1, int(math.ceil(len(text) / 4.0)))
