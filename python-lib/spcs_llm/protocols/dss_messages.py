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
    tool_calls: list = field(default_factory=list)  # DSS shape
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
                "messages[%d] has unknown role %r; expected one of %s." % (i, role, ", ".join(ROLES)))
        if role == "tool":
            messages.extend(_tool_outputs(item, i))
            continue
        parts = _parts(item, i)
        tool_calls = item.get("toolCalls") or []
        if tool_calls and role != "assistant":
            raise InvalidInputError("messages[%d]: only assistant messages can carry toolCalls." % i)
        for j, call in enumerate(tool_calls):
            _check_tool_call(call, i, j)
        if not parts and not tool_calls:
            raise InvalidInputError("messages[%d] (%s) has no content, parts or toolCalls." % (i, role))
        messages.append(Message(role=role, parts=parts, tool_calls=list(tool_calls)))
    if not any(m.role in ("user", "tool") or m.tool_calls for m in messages):
        raise InvalidInputError("The conversation has no user message to answer.")
    return messages


def _parts(item, i):
    content = item.get("content")
    parts_in = item.get("parts")
    if content is not None and not isinstance(content, str):
        raise InvalidInputError("messages[%d].content must be a string, got %s." % (i, type(content).__name__))
    parts = []
    if content:
        parts.append(content)
    for j, part in enumerate(parts_in or []):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "TEXT":
            if part.get("text"):
                parts.append(str(part["text"]))
        elif kind == "IMAGE_INLINE":
            if not part.get("inlineImage"):
                raise InvalidInputError("messages[%d].parts[%d] is an image without data." % (i, j))
            parts.append(Image(part["inlineImage"], part.get("imageMimeType") or "image/png"))
        elif kind == "IMAGE_URI":
            if not isinstance(part.get("imageUrl"), str) or not part["imageUrl"].strip():
                raise InvalidInputError("messages[%d].parts[%d] is an image URI without 'imageUrl'." % (i, j))
            parts.append(ImageUrl(part["imageUrl"].strip()))
        else:
            raise InvalidInputError("messages[%d].parts[%d] has unsupported type %r." % (i, j, kind))
    return parts


def _tool_outputs(item, i):
    outputs = item.get("toolOutputs")
    if not outputs:
        raise InvalidInputError("messages[%d] (tool) has no toolOutputs." % i)
    result = []
    for j, out in enumerate(outputs):
        if not isinstance(out, dict) or not out.get("callId"):
            raise InvalidInputError("messages[%d].toolOutputs[%d] has no callId." % (i, j))
        output = out.get("output")
        if not isinstance(output, str):
            output = json.dumps(output)
        result.append(Message(role="tool", parts=[output], tool_call_id=out["callId"]))
    return result


def _check_tool_call(call, i, j):
    fn = call.get("function") if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not fn.get("name"):
        raise InvalidInputError("messages[%d].toolCalls[%d] has no function name." % (i, j))


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
            msg["tool_calls"] = [
                {"id": c.get("id"), "type": "function",
                 "function": {"name": c["function"]["name"], "arguments": _arguments(c["function"].get("arguments"))}}
                for c in m.tool_calls
            ]
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
                                                   _arguments(c["function"].get("arguments")))
        turns.append((m.role, text))
    return turns


def _arguments(arguments):
    if arguments is None:
        return "{}"
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments)


def last_user_text(messages: List[Message]):
    """The text of the last user message (for single-input registry tasks)."""
    for m in reversed(messages):
        if m.role == "user":
            return m.text
    raise InvalidInputError("The conversation has no user message.")
