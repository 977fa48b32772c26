"""The one table of ``modelHandlingMode`` values: what each serves and which wire format speaks it.

Settings validate against it, ``protocols.for_settings`` builds from it, the doctor probes
from it and a test checks ``llm.json``'s choices against it. It imports nothing of ours.
"""

from dataclasses import dataclass

CHAT = "chat"
EMBEDDING = "embedding"
RERANKING = "reranking"
CAPABILITIES = (CHAT, EMBEDDING, RERANKING)


@dataclass(frozen=True)
class Mode:
    """One ``modelHandlingMode``: its wire-format family and the capabilities it serves."""

    name: str
    family: str  # which protocol module speaks it (see protocols.for_settings)
    capabilities: tuple


def _text_generation(name):
    # The Java plugin's sample embedding model was a text-generation-style service
    # (inputs -> outputs holding the vector), so these modes also embed.
    return Mode(name, "text-generation", (CHAT, EMBEDDING))


def _pipeline(name):
    return Mode(name, "pipeline", (CHAT,))


MODES = (
    Mode("OPENAI_COMPATIBLE", "openai", (CHAT, EMBEDDING, RERANKING)),
    Mode("TEXT_EMBEDDINGS_INFERENCE", "tei-rerank", (RERANKING,)),
    Mode("REGISTRY_CROSS_ENCODER", "cross-encoder", (RERANKING,)),
    Mode("REGISTRY_OPENAI_CHAT", "registry-openai-chat", (CHAT,)),
    Mode("REGISTRY_SENTENCE_TRANSFORMERS", "sentence-transformers", (EMBEDDING,)),
    _text_generation("TEXT_GENERATION_LLAMA_2"),
    _text_generation("TEXT_GENERATION_MISTRAL"),
    _text_generation("TEXT_GENERATION_ZEPHYR"),
    _text_generation("TEXT_GENERATION_FALCON"),
    _text_generation("TEXT_GENERATION_OTHER"),
    _text_generation("TEXT_GENERATION_LLAMA_3"),
    _text_generation("TEXT_GENERATION_CHATML"),
    _text_generation("TEXT_GENERATION_CUSTOM_TEMPLATE"),
    _pipeline("REGISTRY_FILL_MASK"),
    _pipeline("REGISTRY_TOKEN_CLASSIFICATION"),
    _pipeline("REGISTRY_QUESTION_ANSWERING"),
    _pipeline("REGISTRY_SUMMARIZATION"),
    _pipeline("REGISTRY_TABLE_QUESTION_ANSWERING"),
    _pipeline("REGISTRY_TEXT_CLASSIFICATION"),
    _pipeline("REGISTRY_TEXT2TEXT_GENERATION"),
    _pipeline("REGISTRY_TRANSLATION"),
    _pipeline("REGISTRY_ZERO_SHOT_CLASSIFICATION"),
    _pipeline("REGISTRY_ZERO_SHOT_IMAGE_CLASSIFICATION"),
    Mode("CUSTOM", "custom", (CHAT, EMBEDDING, RERANKING)),  # what it serves depends on its templates
)

BY_NAME = {m.name: m for m in MODES}
MODE_NAMES = tuple(m.name for m in MODES)
TEXT_GENERATION_MODES = tuple(m.name for m in MODES if m.family == "text-generation")
PIPELINE_MODES = tuple(m.name for m in MODES if m.family == "pipeline")


def modes_for(capability):
    """The mode names that can serve ``capability``."""
    return tuple(m.name for m in MODES if capability in m.capabilities)
