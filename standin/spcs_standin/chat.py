"""A deterministic rule-based chat model: answers, tool calls and JSON, token by token."""

import json


def count_tokens(text):
    """Tokens as the stand-in counts them: whitespace-separated words."""
    return len(text.split())


def _text(content):
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content or ""


def _images(content):
    if isinstance(content, list):
        return sum(1 for p in content if isinstance(p, dict) and p.get("type") == "image_url")
    return 0


def prompt_tokens(messages):
    return sum(count_tokens(_text(m.get("content"))) + 1 for m in messages)


def respond(messages, tools=None, tool_choice=None, response_format=None):
    """The answer to an OpenAI-style conversation: ("text", str) or ("tool_calls", [..])."""
    last = messages[-1] if messages else {}
    user_turns = sum(1 for m in messages if m.get("role") == "user")
    if last.get("role") == "tool":
        return "text", "The tool returned: %s" % _text(last.get("content"))
    question = _text(last.get("content")).strip()
    if tools and tool_choice != "none":
        wanted = None
        if isinstance(tool_choice, dict):
            wanted = tool_choice.get("function", {}).get("name")
        for tool in tools:
            fn = tool.get("function", {})
            if wanted == fn.get("name") or (wanted is None and (
                    tool_choice == "required" or fn.get("name", "") in question)):
                return "tool_calls", [_tool_call(fn, question, user_turns)]
    if response_format and response_format.get("type") in ("json_object", "json_schema"):
        schema = (response_format.get("json_schema") or {}).get("schema")
        return "text", json.dumps(_json_for(schema, question))
    system = " ".join(_text(m.get("content")) for m in messages if m.get("role") == "system")
    answer = "Turn %d. You said: %s" % (user_turns, question)
    images = sum(_images(m.get("content")) for m in messages)
    if images:
        answer += " (I see %d image%s)" % (images, "" if images == 1 else "s")
    if "pirate" in system.lower():
        answer = "Arr! " + answer
    return "text", answer


def _tool_call(fn, question, turn):
    params = (fn.get("parameters") or {}).get("properties") or {}
    args = {name: _value_for(spec, question) for name, spec in params.items()}
    return {"id": "call_%d_%s" % (turn, fn.get("name")), "type": "function",
            "function": {"name": fn.get("name"), "arguments": json.dumps(args)}}


def _value_for(spec, question):
    kind = (spec or {}).get("type")
    if kind in ("number", "integer"):
        return 42
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return question[:40]


def _json_for(schema, question):
    props = (schema or {}).get("properties")
    if not props:
        return {"answer": question}
    return {name: _value_for(spec, question) for name, spec in props.items()}


def tokens_of(text):
    """The answer split into stream tokens (each word keeps its trailing space)."""
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def apply_limits(text, max_tokens=None, stop=None):
    """(text, finish_reason) after stop sequences and the token limit."""
    finish = "stop"
    for s in stop or []:
        if s and s in text:
            text = text[:text.index(s)]
    if max_tokens:
        toks = tokens_of(text)
        if len(toks) > max_tokens:
            text = "".join(toks[:max_tokens]).rstrip()
            finish = "length"
    return text, finish
