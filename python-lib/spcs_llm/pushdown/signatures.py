"""The SQL argument list of each model method a push-down recipe calls, from snowflake-ml's signatures.

A Model Registry service exposes each method to SQL as ``SVC!METHOD(...)``, taking **one SQL
argument per input of the method's signature, in signature order, then the signature's
params** (snowflake-ml-python 2.6.0, ``ServiceSQLClient.invoke_function_method`` in
snowflake/ml/model/_client/sql/service.py). That function is itself a service function on the
service's ``inference`` endpoint, so each batch reaches the service as ``[row, input...,
param...]``; a service function the recipe creates on the same endpoint and path sends the
very same rows when it takes the same arguments.

Params carry defaults in the method's manifest (``ModelMethod._get_method_arg_from_param``,
formatted as SQL literals by ``param_utils.format_param_value_for_sql``, "for use in both
MANIFEST files (model creation) and runtime SQL execution"), so a call may stop after the
last param it sets: the recipes pass the inputs and only the params they set
(``temperature``, ``max_completion_tokens``), in signature order. That the functions declare
those defaults is our reading of the manifest, not a documented statement.

Each ``Argument.value`` is SQL with ``{P}`` for the row's text (or prompt), ``{temperature}``
and ``{max_tokens}`` for the recipe's settings. ``tests/test_pushdown_signatures.py`` checks
every list here against snowflake-ml 2.6.0's own signature objects (the exported fixture),
and ``make interop`` against the objects themselves.
"""

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Argument:
    """One SQL argument: a signature input (or param) name, its SQL type and the SQL giving its value."""

    name: str
    sql_type: str
    value: str
    param: bool = False


@dataclass(frozen=True)
class Signature:
    """A method signature as SQL sees it."""

    key: str  # the recipe's 'methodSignature' value
    label: str
    source: str  # the snowflake-ml object (or model) it follows
    method: str  # the target method as logged
    arguments: Tuple[Argument, ...]


TEXT = "{P}"
_USER_TEXT_PARTS = ("ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('role', 'user', 'content', "
                    "ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('type', 'text', 'text', {P}))))")
_USER_TEXT_STRING = "ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('role', 'user', 'content', {P}))"

# The sampling inputs of the all-columns OpenAI chat signatures, in signature order, with the
# values a one-answer, non-streamed call sends (the recipe sets temperature and the token limit).
_SAMPLING = (
    Argument("temperature", "FLOAT", "{temperature}"),
    Argument("max_completion_tokens", "NUMBER", "{max_tokens}"),
    Argument("stop", "ARRAY", "ARRAY_CONSTRUCT()"),
    Argument("n", "NUMBER", "1"),
    Argument("stream", "BOOLEAN", "FALSE"),
    Argument("top_p", "FLOAT", "1.0"),
    Argument("frequency_penalty", "FLOAT", "0.0"),
    Argument("presence_penalty", "FLOAT", "0.0"),
)
_RESPONSE_FORMAT = Argument("response_format", "OBJECT", "NULL")  # free text: no structured output
_SET_PARAMS = (Argument("temperature", "FLOAT", "{temperature}", param=True),
               Argument("max_completion_tokens", "NUMBER", "{max_tokens}", param=True))

_MODULE = "snowflake.ml.model.openai_signatures"
OPENAI_CHAT = (
    Signature("OPENAI_CHAT_SIGNATURE", "OpenAI chat, content as parts (snowflake-ml 2.x default)",
              _MODULE + ".OPENAI_CHAT_SIGNATURE", "__call__",
              (Argument("messages", "ARRAY", _USER_TEXT_PARTS),) + _SAMPLING + (_RESPONSE_FORMAT,)),
    Signature("OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING", "OpenAI chat, content as a string (snowflake-ml 2.x)",
              _MODULE + ".OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING", "__call__",
              (Argument("messages", "ARRAY", _USER_TEXT_STRING),) + _SAMPLING + (_RESPONSE_FORMAT,)),
    Signature("OPENAI_CHAT_WITH_PARAMS_SIGNATURE", "OpenAI chat, settings as params, content as parts",
              _MODULE + ".OPENAI_CHAT_WITH_PARAMS_SIGNATURE", "__call__",
              (Argument("messages", "ARRAY", _USER_TEXT_PARTS),) + _SET_PARAMS),
    Signature("OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING",
              "OpenAI chat, settings as params, content as a string",
              _MODULE + ".OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING", "__call__",
              (Argument("messages", "ARRAY", _USER_TEXT_STRING),) + _SET_PARAMS),
    # Before snowflake-ml added response_format to the all-columns signature (1.47 in its
    # history), the signature had nine inputs: the interop 1.x servers and our stand-in speak it.
    Signature("OPENAI_CHAT_SIGNATURE_NINE_COLUMNS", "OpenAI chat, nine columns, content as a string (snowflake-ml "
                                                    "1.12 to 1.46)",
              _MODULE + ".OPENAI_CHAT_SIGNATURE before response_format", "__call__",
              (Argument("messages", "ARRAY", _USER_TEXT_STRING),) + _SAMPLING),
)

SENTENCE_TRANSFORMERS = Signature(
    "SENTENCE_TRANSFORMERS_ENCODE", "sentence-transformers encode (sentence; batch_size and truncate_dim left to "
                                    "their logged defaults)",
    "snowflake.ml.model._packager.model_handlers.sentence_transformers._auto_infer_signature", "encode",
    (Argument("sentence", "VARCHAR", TEXT),))
# Text in, text out: Hugging Face pipelines (text2text-generation, summarization, translation,
# text-generation) and the Java plugin's sample models (custom predict) take one string column.
PIPELINE_TEXT = Signature("PIPELINE_INPUTS", "one text column (inputs)",
                          "snowflake.ml.model._packager.model_handlers.huggingface_pipeline", "__call__",
                          (Argument("inputs", "VARCHAR", TEXT),))
CUSTOM_PREDICT = Signature("CUSTOM_PREDICT_INPUTS", "one text column (inputs), custom predict",
                           "the Java plugin's sample models (custom_model.CustomModel, predict)", "predict",
                           (Argument("inputs", "VARCHAR", TEXT),))
ROW_FORMAT = Signature("ROW_FORMAT", "one text column", "a container of your own speaking the row format", "",
                       (Argument("INPUT", "VARCHAR", TEXT),))

BY_KEY = {s.key: s for s in OPENAI_CHAT + (SENTENCE_TRANSFORMERS, PIPELINE_TEXT, CUSTOM_PREDICT, ROW_FORMAT)}
