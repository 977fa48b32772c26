"""What each kind of SPCS service takes and gives when Snowflake calls it from SQL.

A service function sends ``{"data": [[row, arg, ...], ...]}`` to the service and gets
``{"data": [[row, value], ...]}`` back (PLATFORM.md section 2b), the same row format as
the Model Registry's ingress (``protocols/registry_rows.py``). Each kind says which
method it serves by default, which SQL argument lists its method takes (``signatures``: one
argument per signature input, then params; ``{P}`` is the row's text) and how the answer is
read from the value the function returns (a VARIANT; ``{R}`` in the SQL). Mode names are those
of the LLM Mesh connection (``modes.MODES``, checked by a test), so a user can copy them from a model.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from ..protocols.prompt_formats import FORMATS
from . import signatures

# Labels of the raw text-generation modes, as the connection shows them (llm.json).
FORMAT_LABELS = {
    "TEXT_GENERATION_LLAMA_2": "Model Registry: text generation, Llama 2 prompt format",
    "TEXT_GENERATION_MISTRAL": "Model Registry: text generation, Mistral prompt format",
    "TEXT_GENERATION_ZEPHYR": "Model Registry: text generation, Zephyr prompt format",
    "TEXT_GENERATION_FALCON": "Model Registry: text generation, Falcon prompt format",
    "TEXT_GENERATION_OTHER": "Model Registry: text generation, plain prompt",
    "TEXT_GENERATION_LLAMA_3": "Model Registry: text generation, Llama 3 prompt format",
    "TEXT_GENERATION_CHATML": "Model Registry: text generation, ChatML prompt format (Qwen, Phi, ...)",
}

EMBEDDING = "embedding"
PROMPT = "prompt"

# Services that only speak the OpenAI API (or a free-form JSON body) cannot be reached from
# SQL: a service function speaks the row format only.
NOT_CALLABLE_FROM_SQL = ("OPENAI_COMPATIBLE", "CUSTOM")


@dataclass(frozen=True)
class Kind:
    """One kind of service as seen from SQL."""

    mode: str
    capability: str
    signatures: Tuple[signatures.Signature, ...]  # the method's SQL argument lists; the first is the default
    answer: str  # SQL reading the answer from R ({O}: the signature's output column)
    label: str  # as the recipe's 'Model type' choice shows it
    strips_prompt: bool = False  # the text-generation pipeline repeats the prompt before its answer

    @property
    def method(self) -> Optional[str]:
        """The default registry method (None: the user gives the path)."""
        return self.signatures[0].method or None


# A single text output may come unpacked (ENABLE_SINGLE_OUTPUT_NATIVE_TYPE, snowflake-ml 2.x's
# ModelMethod.save): read it from the object when it is one, else take the value itself.
_TEXT_OUTPUT = 'IFF(IS_OBJECT(TO_VARIANT({R})), TO_VARIANT({R}):"{O}", TO_VARIANT({R}))::VARCHAR'
_TABLE = [
    Kind("REGISTRY_SENTENCE_TRANSFORMERS", EMBEDDING, signatures.SENTENCE_TRANSFORMERS, '{R}:"{O}"',
         "Model Registry: sentence-transformers embeddings (encode)"),
    # The Java plugin's sample embedding model: the vector comes back as JSON text.
    Kind("TEXT_GENERATION_OTHER", EMBEDDING, (signatures.CUSTOM_PREDICT,), 'PARSE_JSON({R}:"{O}"::VARCHAR)',
         "Model Registry: the Java plugin's sample embedding model (predict, vector as JSON text)"),
    Kind("ROW_FORMAT", EMBEDDING, (signatures.ROW_FORMAT,), "{R}",
         "Your own container speaking the row format (give the endpoint path)"),
    Kind("REGISTRY_OPENAI_CHAT", PROMPT, signatures.OPENAI_CHAT, '{R}:"choices"[0]:"message":"content"::VARCHAR',
         "Model Registry: OpenAI chat signature"),  # labels as the LLM Mesh connection's (llm.json)
    Kind("REGISTRY_TEXT2TEXT_GENERATION", PROMPT, signatures.TEXT2TEXT, _TEXT_OUTPUT,
         "Model Registry: text2text generation"),
    Kind("REGISTRY_SUMMARIZATION", PROMPT, signatures.SUMMARIZATION, _TEXT_OUTPUT, "Model Registry: summarization"),
    Kind("REGISTRY_TRANSLATION", PROMPT, signatures.TRANSLATION, _TEXT_OUTPUT, "Model Registry: translation"),
    Kind("ROW_FORMAT", PROMPT, (signatures.ROW_FORMAT,), "{R}::VARCHAR",
         "Your own container speaking the row format (give the endpoint path)"),
] + [Kind(mode, PROMPT, signatures.TEXT_GENERATION,
          # "outputs": JSON text (the Java plugin's sample) or an ARRAY (a pipeline): both read as JSON
          'PARSE_JSON({R}:"{O}"::VARCHAR)[0]:"generated_text"::VARCHAR', label, strips_prompt=True)
     for mode, label in sorted(FORMAT_LABELS.items())]

KINDS = {(k.mode, k.capability): k for k in _TABLE}
ROW_FORMAT = "ROW_FORMAT"  # push-down only: a container of your own speaking the row format


def modes_for(capability):
    """The modes a recipe of ``capability`` accepts, in table order."""
    return [k.mode for k in _TABLE if k.capability == capability]


def prompt_frame(mode):
    """(prefix, suffix) that the mode's prompt format puts around a single user message."""
    marker = "\x00TEXT\x00"
    formatted = FORMATS[mode]([("user", marker)]) if mode in FORMATS else marker
    prefix, _, suffix = formatted.partition(marker)
    return prefix, suffix
