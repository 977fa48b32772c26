"""Validated connection settings, built once in ``set_config``.

Parameter names are those of ``llm.json``; the ones inherited from the Java plugin
(``oauth``, ``modelHandlingMode``, ``llmEndpointUrl``, ``snowflakeAccountUrl``,
``maxParallelism``, ``spcsCreditsPerHourCost``, ``snowflakeCreditCost``) keep their meaning,
and every new one has a default equal to its ``llm.json`` default, so a connection saved
by the old plugin (which has none of them) behaves as documented.
"""

import os
from dataclasses import dataclass, field
from typing import Optional

from .auth.keypair_jwt import load_private_key
from .auth.credentials import KeyPairCredential, OAuthCredential, PatCredential
from .errors import ConfigError
from .wire.http_body import is_header_safe
from .modes import MODE_NAMES as MODES
from .protocols.chat_template import ChatTemplate
from .protocols.custom import parse_custom_settings
from .snowflake.identifiers import check_identifier
from .wire.urls import host_of, normalize_base_url

AUTH_MODES = ("OAUTH", "KEYPAIR_JWT", "PAT")

MAX_PARALLELISM_LIMIT = 256


@dataclass(frozen=True)
class TransportSettings:
    """Timeouts, retry budget and TLS options of the HTTP transport."""

    max_parallelism: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    retry_budget: float = 120.0
    max_retries: int = 6
    verify_tls: bool = True
    ca_bundle: Optional[str] = None
    max_response_bytes: int = 256 * 1024 * 1024  # decoded size of one answer (maxResponseMegabytes)

    @property
    def verify(self):
        """The value for ``requests``' ``verify``: a CA bundle path, or True/False."""
        if not self.verify_tls:
            return False
        return self.ca_bundle or True


@dataclass(frozen=True)
class CostSettings:
    """Rates used to attribute dollars to each call (see ``costs``)."""

    credits_per_hour: float = 0.0
    dollars_per_credit: float = 0.0
    input_dollars_per_million: float = 0.0
    output_dollars_per_million: float = 0.0


@dataclass(frozen=True)
class AutoResumeSettings:
    """Opt-in resume of a suspended service (spends credits)."""

    service_name: Optional[str] = None  # discovered from the ingress host when empty
    timeout: float = 600.0
    poll: float = 2.0


@dataclass(frozen=True)
class ModelSettings:
    """Everything one model of the Custom LLM connection needs, validated."""

    endpoint_url: str
    mode: str
    auth_mode: str
    credential: object = field(repr=False)
    account_url: Optional[str] = None
    model_name: Optional[str] = None
    registry_method: Optional[str] = None
    embedding_batch_size: int = 64
    embedding_max_request_bytes: int = 4_000_000
    coalesce_embeddings: bool = True
    # Longest a one-text call waits for others to share its request; None: automatic (hold_policy)
    coalesce_wait_seconds: Optional[float] = None
    max_concurrent_requests: int = 8  # embedding requests in flight at once
    transport: TransportSettings = TransportSettings()
    costs: CostSettings = CostSettings()
    candidate_labels: tuple = ()
    chat_template: Optional[object] = field(default=None, compare=False)  # a ChatTemplate
    custom: Optional[object] = None  # CustomSettings, for mode CUSTOM
    auto_resume: Optional[AutoResumeSettings] = None  # None: off

    @property
    def ingress_host(self):
        """host[:port] of the ingress, the scope of key-pair tokens."""
        return host_of(self.endpoint_url)


def parse_settings(config, plugin_config=None):
    """Build ``ModelSettings`` from the DSS ``config`` dict; raise ``ConfigError`` naming the field."""
    config = dict(config or {})
    auth_mode = _choice(config, "authMode", AUTH_MODES, "OAUTH")
    mode = _choice(config, "modelHandlingMode", MODES, "OPENAI_COMPATIBLE")
    endpoint_url = normalize_base_url(config.get("llmEndpointUrl"), "llmEndpointUrl")

    account_url = None
    if _text(config.get("snowflakeAccountUrl")):
        account_url = normalize_base_url(config.get("snowflakeAccountUrl"), "snowflakeAccountUrl")
    elif auth_mode in ("OAUTH", "KEYPAIR_JWT"):
        raise ConfigError(
            "snowflakeAccountUrl",
            "is required with authentication mode %s: enter your account URL, "
            "e.g. https://myorg-myaccount.snowflakecomputing.com" % auth_mode,
        )

    credential = _credential(config, auth_mode)
    transport = TransportSettings(
        max_parallelism=_int(config, "maxParallelism", 8, 1, MAX_PARALLELISM_LIMIT),
        connect_timeout=_float(config, "connectTimeoutSeconds", 10.0, 0.1, 600),
        read_timeout=_float(config, "readTimeoutSeconds", 300.0, 0.1, 3600),
        retry_budget=_float(config, "retryBudgetSeconds", 120.0, 0, 3600),
        max_retries=_int(config, "maxRetries", 6, 0, 100),
        verify_tls=_bool(config, "verifyTls", True),
        ca_bundle=_ca_bundle(config),
        max_response_bytes=int(_float(config, "maxResponseMegabytes", 256.0, 0.001, 16384) * 1024 * 1024),
    )
    costs = CostSettings(
        credits_per_hour=_float(config, "spcsCreditsPerHourCost", 0.0, 0, None),
        dollars_per_credit=_float(config, "snowflakeCreditCost", 0.0, 0, None),
        input_dollars_per_million=_float(config, "inputTokenCostPerMillion", 0.0, 0, None),
        output_dollars_per_million=_float(config, "outputTokenCostPerMillion", 0.0, 0, None),
    )
    model_name = _text(config.get("modelName"))
    chat_template = None
    if mode == "TEXT_GENERATION_CUSTOM_TEMPLATE":
        chat_template = ChatTemplate(config.get("chatTemplate") or "", _text(config.get("chatTemplateBosToken")),
                                     _text(config.get("chatTemplateEosToken")))
    custom = None
    if mode == "CUSTOM":
        custom = parse_custom_settings(config)
    auto_resume = None
    if _bool(config, "autoResume", False):
        if not account_url:
            raise ConfigError("snowflakeAccountUrl", "is required when 'autoResume' is on: the service is resumed "
                                                     "through a Snowflake session.")
        service_name = _text(config.get("serviceName"))
        if service_name:
            service_name = check_identifier(service_name)
        auto_resume = AutoResumeSettings(service_name, _float(config, "autoResumeTimeoutSeconds", 600.0, 1, 3600),
                                         _float(config, "autoResumePollSeconds", 2.0, 0.05, 60))
    labels = tuple(x.strip() for x in (_text(config.get("candidateLabels")) or "").split(",") if x.strip())
    return ModelSettings(
        endpoint_url=endpoint_url,
        mode=mode,
        auth_mode=auth_mode,
        credential=credential,
        account_url=account_url,
        model_name=model_name,
        registry_method=_text(config.get("registryMethod")),
        embedding_batch_size=_int(config, "embeddingBatchSize", 64, 1, 4096),
        embedding_max_request_bytes=_int(config, "embeddingMaxRequestBytes", 4_000_000, 1024, 1_000_000_000),
        coalesce_embeddings=_bool(config, "coalesceEmbeddings", True),
        coalesce_wait_seconds=_coalesce_wait(config),
        max_concurrent_requests=_int(config, "maxConcurrentRequests", 0, 0, MAX_PARALLELISM_LIMIT)
        or transport.max_parallelism,
        transport=transport,
        costs=costs,
        candidate_labels=labels,
        chat_template=chat_template,
        custom=custom,
        auto_resume=auto_resume,
    )


def parse_connection(config):
    """(auth mode, account URL, credential) from the auth fields alone: for the admin tools."""
    config = dict(config or {})
    auth_mode = _choice(config, "authMode", AUTH_MODES, "OAUTH")
    if not _text(config.get("snowflakeAccountUrl")):
        raise ConfigError("snowflakeAccountUrl", "is required: enter your account URL, e.g. "
                                                 "https://myorg-myaccount.snowflakecomputing.com")
    account_url = normalize_base_url(config.get("snowflakeAccountUrl"), "snowflakeAccountUrl")
    return auth_mode, account_url, _credential(config, auth_mode)


def _credential(config, auth_mode):
    if auth_mode == "OAUTH":
        preset = _preset(config, "oauth")
        # The token may legitimately be absent when DSS validates the connection without
        # a user; calls then fail with a message telling the user to connect it.
        return OAuthCredential(access_token=_header_safe(_text(preset.get("snowflake_oauth")), "oauth.snowflake_oauth"))
    if auth_mode == "PAT":
        preset = _preset(config, "pat")
        token = _text(preset.get("token"))
        if not token:
            raise ConfigError("pat.token", "is empty: paste the programmatic access token of the Snowflake user.")
        _header_safe(token, "pat.token")
        return PatCredential(token=token, role=_text(preset.get("role")))
    preset = _preset(config, "keypair")
    account = _text(preset.get("account"))
    user = _text(preset.get("user"))
    pem = _text(preset.get("privateKey"))
    if not account:
        raise ConfigError("keypair.account", "is empty: enter the account identifier, e.g. MYORG-MYACCOUNT.")
    if not user:
        raise ConfigError("keypair.user", "is empty: enter the Snowflake service user name.")
    if not pem:
        raise ConfigError("keypair.privateKey", "is empty: paste the PEM private key of the service user.")
    passphrase = _text(preset.get("privateKeyPassphrase"))
    # Parse now so that a bad key fails in set_config, not in the first request.
    load_private_key(pem, passphrase)
    return KeyPairCredential(account=account, user=user, private_key_pem=pem, passphrase=passphrase,
                             role=_text(preset.get("role")))


def _header_safe(token, name):
    """``token`` if it can be sent in an HTTP header; else a ``ConfigError`` that names the field, not the value."""
    if token is not None and not is_header_safe(token):
        raise ConfigError(name, "holds a character a token cannot have (a line break, space, quote, backslash or "
                                "non-ASCII character), so it cannot be sent in an HTTP header. Paste the token "
                                "again, alone.")
    return token


def _preset(config, name):
    value = config.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(name, "must be a preset of credentials (got %s)." % type(value).__name__)
    return value


def _text(value):
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _choice(config, name, allowed, default):
    value = _text(config.get(name)) or default
    if value not in allowed:
        raise ConfigError(name, "'%s' is not one of %s." % (value, ", ".join(allowed)))
    return value


def _number(config, name, default, cast, low, high, kind):
    raw = config.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool):
        raise ConfigError(name, "must be %s, got a boolean." % kind)
    try:
        value = cast(raw)
        if cast is int and float(raw) != value:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(name, "must be %s, got %r." % (kind, raw)) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(name, "must be a finite number.")
    if low is not None and value < low:
        raise ConfigError(name, "must be at least %s, got %s." % (low, value))
    if high is not None and value > high:
        raise ConfigError(name, "must be at most %s, got %s." % (high, value))
    return value


def _int(config, name, default, low, high):
    return _number(config, name, default, int, low, high, "a whole number")


def _float(config, name, default, low, high):
    return _number(config, name, default, float, low, high, "a number")


def _coalesce_wait(config):
    """``coalesceWaitMs`` in seconds, or None for "auto" (empty): decided from the service's latencies."""
    raw = config.get("coalesceWaitMs")
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "auto")):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise ConfigError("coalesceWaitMs", "must be 'auto' (or empty) or a number of milliseconds from 0 to "
                                                "1000, got %r." % raw) from None
    return _float({"coalesceWaitMs": raw}, "coalesceWaitMs", None, 0, 1000) / 1000.0


def _bool(config, name, default):
    raw = config.get(name)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if str(raw).strip().lower() in ("true", "1", "yes"):
        return True
    if str(raw).strip().lower() in ("false", "0", "no"):
        return False
    raise ConfigError(name, "must be true or false, got %r." % raw)


def _ca_bundle(config):
    path = _text(config.get("caBundlePath"))
    if path and not os.path.isfile(path):
        raise ConfigError("caBundlePath", "file '%s' does not exist on the DSS host." % path)
    return path
