"""The settings DSS sends with each completion call, validated once into ``CallSettings``.

DSS hands ``settings`` to ``process`` on every call: ``temperature``, ``topP``, ``topK``,
``maxOutputTokens``, ``stopSequences``, penalties, ``tools``, ``toolChoice``,
``responseFormat``... Protocols read them only through ``CallSettings``, so a value of the
wrong type is refused here, with a message naming the setting, instead of reaching the
service as is or failing deep inside a protocol. Keys we do not use (``context``...) are
ignored. Pure: no I/O.
"""

import math
import reprlib
from dataclasses import dataclass
from typing import Optional, Tuple

from ..errors import InvalidInputError

TOOL_CHOICE_KINDS = ("auto", "required", "none")
# A refused value is quoted back short, and reprlib stops at a few levels of nesting
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 40


@dataclass(frozen=True)
class ToolChoice:
    """``toolChoice``: ``kind`` is auto, required or none; or ``tool_name`` with ``name``."""

    kind: str
    name: Optional[str] = None


@dataclass(frozen=True)
class ResponseFormat:
    """``responseFormat`` of type json: JSON output, constrained by ``schema`` when given."""

    schema: Optional[dict] = None
    strict: bool = False


@dataclass(frozen=True)
class CallSettings:
    """The validated settings of one completion call. ``None`` or empty means "not set"."""

    temperature: Optional[float] = None
    top_p: Optional[float] = None
    top_k: Optional[int] = None
    max_output_tokens: Optional[int] = None  # None: no limit (DSS sends 0 for that)
    stop_sequences: Tuple[str, ...] = ()
    presence_penalty: Optional[float] = None
    frequency_penalty: Optional[float] = None
    logit_bias: Optional[dict] = None
    log_probs: Optional[bool] = None
    top_log_probs: Optional[int] = None
    tools: Tuple[dict, ...] = ()  # OpenAI function tools: {"type": "function", "function": {...}}
    tool_choice: Optional[ToolChoice] = None
    response_format: Optional[ResponseFormat] = None

    def given(self):
        """The DSS names of the settings this call sets, sorted (for modes that cannot send some)."""
        return sorted(dss for dss, attr in _NAMES if getattr(self, attr) not in (None, ()))


# DSS setting -> CallSettings attribute
_NAMES = (
    ("temperature", "temperature"),
    ("topP", "top_p"),
    ("topK", "top_k"),
    ("maxOutputTokens", "max_output_tokens"),
    ("stopSequences", "stop_sequences"),
    ("presencePenalty", "presence_penalty"),
    ("frequencyPenalty", "frequency_penalty"),
    ("logitBias", "logit_bias"),
    ("logProbs", "log_probs"),
    ("topLogProbs", "top_log_probs"),
    ("tools", "tools"),
    ("toolChoice", "tool_choice"),
    ("responseFormat", "response_format"),
)


def parse_call_settings(settings):
    """``CallSettings`` for the ``settings`` dict of a DSS call (``None`` means none).

    Raises ``InvalidInputError`` naming the setting when a value has the wrong type. A
    ``CallSettings`` is returned unchanged, so protocols may be given either.
    """
    if isinstance(settings, CallSettings):
        return settings
    if settings is None:
        return CallSettings()
    if not isinstance(settings, dict):
        raise InvalidInputError("The completion settings must be an object, got %s." % _type(settings))
    max_tokens = _whole(settings, "maxOutputTokens")
    return CallSettings(
        temperature=_number(settings, "temperature"),
        top_p=_number(settings, "topP"),
        top_k=_whole(settings, "topK"),
        max_output_tokens=max_tokens if max_tokens is not None and max_tokens > 0 else None,
        stop_sequences=_stops(settings.get("stopSequences")),
        presence_penalty=_number(settings, "presencePenalty"),
        frequency_penalty=_number(settings, "frequencyPenalty"),
        logit_bias=_logit_bias(settings.get("logitBias")),
        log_probs=_boolean(settings, "logProbs"),
        top_log_probs=_whole(settings, "topLogProbs"),
        tools=_tools(settings.get("tools")),
        tool_choice=_tool_choice(settings.get("toolChoice")),
        response_format=_response_format(settings.get("responseFormat")),
    )


def _refuse(name, expected, value):
    return InvalidInputError("Invalid completion setting '%s': %s, got %s %s."
                             % (name, expected, _type(value), _SHOWN.repr(value)))


def _type(value):
    return type(value).__name__


def _is_number(value):
    # bool is an int in Python, but True is not a temperature
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(settings, name):
    value = settings.get(name)
    if value is None:
        return None
    if not _is_number(value):
        raise _refuse(name, "must be a finite number", value)
    return value


def _whole(settings, name):
    value = _number(settings, name)
    if value is None:
        return None
    if value != int(value):
        raise _refuse(name, "must be a whole number", value)
    return int(value)


def _boolean(settings, name):
    value = settings.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _refuse(name, "must be true or false", value)


def _stops(value):
    """A single string is one stop sequence: iterating it would stop on every character."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _refuse("stopSequences", "must be a list of strings", value)
    for i, stop in enumerate(value):
        if not isinstance(stop, str):
            raise _refuse("stopSequences[%d]" % i, "must be a string", stop)
    # an empty stop sequence stops nothing, and some servers reject it
    return tuple(stop for stop in value if stop)


def _logit_bias(value):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _refuse("logitBias", "must be an object of token id -> bias", value)
    for token, bias in value.items():
        if not _is_number(bias):
            raise _refuse("logitBias[%s]" % _SHOWN.repr(token), "must be a finite number", bias)
    return dict(value)


def _tools(value):
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise _refuse("tools", "must be a list of function tools", value)
    tools = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict):
            raise _refuse("tools[%d]" % i, "must be an object", tool)
        function = tool.get("function")
        if tool.get("type", "function") != "function" or not isinstance(function, dict) \
                or not isinstance(function.get("name"), str) or not function["name"]:
            raise InvalidInputError("Invalid completion setting 'tools[%d]': must be a function tool with a name "
                                    "({\"type\": \"function\", \"function\": {\"name\": ...}})." % i)
        tools.append({"type": "function", "function": function})
    return tuple(tools)


def _tool_choice(value):
    if value is None or value == {} or value == "":
        return None
    kind = value.get("type") if isinstance(value, dict) else value
    if kind in TOOL_CHOICE_KINDS:
        return ToolChoice(kind)
    if kind == "tool_name":
        name = value.get("name") if isinstance(value, dict) else None
        if isinstance(name, str) and name:
            return ToolChoice("tool_name", name)
    raise _refuse("toolChoice", "must be {\"type\": \"auto\", \"required\" or \"none\"} or "
                                "{\"type\": \"tool_name\", \"name\": ...}", value)


def _response_format(value):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _refuse("responseFormat", "must be an object such as {\"type\": \"json\"}", value)
    kind = value.get("type")
    if kind is None or (isinstance(kind, str) and kind.lower() == "text"):
        return None
    if not isinstance(kind, str) or kind.lower() != "json":
        raise _refuse("responseFormat.type", "must be \"json\" or \"text\"", kind)
    schema = value.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise _refuse("responseFormat.schema", "must be a JSON schema object", schema)
    strict = value.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise _refuse("responseFormat.strict", "must be true or false", strict)
    return ResponseFormat(schema=schema or None, strict=bool(strict))
