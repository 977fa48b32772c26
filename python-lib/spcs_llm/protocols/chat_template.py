"""Custom chat templates: the Jinja format of a model's ``tokenizer_config.json``.

Rendered as Hugging Face ``apply_chat_template`` does (``trim_blocks``, ``lstrip_blocks``,
``raise_exception``, ``add_generation_prompt``), in Jinja's immutable sandbox: a template
pasted by an admin can read its inputs but cannot reach Python objects or change state.
"""

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import ConfigError, InvalidInputError


class _TemplateException(Exception):
    pass


def _raise_exception(message):
    raise _TemplateException(message)


def _environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_exception
    return env


def compile_template(source, field="chatTemplate"):
    """Compile ``source``; a syntax error is a ``ConfigError`` on ``field``."""
    if not source or not source.strip():
        raise ConfigError(field, "is empty: paste the chat_template of the model's tokenizer_config.json.")
    try:
        return _environment().from_string(source)
    except TemplateError as exc:
        raise ConfigError(field, "is not a valid Jinja template: %s" % exc) from None


class ChatTemplate:
    """A compiled chat template with its special tokens; call it with (role, text) turns."""

    def __init__(self, source, bos_token="", eos_token=""):
        self.template = compile_template(source)
        self.bos_token = bos_token or ""
        self.eos_token = eos_token or ""

    def __call__(self, turns):
        messages = [{"role": role, "content": text} for role, text in turns]
        try:
            return self.template.render(messages=messages, add_generation_prompt=True,
                                        bos_token=self.bos_token, eos_token=self.eos_token)
        except _TemplateException as exc:
            raise InvalidInputError("The model's chat template refused this conversation: %s" % exc) from None
        except TemplateError as exc:
            raise InvalidInputError("The chat template failed on this conversation: %s" % exc) from None
