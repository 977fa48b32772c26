"""One prompt string from a conversation, in the format each raw text-generation family expects.

Each built-in format renders exactly what the family's official chat template renders
(checked in tests/test_chat_templates.py against those templates).

Used by the ``TEXT_GENERATION_*`` modes, whose Model Registry services take a single
``inputs`` string. Each function takes (role, text) turns and ends with the cue for the
model to answer.
"""

from ..errors import InvalidInputError


def _split_system(turns):
    system = "\n".join(t for r, t in turns if r == "system")
    rest = [(r, t) for r, t in turns if r != "system"]
    return system, rest


def llama2(turns):
    """``<s>[INST] <<SYS>>...<</SYS>> user [/INST] answer </s>`` per exchange."""
    system, rest = _split_system(turns)
    out = []
    first_user = True
    pending_user = None
    for role, text in rest:
        if role == "user":
            if pending_user is not None:  # two user turns in a row: merge them
                pending_user += "\n" + text
                continue
            pending_user = text
        else:
            out.append(_llama2_exchange(pending_user or "", text, system if first_user else None))
            first_user = False
            pending_user = None
    out.append(_llama2_exchange(pending_user or "", None, system if first_user else None))
    return "".join(out)


def _llama2_exchange(user, answer, system):
    if system:
        user = "<<SYS>>\n%s\n<</SYS>>\n\n%s" % (system, user)
    text = "<s>[INST] %s [/INST]" % user.strip()
    if answer is not None:
        text += " %s </s>" % answer.strip()
    return text


def mistral(turns):
    """``<s>[INST] user [/INST]answer</s>[INST] user [/INST]``; system text opens the first user turn."""
    system, rest = _split_system(turns)
    out = ["<s>"]
    first = True
    for role, text in rest:
        if role == "user":
            if first and system:
                text = system + "\n\n" + text
            first = False
            out.append("[INST] %s [/INST]" % text.strip())
        else:
            out.append("%s</s>" % text.strip())
    return "".join(out)


def zephyr(turns):
    """``<|system|>\\n...</s>\\n<|user|>\\n...</s>\\n<|assistant|>\\n``."""
    out = []
    for role, text in turns:
        out.append("<|%s|>\n%s</s>\n" % (role, text.strip()))
    out.append("<|assistant|>\n")
    return "".join(out)


def falcon(turns):
    """``System: ...\\nUser: ...\\nFalcon: ...`` ending with ``Falcon:``."""
    names = {"system": "System", "user": "User", "assistant": "Falcon"}
    lines = ["%s: %s" % (names[role], text.strip()) for role, text in turns]
    lines.append("Falcon:")
    return "\n".join(lines)


def llama3(turns):
    """``<|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\ntext<|eot_id|>...`` then the assistant header."""
    out = ["<|begin_of_text|>"]
    for role, text in turns:
        out.append("<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>" % (role, text.strip()))
    out.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
    return "".join(out)


def chatml(turns):
    """``<|im_start|>role\ntext<|im_end|>\n`` per turn, then ``<|im_start|>assistant\n``."""
    out = ["<|im_start|>%s\n%s<|im_end|>\n" % (role, text) for role, text in turns]
    out.append("<|im_start|>assistant\n")
    return "".join(out)


def plain(turns):
    """The texts alone, one paragraph each: for models fine-tuned on raw text."""
    return "\n\n".join(text.strip() for _, text in turns)


FORMATS = {
    "TEXT_GENERATION_LLAMA_2": llama2,
    "TEXT_GENERATION_MISTRAL": mistral,
    "TEXT_GENERATION_ZEPHYR": zephyr,
    "TEXT_GENERATION_FALCON": falcon,
    "TEXT_GENERATION_OTHER": plain,
    "TEXT_GENERATION_LLAMA_3": llama3,
    "TEXT_GENERATION_CHATML": chatml,
}


def formatter_for(mode, chat_template=None):
    """The function turning (role, text) turns into the prompt of ``mode``.

    ``TEXT_GENERATION_CUSTOM_TEMPLATE`` uses ``chat_template`` (a ``ChatTemplate``).
    """
    if mode == "TEXT_GENERATION_CUSTOM_TEMPLATE":
        if chat_template is None:
            raise InvalidInputError("Mode TEXT_GENERATION_CUSTOM_TEMPLATE needs a chat template.")
        return chat_template
    try:
        return FORMATS[mode]
    except KeyError:
        raise InvalidInputError("No prompt format for mode %s." % mode) from None
