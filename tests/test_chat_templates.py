"""Prompt formats of raw text-generation models, against the families' official chat templates."""

import pytest

from dss import make_llm, new_query, new_trace
from spcs_llm.errors import ConfigError, InvalidInputError
from spcs_llm.protocols import prompt_formats
from spcs_llm.protocols.chat_template import ChatTemplate

# The chat_template of each family's tokenizer_config.json (Hugging Face).
LLAMA2 = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
    "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
    "'\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}")
ZEPHYR = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + "
    "eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + "
    "'\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

WITH_SYSTEM = [("system", "You are a clinician."), ("user", "What is BP?"), ("assistant", "Blood pressure."),
               ("user", "Normal range?")]
NO_SYSTEM = WITH_SYSTEM[1:]

FAMILIES = [
    ("TEXT_GENERATION_LLAMA_2", LLAMA2, "<s>", "</s>", WITH_SYSTEM),
    ("TEXT_GENERATION_LLAMA_2", LLAMA2, "<s>", "</s>", NO_SYSTEM),
    ("TEXT_GENERATION_MISTRAL", MISTRAL, "<s>", "</s>", NO_SYSTEM),  # Mistral's template has no system role
    ("TEXT_GENERATION_ZEPHYR", ZEPHYR, "<s>", "</s>", WITH_SYSTEM),
    ("TEXT_GENERATION_LLAMA_3", LLAMA3, "<|begin_of_text|>", "<|eot_id|>", WITH_SYSTEM),
    ("TEXT_GENERATION_CHATML", CHATML, "", "", WITH_SYSTEM),
]


@pytest.mark.parametrize("mode, template, bos, eos, turns", FAMILIES,
                         ids=["%s-%d" % (f[0], len(f[4])) for f in FAMILIES])
def test_builtin_formats_match_the_official_templates(mode, template, bos, eos, turns):
    assert prompt_formats.formatter_for(mode)(turns) == ChatTemplate(template, bos, eos)(turns)


def test_reference_renderings():
    assert prompt_formats.llama3(WITH_SYSTEM) == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a clinician.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is BP?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nBlood pressure.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nNormal range?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert prompt_formats.chatml(WITH_SYSTEM) == (
        "<|im_start|>system\nYou are a clinician.<|im_end|>\n<|im_start|>user\nWhat is BP?<|im_end|>\n"
        "<|im_start|>assistant\nBlood pressure.<|im_end|>\n<|im_start|>user\nNormal range?<|im_end|>\n"
        "<|im_start|>assistant\n")
    assert prompt_formats.llama2(WITH_SYSTEM) == (
        "<s>[INST] <<SYS>>\nYou are a clinician.\n<</SYS>>\n\nWhat is BP? [/INST] Blood pressure. </s>"
        "<s>[INST] Normal range? [/INST]")
    assert prompt_formats.mistral(WITH_SYSTEM) == (
        "<s>[INST] You are a clinician.\n\nWhat is BP? [/INST]Blood pressure.</s>[INST] Normal range? [/INST]")
    assert prompt_formats.zephyr(WITH_SYSTEM) == (
        "<|system|>\nYou are a clinician.</s>\n<|user|>\nWhat is BP?</s>\n<|assistant|>\nBlood pressure.</s>\n"
        "<|user|>\nNormal range?</s>\n<|assistant|>\n")
    assert prompt_formats.falcon(WITH_SYSTEM) == (
        "System: You are a clinician.\nUser: What is BP?\nFalcon: Blood pressure.\nUser: Normal range?\nFalcon:")


def test_custom_template_end_to_end(env):
    llm = make_llm(env.config("textgen", modelHandlingMode="TEXT_GENERATION_CUSTOM_TEMPLATE", chatTemplate=LLAMA2,
                              chatTemplateBosToken="<s>", chatTemplateEosToken="</s>"))
    q = new_query()
    for role, text in WITH_SYSTEM:
        q.with_message(text, role=role)
    answer = llm.process(q.cq, {}, new_trace())
    prompt = env.standin.services["textgen"].requests[-1]["body"]["data"][0][1]["inputs"]
    assert prompt == prompt_formats.llama2(WITH_SYSTEM)
    assert answer["text"] == "Generated answer to a prompt of %d characters." % len(prompt)


def test_template_refusing_a_conversation_is_a_clear_error(env):
    llm = make_llm(env.config("textgen", modelHandlingMode="TEXT_GENERATION_CUSTOM_TEMPLATE", chatTemplate=MISTRAL))
    q = new_query()
    q.with_message("first").with_message("second")  # two user turns in a row
    with pytest.raises(InvalidInputError, match="Conversation roles must alternate"):
        llm.process(q.cq, {}, new_trace())


def test_bad_or_hostile_templates():
    with pytest.raises(ConfigError, match="'chatTemplate'"):
        make_llm({"llmEndpointUrl": "https://x.snowflakecomputing.app", "authMode": "PAT", "pat": {"token": "t"},
                  "modelHandlingMode": "TEXT_GENERATION_CUSTOM_TEMPLATE", "chatTemplate": "{% for x in %}"})
    hostile = ChatTemplate("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(InvalidInputError):
        hostile([("user", "hi")])
