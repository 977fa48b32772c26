"""What each kind of SPCS service takes and gives when Snowflake calls it from SQL.

A service function sends ``{"data": [[row, arg, ...], ...]}`` to the service and gets
``{"data": [[row, value], ...]}`` back (PLATFORM.md section 2b), the same row format as
the Model Registry's ingress (``protocols/registry_rows.py``). Each kind says which
method it serves by default, how one row's input is built from the text of the row, and
how the answer is read from the value the function returns (a VARIANT). Both are SQL
fragments with ``{P}`` for the text and ``{R}`` for the returned value. Mode names are those
of the LLM Mesh connection (``modes.MODES``, checked by a test), so a user can copy them from a model.
"""

from dataclasses import dataclass
from typing import Optional

from ..protocols.prompt_formats import FORMATS

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
    method: Optional[str]  # default registry method; None: the user gives the path
    argument_type: str  # SQL type of the function's one argument
    argument: str  # SQL building the argument from P
    answer: str  # SQL reading the answer from R
    strips_prompt: bool = False  # the text-generation pipeline repeats the prompt before its answer


_OPENAI_ROW = ("OBJECT_CONSTRUCT('messages', ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('role', 'user', 'content', {P})), "
               "'temperature', {temperature}, 'max_completion_tokens', {max_tokens}, 'stop', ARRAY_CONSTRUCT(), "
               "'n', 1, 'stream', FALSE, 'top_p', 1.0, 'frequency_penalty', 0.0, 'presence_penalty', 0.0)")

_TABLE = [
    Kind("REGISTRY_SENTENCE_TRANSFORMERS", EMBEDDING, "encode", "VARCHAR", "{P}", '{R}:"output"'),
    # The Java plugin's sample embedding model: the vector comes back as JSON text.
    Kind("TEXT_GENERATION_OTHER", EMBEDDING, "predict", "VARCHAR", "{P}", 'PARSE_JSON({R}:"outputs"::VARCHAR)'),
    Kind("ROW_FORMAT", EMBEDDING, None, "VARCHAR", "{P}", "{R}"),
    Kind("REGISTRY_OPENAI_CHAT", PROMPT, "__call__", "OBJECT", _OPENAI_ROW,
         '{R}:"choices"[0]:"message":"content"::VARCHAR'),
    Kind("REGISTRY_TEXT2TEXT_GENERATION", PROMPT, "__call__", "VARCHAR", "{P}", '{R}:"generated_text"::VARCHAR'),
    Kind("REGISTRY_SUMMARIZATION", PROMPT, "__call__", "VARCHAR", "{P}", '{R}:"summary_text"::VARCHAR'),
    Kind("REGISTRY_TRANSLATION", PROMPT, "__call__", "VARCHAR", "{P}", '{R}:"translation_text"::VARCHAR'),
    Kind("ROW_FORMAT", PROMPT, None, "VARCHAR", "{P}", "{R}::VARCHAR"),
] + [Kind(mode, PROMPT, "predict", "VARCHAR", "{P}", 'PARSE_JSON({R}:"outputs"::VARCHAR)[0]:"generated_text"::VARCHAR',
          strips_prompt=True) for mode in sorted(FORMATS)]

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
