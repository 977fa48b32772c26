"""Token count estimates for services that report no usage (about 4 characters a token)."""

import math


def estimate_tokens(text):
    """A rough token count of ``text``: ceil(characters / 4), at least 1 for non-empty text."""
    if not text:
        return 0
    return max(1, int(math.ceil(len(text) / 4.0)))


def server_token_count(count, texts):
    """The token count a server reported for ``texts``, or None if it cannot be one.

    Some servers report characters as tokens (infinity-emb by default), which would bill
    three to four times too much. No tokenizer gives a token or more per character of text
    averaging several characters (special tokens add at most a few per text), so such a
    count is a character count: the caller uses ``estimate_tokens`` instead and marks the
    counts as estimated. Negative and non-integer counts are rejected the same way.
    """
    if count is None or isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return None
    texts = [t for t in texts if t]
    characters = sum(len(t) for t in texts)
    if texts and characters >= _JUDGED_CHARACTERS_PER_TEXT * len(texts) and count >= characters:
        return None
    return count


# Below this many characters per text, a text's special tokens ([CLS], [SEP], BOS...) can
# outnumber its characters, so a count of one token per character proves nothing.
_JUDGED_CHARACTERS_PER_TEXT = 4
