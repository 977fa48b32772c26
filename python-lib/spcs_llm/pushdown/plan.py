"""Validated settings of a push-down recipe, built once before any SQL is written.

Every name that will reach SQL is checked and quoted here; every refusal is a
``ConfigError`` naming the recipe field. Nothing here touches the network: finding the
service behind an ingress URL is done by the caller (``runner.find_services``), which
hands the list of services in; ``target`` picks the service, endpoint and function name.
"""

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from ..errors import ConfigError
from ..settings import _bool, _choice, _float, _int, _text  # the connection's own parsers: same rules, same messages
from ..snowflake.identifiers import check_bare_name, check_identifier, quote_identifier, quote_qualified
from ..wire.urls import method_path
from . import kinds as kinds_table
from . import signatures as signatures_table
from . import target
from .kinds import EMBEDDING, NOT_CALLABLE_FROM_SQL

CALL_MODES = ("CREATE_FUNCTION", "EXISTING_FUNCTION", "REGISTRY_METHOD")
ON_BATCH_FAILURE = ("ABORT", "RETURN_NULL")  # CREATE FUNCTION (Snowpark Container Services)
DEFAULT_BATCH_RETRIES = 3  # Snowflake's default since behaviour change bundle 2025_02 (BCR-1938)
MAX_BATCH_RETRIES = 100
RESERVED_PREFIX = "__SPCS_"
MAX_VECTOR_DIMENSIONS = 4096  # Snowflake's VECTOR limit
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_PATH = re.compile(r"^/[A-Za-z0-9_\-./]*$")


@dataclass(frozen=True)
class Table:
    """A Snowflake table: its quoted qualified name and its column names (as DSS shows them)."""

    name: str
    columns: Tuple[str, ...]

    @property
    def qualifier(self):
        """The quoted DB.SCHEMA (or SCHEMA) part of the name, '' if the name has none."""
        return self.name.rpartition(".")[0]


@dataclass(frozen=True)
class ServiceCall:
    """How each row reaches the service: a registry method, an existing or a created service function."""

    how: str  # one of CALL_MODES
    function: str  # quoted function name, or SVC!METHOD for REGISTRY_METHOD
    arguments: Tuple[signatures_table.Argument, ...] = ()  # one per signature input, then the params set
    service: Optional[str] = None  # quoted service name (CREATE_FUNCTION)
    endpoint: Optional[str] = None  # endpoint name, quoted if it needs to be (CREATE_FUNCTION)
    path: Optional[str] = None  # the endpoint path, e.g. /encode (CREATE_FUNCTION)
    max_batch_rows: Optional[int] = None  # None: Snowflake chooses
    max_batch_retries: int = DEFAULT_BATCH_RETRIES
    on_batch_failure: str = "ABORT"


@dataclass(frozen=True)
class Plan:
    """One push-down run: read ``source``, call the service once per row, write ``output``."""

    capability: str  # kinds.EMBEDDING or kinds.PROMPT
    kind: kinds_table.Kind
    signature: signatures_table.Signature
    source: Table
    output: Table
    call: ServiceCall
    kept: Tuple[str, ...]  # quoted kept columns, in input order
    output_column: str  # quoted
    text: Optional[str] = None  # quoted text column (embedding)
    template: Tuple[Tuple[bool, str], ...] = ()  # (is_column, text) pieces (prompt)
    dimensions: Optional[int] = None  # the vector's length, checked by a cast to VECTOR(FLOAT, n) (embedding)
    vector_column: bool = False  # write VECTOR(FLOAT, n) (outside DSS); else ARRAY, which a DSS dataset holds
    vector_view: Optional[str] = None  # quoted view giving the ARRAY column as VECTOR(FLOAT, n) (DSS)
    key: Optional[str] = None  # quoted key column: incremental when set
    temperature: float = 0.0
    max_output_tokens: int = 512
    answer_field: Optional[str] = None  # ROW_FORMAT: the field of the answer object to read


def build_plan(capability, config, source, output, services=None, vector_column=False):
    """A ``Plan`` from the recipe ``config`` (DSS field names) or ``ConfigError`` naming the field.

    ``source`` and ``output`` are ``Table``s; ``services`` the ``snowflake.services.ServiceInfo``
    list, needed only when the service is given by its ingress URL or its endpoint must be
    found. ``vector_column``: write a ``VECTOR(FLOAT, n)`` column when 'vectorDimensions' is
    set, which only a statement run outside DSS can (the command line); a DSS dataset is read
    through the Snowflake JDBC driver, which does not support VECTOR, so the recipes write an
    ARRAY (cast to VECTOR and back, so a wrong length fails the run) and can add a view.
    """
    config = dict(config or {})
    kind = kind_for(capability, config)
    mode = kind.mode
    for column in source.columns:
        if column.upper().startswith(RESERVED_PREFIX):
            raise ConfigError("input dataset", "column %r starts with %s, which the recipe keeps for its own "
                                               "columns: rename it." % (column, RESERVED_PREFIX))
    output_column = _output_column(config, capability)
    kept = _kept(config, source, output_column)
    key = None
    if _bool(config, "incremental", False):
        key_name = _column(config, "keyColumn", source)
        key = quote_identifier(key_name, "keyColumn")
        if key not in kept:
            raise ConfigError("keyColumn", "%r must be one of the kept columns: incremental runs find the rows "
                                           "already done by their key in the output." % key_name)
    signature = signature_for(config, kind)
    plan = dict(capability=capability, kind=kind, signature=signature, source=source, output=output, kept=kept,
                output_column=output_column, key=key, call=_call(config, kind, signature, output, services))
    if capability == EMBEDDING:
        plan["text"] = quote_identifier(_column(config, "textColumn", source), "textColumn")
        plan["dimensions"] = _int(config, "vectorDimensions", 0, 0, MAX_VECTOR_DIMENSIONS) or None
        plan["vector_column"] = bool(vector_column and plan["dimensions"])
        plan["vector_view"] = _vector_view(config, output, plan["dimensions"], plan["vector_column"])
    else:
        pieces = parse_template(config.get("promptTemplate"), source.columns)
        if kind.strips_prompt:  # a raw text-generation model gets its family's prompt format
            prefix, suffix = kinds_table.prompt_frame(mode)
            pieces = tuple(p for p in ((False, prefix),) + pieces + ((False, suffix),) if p[1])
        plan["template"] = pieces
        plan["temperature"] = _float(config, "temperature", 0.0, 0.0, 2.0)
        plan["max_output_tokens"] = _int(config, "maxOutputTokens", 512, 1, 1_000_000)
    if mode == "ROW_FORMAT":
        field = _text(config.get("answerField"))
        plan["answer_field"] = check_bare_name(field, "answerField", "answer field") if field else None
    return Plan(**plan)


def kind_for(capability, config):
    """The ``Kind`` of the recipe's 'modelHandlingMode', refusing services SQL cannot call (before any SQL runs)."""
    mode = _text(config.get("modelHandlingMode")) or kinds_table.modes_for(capability)[0]
    if mode in NOT_CALLABLE_FROM_SQL:
        raise ConfigError("modelHandlingMode", "a %s service speaks only its own HTTP API, which Snowflake cannot "
                                               "call from SQL: a service function sends rows in the row format "
                                               "({\"data\": [[row, ...]]}). Use the LLM Mesh path (the plugin's "
                                               "Custom LLM connection) for it, or log the model in the Snowflake "
                                               "Model Registry and deploy it as a service." % mode)
    kind = kinds_table.KINDS.get((mode, capability))
    if kind is None:
        raise ConfigError("modelHandlingMode", "%r cannot be used by this recipe; choose one of %s." % (
            mode, ", ".join(kinds_table.modes_for(capability))))
    return kind


def parse_template(template, columns):
    """The template as (is_column, text) pieces; a placeholder must name an input column exactly."""
    text = template if isinstance(template, str) else ""
    if not text.strip():
        raise ConfigError("promptTemplate", "is empty: write the prompt, with {{column}} where a column's value "
                                            "goes.")
    pieces, at = [], 0
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in columns:
            raise ConfigError("promptTemplate", "{{%s}} names no column of the input dataset (columns: %s)." % (
                name, ", ".join(columns)))
        if match.start() > at:
            pieces.append((False, text[at:match.start()]))
        pieces.append((True, name))
        at = match.end()
    if at < len(text):
        pieces.append((False, text[at:]))
    if not any(is_column for is_column, _ in pieces):
        raise ConfigError("promptTemplate", "has no {{column}} placeholder: every row would get the same prompt.")
    if "{{" in "".join(t for is_column, t in pieces if not is_column):
        raise ConfigError("promptTemplate", "has an unclosed {{ placeholder.")
    return tuple(pieces)


def _call(config, kind, signature, output, services):
    how = _text(config.get("callMode")) or "CREATE_FUNCTION"
    if how not in CALL_MODES:
        raise ConfigError("callMode", "%r is not one of %s." % (how, ", ".join(CALL_MODES)))
    arguments = signature.arguments
    if how == "EXISTING_FUNCTION":
        return ServiceCall(how, quote_qualified(_required(config, "functionName"), "functionName"), arguments)
    url = _text(config.get("endpointUrl"))
    service_info, at_url = target.find_service(url, _text(config.get("serviceName")), services)
    service = service_info.quoted_name if service_info else quote_qualified(_required(config, "serviceName"),
                                                                            "serviceName")
    method = _text(config.get("registryMethod")) or signature.method
    if how == "REGISTRY_METHOD":
        if not signature.method:
            raise ConfigError("callMode", "REGISTRY_METHOD needs a Model Registry service; a ROW_FORMAT service is "
                                          "called through a service function (CREATE_FUNCTION or "
                                          "EXISTING_FUNCTION).")
        return ServiceCall(how, "%s!%s" % (service, check_bare_name(method, "registryMethod", "method").upper()),
                           arguments, service=service)
    path = _text(config.get("methodPath"))
    if path:
        if not _PATH.match(path):
            raise ConfigError("methodPath", "%r is not a path such as /predict." % path)
    elif method:
        path = method_path(check_bare_name(method, "registryMethod", "method"))
    else:
        raise ConfigError("methodPath", "is empty: enter the path the service answers on, e.g. /predict.")
    endpoint = target.choose_endpoint(_text(config.get("endpointName")), service_info, at_url)
    options = dict(max_batch_rows=_int(config, "maxBatchRows", 0, 0, 10_000) or None,
                   max_batch_retries=_int(config, "maxBatchRetries", DEFAULT_BATCH_RETRIES, 0, MAX_BATCH_RETRIES),
                   on_batch_failure=_choice(config, "onBatchFailure", ON_BATCH_FAILURE, "ABORT"))
    binding = (service, endpoint, path, tuple((a.name, a.sql_type) for a in arguments),
               tuple(sorted(options.items())))
    function = target.created_function_name(_text(config.get("functionName")), output.qualifier, service, path,
                                            binding)
    return ServiceCall(how, function, arguments, service=service, endpoint=endpoint, path=path, **options)


def signature_for(config, kind):
    """The method's SQL argument list: 'methodSignature' when the kind has several, else its only one.

    The field shows only for the kinds with several (DSS still sends its default for the others).
    """
    wanted = _text(config.get("methodSignature"))
    keys = [s.key for s in kind.signatures]
    if not wanted or wanted == signatures_table.DEFAULT or len(keys) == 1:
        return kind.signatures[0]
    if wanted not in keys:
        raise ConfigError("methodSignature", "%r is not a signature of %s models; choose one of %s." % (
            wanted, kind.mode, ", ".join(keys)))
    return signatures_table.BY_KEY[wanted]


def _vector_view(config, output, dimensions, vector_column):
    name = _text(config.get("vectorView"))
    if not name:
        return None
    if not dimensions:
        raise ConfigError("vectorView", "needs 'vectorDimensions' (the model's dimension): the view casts the "
                                        "vector to VECTOR(FLOAT, n).")
    if vector_column:
        return None  # the output column is a VECTOR already
    view = quote_qualified(check_identifier(name, "vectorView"), "vectorView")
    if "." not in name and output.qualifier:
        view = "%s.%s" % (output.qualifier, view)  # beside the output table
    if view == output.name:
        raise ConfigError("vectorView", "is the output table itself: name the view differently.")
    return view


def _output_column(config, capability):
    default = "embedding" if capability == EMBEDDING else "answer"
    name = _text(config.get("outputColumn")) or default
    if name.upper().startswith(RESERVED_PREFIX):
        raise ConfigError("outputColumn", "must not start with %s." % RESERVED_PREFIX)
    return quote_identifier(name, "outputColumn")


def _kept(config, source, output_column):
    if _bool(config, "keepAllColumns", True):
        names = list(source.columns)
    else:
        wanted = config.get("keptColumns") or []
        if isinstance(wanted, str):
            wanted = [w.strip() for w in wanted.split(",") if w.strip()]
        for name in wanted:
            if name not in source.columns:
                raise ConfigError("keptColumns", "%r is not a column of the input dataset." % name)
        names = [c for c in source.columns if c in wanted]
    kept = tuple(quote_identifier(n, "keptColumns") for n in names)
    if output_column in kept:
        raise ConfigError("outputColumn", "%s is already a kept input column: choose another name, or do not keep "
                                          "that column." % output_column)
    return kept


def _column(config, field, source):
    name = _text(config.get(field))
    if not name:
        raise ConfigError(field, "is empty: choose a column of the input dataset.")
    if name not in source.columns:
        raise ConfigError(field, "%r is not a column of the input dataset (columns: %s)." % (
            name, ", ".join(source.columns)))
    return name


def table_from_names(name, columns, field):
    """A ``Table`` from a (possibly quoted) qualified name and its column names."""
    return Table(quote_qualified(check_identifier(name, field), field), tuple(columns))


def _required(config, field):
    value = _text(config.get(field))
    if not value:
        raise ConfigError(field, "is empty.")
    return value
