"""Wire formats of the model services, one module each; ``for_settings`` picks the one to use.

Pure: a protocol builds a request body from DSS's query and parses the answer; it never
sends anything. ``dss_messages`` and ``dss_settings`` read DSS's side, ``answer_checks``
and ``registry_rows`` are shared by the parsers.

May import: ``wire``, ``modes``, ``errors``. Imported by: ``client``, ``settings``,
``pushdown`` and the admin tools; never by ``transport`` or ``auth``.
"""

from ..modes import BY_NAME
from .custom import CustomProtocol
from .openai_compat import OpenAICompatibleProtocol
from .pipelines import PipelineTaskProtocol
from .registry import LegacyTextGenerationProtocol, RegistryOpenAIChatProtocol, SentenceTransformersProtocol
from .rerank import CrossEncoderProtocol, TEIRerankProtocol

# Mode family (``modes.Mode.family``) -> the protocol for a model's settings.
_FACTORIES = {
    "openai": lambda s: OpenAICompatibleProtocol(s.model_name),
    "registry-openai-chat": lambda s: RegistryOpenAIChatProtocol(s.registry_method),
    "sentence-transformers": lambda s: SentenceTransformersProtocol(s.registry_method),
    "text-generation": lambda s: LegacyTextGenerationProtocol(s.mode, s.registry_method, s.chat_template),
    "pipeline": lambda s: PipelineTaskProtocol(s.mode, s.registry_method, s.candidate_labels),
    "custom": lambda s: CustomProtocol(s.custom),
    "tei-rerank": lambda s: TEIRerankProtocol(),
    "cross-encoder": lambda s: CrossEncoderProtocol(s.registry_method),
}


def for_settings(settings):
    """The protocol for a model's ``modelHandlingMode``."""
    return _FACTORIES[BY_NAME[settings.mode].family](settings)
