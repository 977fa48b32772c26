"""The doctor's steps, as data: each returns a ``Check`` (step, ok, detail, fix).

``run_checks`` runs them in order on a DSS-shaped config and stops at the first step that
fails: settings (and, when asked, the cost settings), token exchange, ingress and protocol
detection, then a test call per capability (with the streaming check for chat and the
serving check for embeddings). The same steps serve the command line (``cli``, which
prints them and names its own flags) and the *Test this model* macro (``admin.model_test``,
which shows them as a DSS table and names the DSS fields): ``out`` receives each check as
it completes, ``name`` says how a setting is called where the checks are shown. Nothing
here writes to a terminal.
"""

import logging
import re
import time
from dataclasses import replace

from ...auth import provider_for, providers
from ...capabilities import client_for
from ...errors import (AuthError, ConfigError, RequestRejectedError, ServiceSuspendedError, SPCSLLMError,
                       TransientServiceError)
from ...protocols import for_settings
from ...protocols.dss_messages import parse_messages
from ...settings import parse_settings
from ...transport import Transport
from .report import Check, Silent
from .serving import serving_check

logger = logging.getLogger(__name__)

# (mode, capability) candidates probed to find what the endpoint speaks, most specific first.
PROBES = [
    ("OPENAI_COMPATIBLE", "chat"),
    ("OPENAI_COMPATIBLE", "embedding"),
    ("REGISTRY_OPENAI_CHAT", "chat"),
    ("REGISTRY_SENTENCE_TRANSFORMERS", "embedding"),
    ("TEXT_GENERATION_OTHER", "chat"),
    ("TEXT_GENERATION_OTHER", "embedding"),
    ("OPENAI_COMPATIBLE", "reranking"),
    ("TEXT_EMBEDDINGS_INFERENCE", "reranking"),
    ("REGISTRY_CROSS_ENCODER", "reranking"),
]
TEST_RANKING = {"queryParts": [{"type": "TEXT", "text": "chest pain"}],
                "documents": [{"parts": [{"type": "TEXT", "text": t}]} for t in
                              ("crushing chest pain, troponin elevated", "itchy rash on the elbows")]}
SECRET_FIELDS = {"snowflake_oauth", "token", "privateKey", "privateKeyPassphrase"}
TEST_PROMPT = {"messages": [{"role": "user", "content": "Reply with one word."}]}
TEST_SETTINGS = {"maxOutputTokens": 16, "temperature": 0}


def dss_field(field):
    """How the checks name a setting by default: its DSS field name, as ``set_config``'s errors do."""
    return "'%s'" % field


def run_checks(config, capability="auto", out=None, name=dss_field, check_costs=False):
    """Run every step for a DSS-shaped ``config``; return (checks, suggested settings or None).

    ``name(field)`` names a setting in details and fixes (the CLI passes its flags);
    ``check_costs`` adds the cost-settings step (the macro's; the CLI has no cost flags).
    """
    out = out or Silent()
    checks = []

    def add(check):
        if name is not dss_field:  # errors from below quote DSS field names: name them as the caller does
            check.detail, check.fix = _renamed(check.detail, name), _renamed(check.fix, name)
        checks.append(check)
        out.check(check)
        return check.ok

    try:
        settings = parse_settings(config)
    except ConfigError as exc:
        add(Check("settings", False, describe_config_error(exc, name),
                  "Correct the field named above." if name is dss_field else "Give or correct %s." % name(exc.field),
                  error=type(exc).__name__))
        return checks, None
    add(Check("settings", True, "mode %s, auth %s, endpoint %s" % (settings.mode, settings.auth_mode,
                                                                  settings.endpoint_url)))
    if check_costs:
        add(costs_check(settings, name))
    # Probes must answer fast: one attempt, a short budget.
    quick = replace(settings, transport=replace(settings.transport, max_retries=0, retry_budget=0,
                                                read_timeout=min(settings.transport.read_timeout, 30)))
    providers.clear()
    transport = Transport(quick)
    provider = provider_for(quick, transport.session)
    started = time.monotonic()
    try:
        provider.get_token()
    except SPCSLLMError as exc:
        add(Check("token exchange", False, str(exc), _auth_fix(settings, name), error=type(exc).__name__))
        return checks, None
    add(Check("token exchange", True, _exchange_detail(settings, time.monotonic() - started)))

    found, failure = _detect(quick, transport, capability)
    if failure is not None:
        step, exc = failure
        add(Check(step, False, _probe_message(exc), _fix_for(exc, settings, name), error=type(exc).__name__))
        return checks, None
    if not found:
        add(Check("protocol", False, "The endpoint answered, but not in any protocol this plugin speaks.",
                  "Check that the URL is the service's public endpoint and that the model method is exposed "
                  "(set %s if it is not predict, encode or __call__)." % name("registryMethod")))
        return checks, None
    add(Check("ingress", True, "reachable, and the token is accepted"))
    modes = sorted({m for m, _ in found})
    configured = [c for m, c in found if m == settings.mode or (m == "TEXT_GENERATION_OTHER" and
                                                                 settings.mode.startswith("TEXT_GENERATION"))]
    if not configured:
        add(Check("protocol", False, "The endpoint speaks %s, not %s." % (" / ".join(
            "%s (%s)" % (m, c) for m, c in found), settings.mode),
            "Set %s to %s." % (name("modelHandlingMode"), modes[0])))
        return checks, None
    add(Check("protocol", True, "speaks %s (%s)" % (settings.mode, ", ".join(configured))))

    suggested, models = {}, []
    try:
        suggested = _test_capabilities(settings, configured if capability == "auto" else [capability], add, models,
                                       name)
    finally:
        for model in models:  # their pooled connections and threads
            model.close()
    return checks, dict(dss_settings(config, settings), **suggested)


def _test_capabilities(settings, capabilities, add, models, name=dss_field):
    """A test call per capability (and the streaming and serving checks); the settings to suggest."""
    suggested = {}
    for cap in capabilities:
        model = client_for(cap, settings)
        models.append(model)
        started = time.monotonic()
        try:
            if cap == "chat":
                answer = model.complete(TEST_PROMPT, TEST_SETTINGS)
                detail = "answered %r" % answer["text"][:60]
            elif cap == "reranking":
                answer = model.rerank(TEST_RANKING)
                best = answer["documents"][0]
                detail = "ranked %d documents, best %d (score %.3f), %d tokens%s" % (
                    len(answer["documents"]), best["index"], best["relevanceScore"],
                    answer["totalUsage"]["promptTokens"], " (estimated)" if answer["tokenCountsAreEstimated"] else "")
            else:
                answer = model.embed({"text": "doctor check"})
                detail = "vector of %d dimensions" % len(answer["embedding"])
        except SPCSLLMError as exc:
            add(Check("test %s" % cap, False, str(exc), _fix_for(exc, settings, name), error=type(exc).__name__))
            continue
        add(Check("test %s" % cap, True, "%s in %.0f ms" % (detail, (time.monotonic() - started) * 1000)))
        if cap == "chat":
            add(_streaming_check(model, answer["text"], settings, name))
        if cap == "embedding" and settings.transport.max_parallelism >= 2:
            try:
                check, suggested = serving_check(settings, model.transport)
            except SPCSLLMError as exc:
                check = Check("serving", False, str(exc), _fix_for(exc, settings, name), error=type(exc).__name__)
            add(check)
    return suggested


def _streaming_check(model, plain_text, settings, name=dss_field):
    """Stream the test prompt: first-chunk latency, one footer at the end, chunks adding up to the answer."""
    started = time.monotonic()
    first, texts, footers, kinds = None, [], [], []
    try:
        for item in model.stream(TEST_PROMPT, TEST_SETTINGS):
            if first is None:
                first = time.monotonic() - started
            kinds.append("footer" if "footer" in item else "chunk")
            if "footer" in item:
                footers.append(item["footer"])
            elif "text" in item["chunk"]:
                texts.append(item["chunk"]["text"])
    except SPCSLLMError as exc:
        return Check("streaming", False, str(exc), _fix_for(exc, settings, name), error=type(exc).__name__)
    except Exception as exc:  # a check that fails, not a traceback: the doctor goes on
        return Check("streaming", False, "%s: %s" % (type(exc).__name__, exc),
                     "Report this: the stream is not in the shape mode %s expects." % settings.mode)
    if footers != footers[-1:] or kinds[-1:] != ["footer"]:
        return Check("streaming", False, "the stream did not end with exactly one footer (%s)." % ", ".join(kinds),
                     "Report this: the service's stream is not in the shape mode %s expects." % settings.mode)
    text = "".join(texts)
    how = ("streamed in %d chunks" % len(texts) if model.protocol.supports_streaming
           else "mode %s does not stream: the answer arrives as one chunk" % settings.mode)
    same = "the same text as the answer above" if text == plain_text else (
        "a different text from the answer above (a sampling model may vary between calls)")
    return Check("streaming", True, "first chunk after %.0f ms, %s, footer with %s tokens; chunks add up to %s"
                 % (first * 1000, how, footers[0].get("totalTokens"), same))


def _detect(settings, transport, capability):
    """[(mode, capability)] the endpoint answers correctly, or a (step, error) that stops the probe."""
    found = []
    for mode, cap in PROBES:
        if capability != "auto" and cap != capability:
            continue
        protocol = for_settings(replace(settings, mode=mode))
        probe = {"messages": [{"role": "user", "content": "ping"}]}
        try:
            if cap == "chat":
                messages = parse_messages(probe)
                path, body = protocol.chat_request(messages, {"maxOutputTokens": 1})
                protocol.parse_chat(transport.post_json(path, body), body)
            elif cap == "reranking":
                path, body = protocol.rerank_request("ping", ["ping", "pong"])
                protocol.parse_rerank(transport.post_json(path, body), 2)
            else:
                path, body = protocol.embed_request(["ping"])
                protocol.parse_embeddings(transport.post_json(path, body), 1)
        except RequestRejectedError:
            continue  # 404 / 400: not this protocol
        except SPCSLLMError as exc:
            if isinstance(exc, (AuthError, ServiceSuspendedError)) or (
                    isinstance(exc, TransientServiceError) and exc.status is None and "connect" in str(exc).lower()):
                return found, ("ingress", exc)
            continue  # answered, but not in this shape
        found.append((mode, cap))
    return found, None


def _exchange_detail(settings, seconds):
    what = {"OAUTH": "OAuth access token exchanged for a session token",
            "KEYPAIR_JWT": "key-pair JWT exchanged for an ingress token",
            "PAT": "programmatic access token used as is"}[settings.auth_mode]
    return "%s (%.0f ms)" % (what, seconds * 1000)


def _auth_fix(settings, name=dss_field):
    if settings.auth_mode == "OAUTH":
        return ("Check %s (https://<account>.snowflakecomputing.com) and get a fresh OAuth access token."
                % name("snowflakeAccountUrl"))
    if settings.auth_mode == "KEYPAIR_JWT":
        return ("Check %s, the account and user names, and that DESC USER shows the fingerprint of this key in "
                "RSA_PUBLIC_KEY_FP." % name("snowflakeAccountUrl"))
    return "Check the programmatic access token."


def _fix_for(exc, settings, name=dss_field):
    if isinstance(exc, ServiceSuspendedError):
        return "Run ALTER SERVICE <name> RESUME and wait for SYSTEM$GET_SERVICE_STATUS to report READY."
    if isinstance(exc, AuthError):
        return _auth_fix(settings, name) + " The role needs USAGE on the service endpoint."
    if isinstance(exc, TransientServiceError):
        return "Check %s and that this machine can reach it (proxy, firewall, network policy)." % name(
            "llmEndpointUrl")
    return "See the message above."


def _probe_message(exc):
    """A probe's error without the retry settings the doctor chose for its own probes (one attempt, no budget).

    Those are not the admin's settings, so printing them ("'maxRetries'=0") only misleads.
    """
    return getattr(exc, "before_retries", None) or str(exc)


_QUOTED_FIELD = re.compile(r"'([A-Za-z][A-Za-z_]*(?:\.[A-Za-z_]+)?)'")


def _renamed(text, name):
    """``text`` with each quoted DSS field name ('snowflakeAccountUrl') replaced by ``name(field)``."""
    return _QUOTED_FIELD.sub(lambda m: name(m.group(1)), text or "")


def describe_config_error(exc, name=dss_field):
    """A ``ConfigError``'s message naming the setting as ``name`` does (a flag for the CLI)."""
    if name is dss_field:
        return str(exc)
    prefix = "Invalid setting '%s': " % exc.field
    text = str(exc)
    return "%s %s" % (name(exc.field), text[len(prefix):] if text.startswith(prefix) else text)


def costs_check(settings, name=dss_field):
    """Whether the model's answers will carry an ``estimatedCost``: both rates are needed for compute."""
    c = settings.costs
    rates = (name("spcsCreditsPerHourCost"), name("snowflakeCreditCost"))
    tokens = c.input_dollars_per_million > 0 or c.output_dollars_per_million > 0
    if c.credits_per_hour > 0 and c.dollars_per_credit > 0:
        return Check("costs", True, "each call is charged its share of the pool's busy time: %g credits/h x $%g per "
                     "credit = $%.2f per busy hour%s" % (c.credits_per_hour, c.dollars_per_credit,
                                                         c.credits_per_hour * c.dollars_per_credit,
                                                         ", plus the per-token prices" if tokens else ""))
    missing = [r for r, v in zip(rates, (c.credits_per_hour, c.dollars_per_credit)) if not v > 0]
    what = "only the per-token prices are counted" if tokens else "every estimatedCost stays 0"
    return Check("costs", True, "%s %s not set: %s, and DSS Cost Control sees no compute cost for this model." % (
        " and ".join(missing), "is" if len(missing) == 1 else "are", what),
        "Fill %s (the compute pool's credits per node-hour, from Snowflake's Service Consumption Table) and %s "
        "(your contract's dollars per credit)." % rates, warn=True)


def dss_settings(config, settings):
    """The connection fields to enter in DSS, with secrets replaced by a placeholder."""
    fields = {"llmEndpointUrl": settings.endpoint_url, "modelHandlingMode": settings.mode,
              "authMode": settings.auth_mode}
    if settings.account_url:
        fields["snowflakeAccountUrl"] = settings.account_url
    for key in ("modelName", "registryMethod"):
        if config.get(key):
            fields[key] = config[key]
    preset = {"OAUTH": "oauth", "KEYPAIR_JWT": "keypair", "PAT": "pat"}[settings.auth_mode]
    fields[preset] = {k: ("<secret: enter it in the preset>" if k in SECRET_FIELDS else v)
                      for k, v in (config.get(preset) or {}).items() if v is not None}
    return fields

