"""Validated settings of a push-down recipe, built once before any SQL is written.

Every name that will reach SQL is checked and quoted here; every refusal is a
``ConfigError`` naming the recipe field. Nothing here touches the network: finding the
service behind an ingress URL is done by the caller (``runner.find_service``), which
hands the list of services in.
"""

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from ..errors import ConfigError
from ..settings import _bool, _float, _int, _text  # the connection's own parsers: same rules, same messages
from ..snowflake.services import service_for_host
from ..snowflake.identifiers import check_bare_name, check_identifier, quote_identifier, quote_qualified
from ..wire.urls import host_of, method_path, normalize_base_url
from . import kinds as kinds_table
from .kinds import EMBEDDING, NOT_CALLABLE_FROM_SQL

CALL_MODES = ("CREATE_FUNCTION", "EXISTING_FUNCTION", "REGISTRY_METHOD")
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
    service: Optional[str] = None  # quoted service name (CREATE_FUNCTION)
    endpoint: Optional[str] = None  # endpoint name, quoted if it needs to be (CREATE_FUNCTION)
    path: Optional[str] = None  # the endpoint path, e.g. /encode (CREATE_FUNCTION)
    max_batch_rows: Optional[int] = None


@dataclass(frozen=True)
class Plan:
    """One push-down run: read ``source``, call the service once per row, write ``output``."""

    capability: str  # kinds.EMBEDDING or kinds.PROMPT
    kind: kinds_table.Kind
    source: Table
    output: Table
    call: ServiceCall
    kept: Tuple[str, ...]  # quoted kept columns, in input order
    output_column: str  # quoted
    text: Optional[str] = None  # quoted text column (embedding)
    template: Tuple[Tuple[bool, str], ...] = ()  # (is_column, text) pieces (prompt)
    dimensions: Optional[int] = None  # VECTOR(FLOAT, n) when set, else ARRAY (embedding)
    key: Optional[str] = None  # quoted key column: incremental when set
    temperature: float = 0.0
    max_output_tokens: int = 512
    answer_field: Optional[str] = None  # ROW_FORMAT: the field of the answer object to read


def build_plan(capability, config, source, output, services=None):
    """A ``Plan`` from the recipe ``config`` (DSS field names) or ``ConfigError`` naming the field.

    ``source`` and ``output`` are ``Table``s; ``services`` the ``snowflake.services.ServiceInfo``
    list, needed only when the service is given by its ingress URL or its endpoint must be
    found.
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
    plan = dict(capability=capability, kind=kind, source=source, output=output, kept=kept,
                output_column=output_column, key=key, call=_call(config, kind, output, services))
    if capability == EMBEDDING:
        plan["text"] = quote_identifier(_column(config, "textColumn", source), "textColumn")
        plan["dimensions"] = _int(config, "vectorDimensions", 0, 0, MAX_VECTOR_DIMENSIONS) or None
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


def _call(config, kind, output, services):
    how = _text(config.get("callMode")) or "CREATE_FUNCTION"
    if how not in CALL_MODES:
        raise ConfigError("callMode", "%r is not one of %s." % (how, ", ".join(CALL_MODES)))
    if how == "EXISTING_FUNCTION":
        return ServiceCall(how, quote_qualified(_required(config, "functionName"), "functionName"))
    service_info = _service(config, services)
    service_name = service_info.quoted_name if service_info else _required(config, "serviceName")
    service = quote_qualified(service_name, "serviceName")
    method = _text(config.get("registryMethod")) or kind.method
    if how == "REGISTRY_METHOD":
        if kind.method is None:
            raise ConfigError("callMode", "REGISTRY_METHOD needs a Model Registry service; a ROW_FORMAT service is "
                                          "called through a service function (CREATE_FUNCTION or "
                                          "EXISTING_FUNCTION).")
        return ServiceCall(how, "%s!%s" % (service, check_bare_name(method, "registryMethod", "method").upper()))
    path = _text(config.get("methodPath"))
    if path:
        if not _PATH.match(path):
            raise ConfigError("methodPath", "%r is not a path such as /predict." % path)
    elif method:
        path = method_path(check_bare_name(method, "registryMethod", "method"))
    else:
        raise ConfigError("methodPath", "is empty: enter the path the service answers on, e.g. /predict.")
    endpoint = _endpoint(config, service_info)
    function = _text(config.get("functionName"))
    if function:
        function = quote_qualified(function, "functionName")
    else:
        base = re.sub(r"[^A-Z0-9_]", "_", ("SPCS_%s_%s" % (service_name.split(".")[-1].strip('"'),
                                                          path.strip("/") or "ROOT")).upper())
        function = ("%s.%s" % (output.qualifier, quote_identifier(base, "functionName"))).lstrip(".")
    return ServiceCall(how, function, service=service, endpoint=endpoint, path=path,
                       max_batch_rows=_int(config, "maxBatchRows", 0, 0, 10_000) or None)


def _service(config, services):
    """The ServiceInfo named by 'endpointUrl' (or 'serviceName' when its endpoint must be found)."""
    url = _text(config.get("endpointUrl"))
    if url:
        host = host_of(normalize_base_url(url, "endpointUrl"))
        found = service_for_host(services or [], host)
        if found is None:
            raise ConfigError("endpointUrl", "no service visible to this role has a public endpoint at %s: check "
                                             "the URL (SHOW ENDPOINTS IN SERVICE ...) or give 'serviceName'." % host)
        return found
    name = _text(config.get("serviceName"))
    if name and not _text(config.get("endpointName")) and services:
        wanted = quote_qualified(name, "serviceName")
        for s in services:
            if s.quoted_name.endswith(wanted):
                return s
    return None


def _endpoint(config, service_info):
    name = _text(config.get("endpointName"))
    if not name and service_info is not None and service_info.endpoints:
        name = service_info.endpoints[0].name
    if not name:
        raise ConfigError("endpointName", "is empty: enter the service's endpoint name (the 'name' column of SHOW "
                                          "ENDPOINTS IN SERVICE ...), or give 'endpointUrl' to find it.")
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        return name  # as Snowflake's own examples write it: ENDPOINT = echoendpoint
    return quote_identifier(name, "endpointName")


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
