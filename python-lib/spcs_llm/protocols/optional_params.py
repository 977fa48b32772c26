"""Optional request parameters a server may refuse because it does not know them.

OpenAI-compatible servers differ in the extras they accept: vLLM takes ``top_k``,
``transformers serve`` answers 422 "Unexpected fields in the request: {'top_k'}", vLLM with
strict validation says "body.top_k: Extra inputs are not permitted". These pure functions
find which optional parameters such a refusal names, so the chat client can send the
request again without them (and stop sending them to that server).
"""

import re

# Body key -> the DSS setting (or our own addition) it comes from. Only parameters whose
# absence leaves the answer valid: tools, response formats, stops and length limits change
# what the answer must be, so a refusal of those is reported, never worked around.
OPTIONAL = {
    "top_k": "topK",
    "top_p": "topP",
    "temperature": "temperature",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "logit_bias": "logitBias",
    "logprobs": "logProbs",
    "top_logprobs": "topLogProbs",
    "stream_options": "usage reporting of streams (stream_options)",
}

# Words servers use for a field they do not know (as opposed to a bad value of a known one).
_UNKNOWN = re.compile(r"unexpected|unknown|unrecogni[sz]ed|not permitted|not allowed|extra|unsupported|"
                      r"not supported|forbidden", re.IGNORECASE)


def refused_parameters(server_message, body):
    """The optional keys of ``body`` that ``server_message`` refuses as unknown (may be empty)."""
    if not server_message or not _UNKNOWN.search(server_message):
        return []
    return [key for key in body if key in OPTIONAL
            and re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(key), server_message)]


def without(body, keys):
    """A copy of ``body`` without ``keys``."""
    return {k: v for k, v in body.items() if k not in keys}
