"""Shape checks for decoded service answers: anything unexpected is a ``MalformedResponseError``.

A misbehaving or hostile service can send any JSON. The parse functions of every protocol
check each value before using it, with these helpers, so that a wrong type ends as our
error naming what was wrong, never as a raw ``TypeError`` or ``AttributeError``. Pure.
"""

import functools
import math

from ..errors import MalformedResponseError


def parses_answer(parse):
    """Decorate a parse function so that an answer nested too deeply for Python is malformed.

    Decoding, walking or re-encoding JSON nested thousands of levels deep raises
    ``RecursionError`` (the decoders accept about a thousand levels).
    """

    @functools.wraps(parse)
    def guarded(*args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except RecursionError:
            raise MalformedResponseError("The answer is nested too deeply to be a model answer.") from None

    return guarded


def _type(value):
    return "null" if value is None else type(value).__name__


def expect_object(value, what):
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise MalformedResponseError("%s is not an object (got %s)." % (what, _type(value)))
    return value


def optional_object(value, what):
    """``value`` if it is a JSON object, ``{}`` if absent (null)."""
    return {} if value is None else expect_object(value, what)


def expect_list(value, what):
    """``value`` if it is a JSON array."""
    if not isinstance(value, list):
        raise MalformedResponseError("%s is not a list (got %s)." % (what, _type(value)))
    return value


def optional_list(value, what):
    """``value`` if it is a JSON array, ``[]`` if absent (null)."""
    return [] if value is None else expect_list(value, what)


def optional_str(value, what):
    """``value`` if it is a string or absent (null)."""
    if value is not None and not isinstance(value, str):
        raise MalformedResponseError("%s is not a string (got %s)." % (what, _type(value)))
    return value


def is_number(value):
    """A JSON number (``true`` and ``false`` are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def float_vector(value, what):
    """``value`` as a non-empty list of finite floats; numbers given as strings are parsed."""
    if not isinstance(value, list) or not value:
        raise MalformedResponseError("%s is not a list of numbers." % what)
    try:
        vector = list(map(float, value))  # map: the vectors of a large batch are most of the answer
    except (TypeError, ValueError, OverflowError):
        raise MalformedResponseError("%s holds non-numbers." % what) from None
    # One sum finds NaN and infinity; the element-wise check runs only when it did (or overflowed).
    if not math.isfinite(sum(vector)) and not all(map(math.isfinite, vector)):
        raise MalformedResponseError("%s holds NaN or infinity." % what)
    return vector
