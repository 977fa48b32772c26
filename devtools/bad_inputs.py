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


# A group of its own: per-call settings, malformed messages and keys that cannot sign
# (issue 14, items 12 and 13). Each fails before any request, naming the setting or field.
# (description, service, config changes, query, settings, expected error type, fragment of its message)
def _ec_key_pem():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


_HELLO = {"messages": [{"role": "user", "content": "hello"}]}
BAD_CALL_INPUTS = [
    ("stopSequences a number", "openai", {}, _HELLO, {"stopSequences": 5}, InvalidInputError,
     "Invalid completion setting 'stopSequences': must be a list of strings"),
    ("stopSequences holding a number", "openai-chat-sig", {}, _HELLO, {"stopSequences": ["END", 3]},
     InvalidInputError, "'stopSequences[1]': must be a string"),
    ("temperature as text", "openai-chat-sig", {}, _HELLO, {"temperature": "0.2"}, InvalidInputError,
     "'temperature': must be a finite number"),
    ("topP true", "openai", {}, _HELLO, {"topP": True}, InvalidInputError, "'topP': must be a finite number"),
    ("topK 2.5", "openai", {}, _HELLO, {"topK": 2.5}, InvalidInputError, "'topK': must be a whole number"),
    ("presencePenalty a list", "textgen", {}, _HELLO, {"presencePenalty": [1]}, InvalidInputError,
     "'presencePenalty': must be a finite number"),
    ("responseFormat a string", "openai", {}, _HELLO, {"responseFormat": "json"}, InvalidInputError,
     "'responseFormat': must be an object"),
    ("responseFormat of an unknown type", "openai", {}, _HELLO, {"responseFormat": {"type": "xml"}},
     InvalidInputError, "'responseFormat.type': must be \"json\" or \"text\""),
    ("parts a string", "openai", {}, {"messages": [{"role": "user", "parts": "hello"}]}, {}, InvalidInputError,
     "messages[0].parts must be a list, got str"),
    ("toolCalls a number", "openai", {}, {"messages": [{"role": "user", "content": "x"},
                                                       {"role": "assistant", "toolCalls": 5}]}, {},
     InvalidInputError, "messages[1].toolCalls must be a list, got int"),
    ("toolOutputs an object", "openai", {}, {"messages": [{"role": "user", "content": "x"},
                                                          {"role": "tool", "toolOutputs": {"callId": "c"}}]}, {},
     InvalidInputError, "messages[1].toolOutputs must be a list, got dict"),
    ("part text a number", "openai", {}, {"messages": [{"role": "user", "parts": [{"type": "TEXT", "text": 5}]}]},
     {}, InvalidInputError, "messages[0].parts[0].text must be a string"),
    ("EC private key for key-pair authentication", "openai", {"keypair": {"privateKey": _ec_key_pem}}, _HELLO, {},
     ConfigError, "is an EC key, but Snowflake key-pair authentication takes an RSA key"),
]


def run_bad_call(env, service, changes, query, settings):
    """A chat call with ``settings`` on a model configured with ``changes``; the exception raised, or None."""
    from dss_harness import make_model, new_trace

    mode = "KEYPAIR_JWT" if "keypair" in changes else "PAT"
    config = env.config(service, mode)
    for field, value in changes.items():  # presets are dicts: change their fields
        config[field] = dict(config[field], **{k: v() if callable(v) else v for k, v in value.items()})
    try:
        model = make_model("chat", config)
        model.process(query, settings, new_trace())
    except Exception as exc:  # the caller checks type and message
        return exc
    return None
