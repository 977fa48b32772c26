"""Bad inputs and what the plugin says about each (tests/test_bad_inputs.py asserts them all)."""

from spcs_llm.errors import ConfigError, InvalidInputError, PayloadTooLargeError

# (description, call kind, service, query, expected error type, fragment of its message)
ENORMOUS = "word " * 400000  # 2 MB
BAD_INPUTS = [
    ("empty conversation", "chat", "openai", {"messages": []}, InvalidInputError, "conversation is empty"),
    ("no messages key", "chat", "openai", {}, InvalidInputError, "conversation is empty"),
    ("None content", "chat", "openai", {"messages": [{"role": "user", "content": None}]}, InvalidInputError,
     "messages[0] (user) has no content"),
    ("content not a string", "chat", "openai", {"messages": [{"role": "user", "content": 42}]}, InvalidInputError,
     "messages[0].content must be a string"),
    ("unknown role", "chat", "openai", {"messages": [{"role": "wizard", "content": "hi"}]}, InvalidInputError,
     "unknown role 'wizard'"),
    ("only a system message", "chat", "openai", {"messages": [{"role": "system", "content": "be nice"}]},
     InvalidInputError, "no user message"),
    ("tool output without callId", "chat", "openai", {"messages": [
        {"role": "user", "content": "x"}, {"role": "tool", "toolOutputs": [{"output": "1"}]}]},
     InvalidInputError, "toolOutputs[0] has no callId"),
    ("image sent to a text-only mode", "chat", "textgen", {"messages": [{"role": "user", "parts": [
        {"type": "TEXT", "text": "what is this?"}, {"type": "IMAGE_INLINE", "inlineImage": "iVBORw0KGgo="}]}]},
     InvalidInputError, "accepts text only"),
    ("unsupported part type", "chat", "openai", {"messages": [{"role": "user", "parts": [{"type": "VIDEO"}]}]},
     InvalidInputError, "unsupported type 'VIDEO'"),
    ("empty text to embed", "embed", "st", {"text": ""}, InvalidInputError, "the text is empty or whitespace"),
    ("whitespace text to embed", "embed", "st", {"queries": [{"text": "ok"}, {"text": "  \n"}]},
     InvalidInputError, "queries[1].text is empty or whitespace"),
    ("None text to embed", "embed", "st", {"queries": [{"text": None}]}, InvalidInputError,
     "queries[0].text is missing"),
    ("no texts to embed", "embed", "st", {"queries": []}, InvalidInputError, "has no texts"),
    ("enormous text to embed (2 MB, ingress limit 1 MB)", "embed", "st", {"text": ENORMOUS}, PayloadTooLargeError,
     "too large (HTTP 413"),
    ("embedding model on a chat-only mode", "embed", "openai-chat-sig", {"text": "x"}, ConfigError,
     "REGISTRY_OPENAI_CHAT cannot serve embedding models"),
]


def run_bad_input(env, kind, service, query):
    """Call the plugin with ``query``; return the exception raised (or None)."""
    from dss_harness import make_model, new_trace

    env.standin.services[service].faults.max_body_bytes = 1024 * 1024
    try:
        model = make_model("chat" if kind == "chat" else "embedding", env.config(service))
        model.process(query, {}, new_trace())
    except Exception as exc:  # the caller checks type and message
        return exc
    return None
