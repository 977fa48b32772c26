"""The Model Registry / service function row format: ``{"data": [[index, {...}], ...]}``."""

from ..wire import json_codec
from ..errors import MalformedResponseError


def encode_rows(rows):
    """Request body for ``rows`` (one dict of input columns per row)."""
    return {"data": [[i, row] for i, row in enumerate(rows)]}


def decode_rows(payload, count):
    """The output dicts of a row-format answer, in row order; checks every row came back once."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise MalformedResponseError("The registry answer has no 'data' rows.")
    rows = [None] * count
    for item in data:
        if not isinstance(item, (list, tuple)) or len(item) < 2 or type(item[0]) is not int:  # bool is no index
            raise MalformedResponseError("A registry answer row is not [index, value].")
        index, value = item[0], item[1]
        if not 0 <= index < count or rows[index] is not None:
            raise MalformedResponseError("The registry answer has an unexpected or repeated row %r." % index)
        if len(item) > 2:  # columns in signature order rather than one dict
            value = list(item[1:])
        rows[index] = value
    if any(r is None for r in rows):
        raise MalformedResponseError("The registry answer has %d rows, expected %d." % (
            sum(r is not None for r in rows), count))
    return rows


def column(row, name):
    """Output column ``name`` of a decoded row."""
    if isinstance(row, dict):
        if name not in row:
            raise MalformedResponseError(
                "The registry answer has no output column '%s' (columns: %s). Check 'modelHandlingMode'."
                % (name, ", ".join(sorted(row)) or "none"))
        return row[name]
    if isinstance(row, list) and len(row) == 1:
        return row[0]
    return row


def maybe_json(value):
    """Decode ``value`` if it is a JSON string (pipelines often return JSON text)."""
    if isinstance(value, str):
        try:
            return json_codec.loads(value)
        except ValueError:  # also JSON nested too deeply to decode: it stays text
            return value
    return value
