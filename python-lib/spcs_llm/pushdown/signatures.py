"""The SQL argument list of each model method a push-down recipe calls, from snowflake-ml's own signatures.

A Model Registry service exposes each method to SQL as ``SVC!METHOD(...)``, taking **one SQL
argument per input of the method's signature, in signature order, then every param of the
signature** (snowflake-ml-python 2.6.0: ``ModelOperator.invoke_method`` builds one argument
per input and resolves every param to its default unless overridden;
``ServiceSQLClient.invoke_function_method`` writes the call). That function is itself a
service function on the service's ``inference`` endpoint, so each batch reaches the service
as ``[row, input..., param...]``; a function the recipe creates on the same endpoint and path
sends the very same rows when it takes the same arguments.

The recipes pass what snowflake-ml passes: each input (the row's text, the chat message built
from it, the sampling settings of the recipe for an all-columns chat signature) and each param
at the SQL default of the model's manifest, except the chat params the recipe sets
(``temperature``, ``max_completion_tokens``). The lists themselves are in
``snowml_signatures.json``, written by ``devtools/pushdown_signatures.py`` from the fixtures
``make snowml-signatures`` exports from snowflake-ml-python 2.6.0 and 1.5.4
(``tests/fixtures/snowml_signatures``); a test fails when the two differ.

Each ``Argument.value`` is SQL with ``{P}`` for the row's text (or prompt), ``{temperature}``
and ``{max_tokens}`` for the recipe's settings.
"""

import json
import os
from dataclasses import dataclass
from typing import Optional, Tuple

DEFAULT = "DEFAULT"  # 'methodSignature': the model type's first signature
TEXT = "{P}"
_TEXT_INPUTS = ("sentence", "inputs", "documents")
_MESSAGES = {
    "parts": ("ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('role', 'user', 'content', "
              "ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('type', 'text', 'text', {P}))))"),
    "string": "ARRAY_CONSTRUCT(OBJECT_CONSTRUCT('role', 'user', 'content', {P}))",
}
# What a one-answer, non-streamed call sends as the sampling inputs of an all-columns chat
# signature (they are inputs there, with no default); the recipe sets the first two.
_CHAT_VALUES = {"temperature": "{temperature}", "max_completion_tokens": "{max_tokens}", "stop": "ARRAY_CONSTRUCT()",
                "n": "1", "stream": "FALSE", "top_p": "1.0", "frequency_penalty": "0.0", "presence_penalty": "0.0",
                "response_format": "NULL"}
_SET_CHAT_PARAMS = ("temperature", "max_completion_tokens")


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
    method: str  # the target method as logged ('' when the user gives the path)
    arguments: Tuple[Argument, ...]
    output: Optional[str] = None  # the output column the answer is read from
    native_single_output: bool = False  # with the account's single-output native types, the value comes unpacked


def _load():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "snowml_signatures.json")) as f:
        return json.load(f)["signatures"]


def _signature(key, entry):
    chat = any(name == "messages" for name, _ in entry["inputs"])
    arguments = []
    for name, sql_type in entry["inputs"]:
        if name in _TEXT_INPUTS:
            value = TEXT
        elif name == "messages":
            value = _MESSAGES[entry["content"]]
        else:
            value = _CHAT_VALUES[name] if chat else None
        if value is None:
            raise ValueError("signature %s: no value for input %r" % (key, name))
        arguments.append(Argument(name, sql_type, value))
    for name, sql_type, default in entry["params"]:
        value = _CHAT_VALUES[name] if chat and name in _SET_CHAT_PARAMS else default
        arguments.append(Argument(name, sql_type, value, param=True))
    source = "snowflake-ml-python %s, %s" % (entry["snowml"], entry["fixture"])
    return Signature(key, entry["label"], source, entry["method"], tuple(arguments), entry["outputs"][0],
                     entry["native_single_output"])


BY_KEY = {key: _signature(key, entry) for key, entry in _load().items()}
# Models that no snowflake-ml handler describes: the Java plugin's sample models (a custom
# predict taking one text column) and containers of your own speaking the row format.
BY_KEY["CUSTOM_PREDICT"] = Signature("CUSTOM_PREDICT", "custom model, predict: one text column (inputs)",
                                     "the Java plugin's sample models (custom_model.CustomModel)", "predict",
                                     (Argument("inputs", "STRING", TEXT),), "outputs")
BY_KEY["ROW_FORMAT"] = Signature("ROW_FORMAT", "one text column", "a container of your own speaking the row format",
                                 "", (Argument("INPUT", "STRING", TEXT),))

SENTENCE_TRANSFORMERS = tuple(BY_KEY[k] for k in ("ST_ENCODE", "ST_ENCODE_NO_TRUNCATE_DIM", "ST_ENCODE_1X"))
OPENAI_CHAT = tuple(BY_KEY[k] for k in (
    "OPENAI_CHAT_SIGNATURE", "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING", "OPENAI_CHAT_WITH_PARAMS_SIGNATURE",
    "OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING", "OPENAI_CHAT_SIGNATURE_NINE_COLUMNS"))
TEXT2TEXT = (BY_KEY["TEXT2TEXT_2X"], BY_KEY["TEXT2TEXT_1X"])
SUMMARIZATION = (BY_KEY["SUMMARIZATION_2X"], BY_KEY["SUMMARIZATION_1X"])
TRANSLATION = (BY_KEY["TRANSLATION_2X"], BY_KEY["TRANSLATION_1X"])
TEXT_GENERATION = (BY_KEY["CUSTOM_PREDICT"], BY_KEY["TEXT_GENERATION_2X"], BY_KEY["TEXT_GENERATION_1X"])
CUSTOM_PREDICT = BY_KEY["CUSTOM_PREDICT"]
ROW_FORMAT = BY_KEY["ROW_FORMAT"]
