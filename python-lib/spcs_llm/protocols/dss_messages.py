"""DSS LLM Mesh messages, validated and converted to what model services understand.

DSS sends ``query["messages"]``: ``{"role", "content"}`` or ``{"role", "parts"}``, assistant
``toolCalls`` and tool ``toolOutputs``. We validate once into ``Message`` objects, then each
protocol renders them (OpenAI chat messages, or one prompt string for raw text models).
"""

import json
from dataclasses import dataclass, field
from typing import List, Optional

from ..errors import InvalidInputError

ROLES = ("system", "user", "assistant", "tool")
# Message kinds DSS agents keep in a conversation that carry nothing for the model.
IGNORED_ROLES = ("memoryFragment", "toolValidationRequests", "toolValidationResponses")


@dataclass
class Image:
    """An inline image: base64 data and its MIME type."""

    data: str = field(repr=False)
    mime_type: str = "image/png"

    @property
    def url(self):
        """The image as an OpenAI ``image_url`` value: a data URL."""
        return "data:%s;base64,%s" % (self.mime_type, self.data)


@dataclass
class ImageUrl:
    """An image by URL (``IMAGE_URI`` part). Passed on as it is: the plugin never fetches it."""

    url: str


@dataclass
class Message:
    """One validated message. ``parts`` keeps text and images in their order."""

    role: str
    parts: list = field(default_factory=list)  # str or Image
    tool_calls: list = field(default_factory=list)  # DSS shape, arguments as JSON text
    tool_call_id: Optional[str] = None  # for role "tool"

    @property
    def text(self):
        return "\n".join(p for p in self.parts if isinstance(p, str))

    @property
    def images(self):
        """Inline images and images by URL, in order."""
        return [p for p in self.parts if isinstance(p, (Image, ImageUrl))]


def parse_messages(query):
    """Validate ``query["messages"]`` into a list of ``Message`` (tool outputs become one each)."""
    if not isinstance(query, dict):
        raise InvalidInputError("The completion query must be a dict with 'messages', got %s." % type(query).__name__)
    raw = query.get("messages")
    if not isinstance(raw, list) or not raw:
        raise InvalidInputError("The conversation is empty: the query has no messages.")
    messages = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidInputError("messages[%d] is not an object." % i)
        role = item.get("role")
        if role in IGNORED_ROLES:
            continue
        if role not in ROLES:
            raise InvalidInputError(
                "messages[%d] has unknown role %s; expected one of %s." % (i, _shown(role), ", ".join(ROLES)))
        if role == "tool":
            messages.extend(_tool_outputs(item, i))
            continue
        parts = _parts(item, i)
        tool_calls = _optional_list(item, "toolCalls", i)
        if tool_calls and role != "assistant":
            raise InvalidInputError("messages[%d]: only assistant messages can carry toolCalls." % i)
        tool_calls = [_tool_call(call, i, j) for j, call in enumerate(tool_calls)]
        if not parts and not tool_calls:
            raise InvalidInputError("messages[%d] (%s) has no content, parts or toolCalls." % (i, role))
        messages.append(Message(role=role, parts=parts, tool_calls=tool_calls))
    if not any(m.role in ("user", "tool") or m.tool_calls for m in messages):
        raise InvalidInputError("The conversation has no user message to answer.")
    return messages


def _parts(item, i):
    content = item.get("content")
    if content is not None and not isinstance(content, str):
        raise InvalidInputError("messages[%d].content must be a string, got %s." % (i, _type(content)))
    parts = []
    if content:
        parts.append(content)
    for j, part in enumerate(_optional_list(item, "parts", i)):
        if not isinstance(part, dict):
            raise InvalidInputError("messages[%d].parts[%d] must be an object, got %s." % (i, j, _type(part)))
        kind = part.get("type")
        if kind == "TEXT":
            text = _optional_str(part, "text", "messages[%d].parts[%d]" % (i, j))
            if text:
                parts.append(text)
        elif kind == "IMAGE_INLINE":
            data = _optional_str(part, "inlineImage", "messages[%d].parts[%d]" % (i, j))
            if not data:
                raise InvalidInputError("messages[%d].parts[%d] is an image without data." % (i, j))
            mime_type = _optional_str(part, "imageMimeType", "messages[%d].parts[%d]" % (i, j))
            parts.append(Image(data, mime_type or "image/png"))
        elif kind == "IMAGE_URI":
            url = _optional_str(part, "imageUrl", "messages[%d].parts[%d]" % (i, j))
            if not url or not url.strip():
                raise InvalidInputError("messages[%d].parts[%d] is an image URI without 'imageUrl'." % (i, j))
            parts.append(ImageUrl(url.strip()))
        else:
            raise InvalidInputError("messages[%d].parts[%d] has unsupported type %s." % (i, j, _shown(kind)))
    return parts


def _type(value):
    return "null" if value is None else type(value).__name__


def _shown(value):
    return repr(value) if isinstance(value, str) and len(value) <= 40 else _type(value)


def _optional_list(item, key, i):
    """``item[key]`` as a list (absent or null: empty); anything else is refused, naming the field."""
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError("messages[%d].%s must be a list, got %s." % (i, key, _type(value)))
    return value


def _optional_str(item, key, where):
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInputError("%s.%s must be a string, got %s." % (where, key, _type(value)))
    return value


def _tool_outputs(item, i):
    outputs = _optional_list(item, "toolOutputs", i)
    if not outputs:
        raise InvalidInputError("messages[%d] (tool) has no toolOutputs." % i)
    result = []
    for j, out in enumerate(outputs):
        if not isinstance(out, dict):
            raise InvalidInputError("messages[%d].toolOutputs[%d] must be an object, got %s." % (i, j, _type(out)))
        if not _optional_str(out, "callId", "messages[%d].toolOutputs[%d]" % (i, j)):
            raise InvalidInputError("messages[%d].toolOutputs[%d] has no callId." % (i, j))
        output = _json_text(out.get("output"), "messages[%d].toolOutputs[%d].output" % (i, j), "null")
        result.append(Message(role="tool", parts=[output], tool_call_id=out["callId"]))
    return result


def _tool_call(call, i, j):
    """A DSS tool call checked, its arguments as JSON text."""
    where = "messages[%d].toolCalls[%d]" % (i, j)
    if not isinstance(call, dict):
        raise InvalidInputError("%s must be an object, got %s." % (where, _type(call)))
    fn = call.get("function")
    name = _optional_str(fn, "name", where + ".function") if isinstance(fn, dict) else None
    if not name:
        raise InvalidInputError("%s has no function name." % where)
    return {"id": _optional_str(call, "id", where), "type": "function",
            "function": {"name": name, "arguments": _json_text(fn.get("arguments"), where + ".function.arguments",
                                                               "{}")}}


def _json_text(value, where, none):
    """``value`` as text: a string as is, ``None`` as ``none``, anything else as JSON."""
    if value is None:
        return none
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        raise InvalidInputError("%s cannot be written as JSON." % where) from None


def to_openai_messages(messages, allow_images=True):
    """OpenAI chat-completions ``messages`` for ``Message`` objects."""
    out = []
    for m in messages:
        if m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.text})
            continue
        if m.images:
            if not allow_images:
                raise InvalidInputError("This model mode accepts text only, but a %s message contains an image." % m.role)
            content = [
                {"type": "text", "text": p} if isinstance(p, str)
                else {"type": "image_url", "image_url": {"url": p.url}}
                for p in m.parts
            ]
        else:
            content = m.text
        msg = {"role": m.role, "content": content}
        if m.tool_calls:
            msg["tool_calls"] = [dict(c, function=dict(c["function"])) for c in m.tool_calls]
            if not content:
                msg["content"] = None
        out.append(msg)
    return out


def to_text_turns(messages):
    """(role, text) turns for raw-text models: tool traffic is written out as text, images refused."""
    turns = []
    for m in messages:
        if m.images:
            raise InvalidInputError(
                "This model mode accepts text only, but a %s message contains an image. Use a multimodal "
                "model in OPENAI_COMPATIBLE mode." % m.role)
        if m.role == "tool":
            turns.append(("user", "Result of tool call %s: %s" % (m.tool_call_id, m.text)))
            continue
        text = m.text
        for c in m.tool_calls:
            text += "%sCalling tool %s with %s" % ("\n" if text else "", c["function"]["name"],
                                                   c["function"]["arguments"])
        turns.append((m.role, text))
    return turns


def last_user_text(messages: List[Message]):
    """The text of the last user message (for single-input registry tasks)."""
    for m in reversed(messages):
        if m.role == "user":
            return m.text
    raise InvalidInputError("The conversation has no user message.")
