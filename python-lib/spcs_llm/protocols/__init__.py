"""Wire formats of the model services, one module each; ``for_settings`` picks the one to use."""

from ..settings import PIPELINE_MODES, TEXT_GENERATION_MODES
from .custom import CustomProtocol
from .openai_compat import OpenAICompatibleProtocol
from .pipelines import PipelineTaskProtocol
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
    if mode in TEXT_GENERATION_MODES:
        return LegacyTextGenerationProtocol(mode, settings.registry_method, settings.chat_template)
    if mode in PIPELINE_MODES:
        return PipelineTaskProtocol(mode, settings.registry_method, settings.candidate_labels)
    if mode == "CUSTOM":
        return CustomProtocol(settings.custom)
    raise ValueError("unknown mode %s" % mode)
