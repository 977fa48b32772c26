"""Wire formats of the model services, one module each; ``for_settings`` picks the one to use."""

from ..settings import LEGACY_TEXT_MODES
from .openai_compat import OpenAICompatibleProtocol
from .registry import LegacyTextGenerationProtocol, RegistryOpenAIChatProtocol, SentenceTransformersProtocol


def for_settings(settings):
    """The ``Protocol`` for a model's ``modelHandlingMode``."""
    mode = settings.mode
    if mode == "OPENAI_COMPATIBLE":
        return OpenAICompatibleProtocol(settings.model_name)
    if mode == "REGISTRY_OPENAI_CHAT":
        return RegistryOpenAIChatProtocol(settings.registry_method)
    if mode == "REGISTRY_SENTENCE_TRANSFORMERS":
        return SentenceTransformersProtocol(settings.registry_method)
    if mode in LEGACY_TEXT_MODES:
        return LegacyTextGenerationProtocol(mode, settings.registry_method)
    raise ValueError("unknown mode %s" % mode)
