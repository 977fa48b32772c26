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


def server_token_count(value, texts):
    """The token count a server reported for ``texts``, or None if it cannot be one.

    Beyond ``usage_count``'s checks: some servers report characters as tokens (infinity-emb
    by default), which would bill three to four times too much. No tokenizer gives a token
    or more per character of text averaging several characters (special tokens add at most
    a few per text), so such a count is a character count. That holds for alphabetic text
    only: on Chinese or Japanese text a tokenizer may well give a token per character, so
    texts that are mostly not ASCII keep the server's count.
    """
    count = usage_count(value)
    texts = [t for t in texts if t]
    characters = sum(len(t) for t in texts)
    if count is not None and texts and characters >= _JUDGED_CHARACTERS_PER_TEXT * len(texts) \
            and count >= characters and _mostly_ascii(texts, characters):
        return None
    return count


def _mostly_ascii(texts, characters):
    ascii_characters = sum(len(t.encode("ascii", "ignore")) for t in texts)
    return ascii_characters >= 0.9 * characters


# Below this many characters per text, a text's special tokens ([CLS], [SEP], BOS...) can
# outnumber its characters, so a count of one token per character proves nothing.
_JUDGED_CHARACTERS_PER_TEXT = 4


def count_or_estimate(value, estimate, texts=()):
    """(tokens, estimated?): the server's count for ``texts`` if it is one (``server_token_count``), else ``estimate()``."""
    count = server_token_count(value, texts)
    if count is None:
        return estimate(), True
    return count, False
