"""``python -m spcs_llm.doctor``: check an SPCS endpoint step by step and say what to fix.

Steps: settings, token exchange, ingress reachability and auth, which protocol the
endpoint speaks, a test completion, embedding or ranking with its latency, for chat models a
streamed answer (first-chunk latency, footer, chunks adding up), and for embeddings
whether the service serves requests in parallel or one at a time (which the automatic
``coalesceWaitMs`` works out from live traffic too); then the exact DSS connection settings to enter. Secrets are read
from files or environment variables (never from the command line, where ``ps`` would show
them) and are never printed.

Without ``--endpoint`` it starts the local stand-in (from a source checkout) and checks it.
"""

import argparse
import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from ..auth import provider_for, providers
from ..capabilities import client_for
from ..errors import (AuthError, ConfigError, RequestRejectedError, ServiceSuspendedError, SPCSLLMError,
                      TransientServiceError)
from ..protocols import for_settings
from ..protocols.dss_messages import parse_messages
from ..settings import parse_settings
from ..transport.exchange import Transport

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
SERVING_PROBE = 4  # one-text requests sent at once to see whether the service queues them
TEST_PROMPT = {"messages": [{"role": "user", "content": "Reply with one word."}]}
TEST_SETTINGS = {"maxOutputTokens": 16, "temperature": 0}
QUICKEST_TO_JUDGE = 0.015  # below this a request's time is mostly the client's own work, not the service's


@dataclass
class Check:
    """The outcome of one step."""

    step: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(config, capability="auto", out=None):
    """Run every step for a DSS-shaped ``config``; return (checks, suggested settings or None)."""
    out = out or _Printer(None)
    checks = []

    def add(check):
        checks.append(check)
        out.check(check)
        return check.ok

    try:
        settings = parse_settings(config)
    except ConfigError as exc:
        add(Check("settings", False, str(exc), "Correct the field named above."))
        return checks, None
    add(Check("settings", True, "mode %s, auth %s, endpoint %s" % (settings.mode, settings.auth_mode,
                                                                  settings.endpoint_url)))
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
        add(Check("token exchange", False, str(exc), _auth_fix(settings)))
        return checks, None
    add(Check("token exchange", True, _exchange_detail(settings, time.monotonic() - started)))

    found, failure = _detect(quick, transport, capability)
    if failure is not None:
        step, exc = failure
        add(Check(step, False, str(exc), _fix_for(exc, settings)))
        return checks, None
    if not found:
        add(Check("protocol", False, "The endpoint answered, but not in any protocol this plugin speaks.",
                  "Check that the URL is the service's public endpoint and that the model method is exposed "
                  "(set 'registryMethod' if it is not predict, encode or __call__)."))
        return checks, None
    add(Check("ingress", True, "reachable, and the token is accepted"))
    modes = sorted({m for m, _ in found})
    configured = [c for m, c in found if m == settings.mode or (m == "TEXT_GENERATION_OTHER" and
                                                                 settings.mode.startswith("TEXT_GENERATION"))]
    if not configured:
        add(Check("protocol", False, "The endpoint speaks %s, not %s." % (" / ".join(
            "%s (%s)" % (m, c) for m, c in found), settings.mode),
            "Set 'modelHandlingMode' to %s." % modes[0]))
        return checks, None
    add(Check("protocol", True, "speaks %s (%s)" % (settings.mode, ", ".join(configured))))

    suggested, models = {}, []
    try:
        suggested = _test_capabilities(settings, configured if capability == "auto" else [capability], add, models)
    finally:
        for model in models:  # their pooled connections and threads
            model.close()
    return checks, dict(dss_settings(config, settings), **suggested)


def _test_capabilities(settings, capabilities, add, models):
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
            add(Check("test %s" % cap, False, str(exc), _fix_for(exc, settings)))
            continue
        add(Check("test %s" % cap, True, "%s in %.0f ms" % (detail, (time.monotonic() - started) * 1000)))
        if cap == "chat":
            add(_streaming_check(model, answer["text"], settings))
        if cap == "embedding" and settings.transport.max_parallelism >= 2:
            try:
                check, suggested = _serving_check(settings, model.transport)
            except SPCSLLMError as exc:
                check = Check("serving", False, str(exc), _fix_for(exc, settings))
            add(check)
    return suggested


def _streaming_check(model, plain_text, settings):
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
        return Check("streaming", False, str(exc), _fix_for(exc, settings))
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


def _serving_check(settings, transport):
    """Whether one-text requests sent at once are served in parallel or queue, and what the model will do.

    Coalescing one-text calls pays off when the service queues requests (one inference
    worker, the Model Registry default on GPU); when it serves them in parallel, waiting
    for company only adds latency. With ``coalesceWaitMs`` automatic the model decides
    this from its own traffic (``hold_policy``); a fixed wait is reported, and automatic
    suggested instead.
    """
    fixed = settings.coalesce_wait_seconds
    suggested = {} if fixed is None else {"coalesceWaitMs": "auto"}

    def advice(automatic_does):
        if fixed is None:
            return "With coalesceWaitMs automatic (as set), %s." % automatic_does
        return ("coalesceWaitMs is fixed at %g ms; automatic (suggested below) would measure this from live traffic "
                "and follow the service if it changes: %s." % (fixed * 1000, automatic_does))

    protocol = for_settings(settings)
    n = min(SERVING_PROBE, settings.transport.max_parallelism)

    def one(i):
        path, body = protocol.embed_request(["doctor serving check %d" % i])
        protocol.parse_embeddings(transport.post_json(path, body), 1)

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(one, range(n)))  # opens the pooled connections and starts the threads, untimed
        alone = min(_timed(one, i) for i in range(2))
        if alone < QUICKEST_TO_JUDGE:
            return Check("serving", True, "one request takes %.0f ms: too quick to tell whether requests queue. %s"
                         % (alone * 1000, advice("the model decides from the latencies it sees under load"))), \
                suggested
        ratio = max(pool.map(lambda i: _timed(one, i), range(n))) / alone
    measured = "of %d one-text requests sent at once, the slowest took %.1fx as long as one alone (%.0f ms)" % (
        n, ratio, alone * 1000)
    if ratio <= 1.6:
        kind, does = "served in parallel", "one-text calls are sent at once, without a wait for company"
    elif ratio >= 0.6 * n:
        kind, does = "served one at a time", "one-text calls wait for company and share requests"
    else:
        kind, does = "a few served at a time", "one-text calls share requests when that is measured to pay"
    return Check("serving", True, "%s: %s. %s" % (measured, kind, advice(does))), suggested


def _timed(fn, *args):
    started = time.monotonic()
    fn(*args)
    return time.monotonic() - started


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


def _auth_fix(settings):
    if settings.auth_mode == "OAUTH":
        return ("Check 'snowflakeAccountUrl' (https://<account>.snowflakecomputing.com) and get a fresh OAuth "
                "access token.")
    if settings.auth_mode == "KEYPAIR_JWT":
        return ("Check 'snowflakeAccountUrl', the account and user names, and that DESC USER shows the "
                "fingerprint of this key in RSA_PUBLIC_KEY_FP.")
    return "Check the programmatic access token."


def _fix_for(exc, settings):
    if isinstance(exc, ServiceSuspendedError):
        return "Run ALTER SERVICE <name> RESUME and wait for SYSTEM$GET_SERVICE_STATUS to report READY."
    if isinstance(exc, AuthError):
        return _auth_fix(settings) + " The role needs USAGE on the service endpoint."
    if isinstance(exc, TransientServiceError):
        return "Check 'llmEndpointUrl' and that this machine can reach it (proxy, firewall, network policy)."
    return "See the message above."


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


class _Printer:
    def __init__(self, stream):
        self.stream = stream

    def check(self, check):
        if self.stream is None:
            return
        self.stream.write("[%s] %-15s %s\n" % (" OK " if check.ok else "FAIL", check.step, check.detail))
        if not check.ok and check.fix:
            self.stream.write("       %-15s Fix: %s\n" % ("", check.fix))
        self.stream.flush()


def _read_secret(path=None, env=None):
    if path:
        with open(path) as f:
            return f.read().strip()
    if env:
        return os.environ.get(env)
    return None


def config_from_args(args):
    """A DSS-shaped config from the command line (secrets read from files or env vars)."""
    config = {"llmEndpointUrl": args.endpoint, "modelHandlingMode": args.mode if args.mode != "auto" else None,
              "authMode": args.auth, "snowflakeAccountUrl": args.account_url, "modelName": args.model_name,
              "registryMethod": args.registry_method, "caBundlePath": args.ca_bundle}
    if args.auth == "PAT":
        config["pat"] = {"token": _read_secret(args.pat_file, "SNOWFLAKE_PAT"), "role": args.role}
    elif args.auth == "OAUTH":
        config["oauth"] = {"snowflake_oauth": _read_secret(args.oauth_token_file, "SNOWFLAKE_OAUTH_TOKEN")}
    else:
        config["keypair"] = {"account": args.account, "user": args.user, "role": args.role,
                             "privateKey": _read_secret(args.private_key_file),
                             "privateKeyPassphrase": _read_secret(None, args.passphrase_env)}
    return {k: v for k, v in config.items() if v is not None}


def parser():
    p = argparse.ArgumentParser(prog="python -m spcs_llm.doctor", description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", help="ingress URL of the service (omit to check the local stand-in)")
    p.add_argument("--account-url", help="https://<account>.snowflakecomputing.com (OAuth and key pair)")
    p.add_argument("--auth", choices=["OAUTH", "KEYPAIR_JWT", "PAT"], default="PAT")
    p.add_argument("--pat-file", help="file holding the PAT (default: $SNOWFLAKE_PAT)")
    p.add_argument("--oauth-token-file", help="file holding an OAuth access token (default: $SNOWFLAKE_OAUTH_TOKEN)")
    p.add_argument("--private-key-file", help="PEM private key of the service user")
    p.add_argument("--passphrase-env", default="SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
                   help="environment variable holding the key's passphrase")
    p.add_argument("--account", help="account identifier for key-pair auth, e.g. MYORG-MYACCOUNT")
    p.add_argument("--user", help="service user for key-pair auth")
    p.add_argument("--role", help="role for the token (optional)")
    p.add_argument("--mode", default="auto", help="modelHandlingMode to check (default: detect it)")
    p.add_argument("--capability", choices=["auto", "chat", "embedding", "reranking"], default="auto")
    p.add_argument("--model-name", help="'model' for OpenAI-compatible servers")
    p.add_argument("--registry-method", help="registry method, e.g. predict or __call__")
    p.add_argument("--ca-bundle", help="PEM CA bundle for a TLS-intercepting proxy")
    p.add_argument("--verbose", action="store_true", help="log each request (never tokens)")
    return p


def main(argv=None, stream=None):
    """Entry point; returns the exit code (0 when every check passed)."""
    stream = stream or sys.stdout
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    standin = None
    if not args.endpoint:
        standin, args = _start_standin(args, stream)
    config = config_from_args(args)
    if args.mode == "auto":
        config["modelHandlingMode"] = _guess_mode(config)
    try:
        checks, fields = run_checks(config, args.capability, _Printer(stream))
    finally:
        if standin is not None:
            standin.stop()
    if fields:
        stream.write("\nEnter these settings in the DSS Custom LLM connection:\n%s\n" % json.dumps(fields, indent=2))
    return 0 if all(c.ok for c in checks) else 1


def _guess_mode(config):
    """With --mode auto, detect the protocol first using a provisional mode."""
    probe = dict(config, modelHandlingMode="OPENAI_COMPATIBLE")
    try:
        settings = parse_settings(probe)
    except ConfigError:
        return "OPENAI_COMPATIBLE"
    quick = replace(settings, transport=replace(settings.transport, max_retries=0, retry_budget=0))
    providers.clear()
    try:
        found, failure = _detect(quick, Transport(quick), "auto")
    except SPCSLLMError:
        return "OPENAI_COMPATIBLE"
    return found[0][0] if found and not failure else "OPENAI_COMPATIBLE"


def _start_standin(args, stream):
    """Start the local stand-in from a source checkout and point the doctor at it."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "standin"))
    try:
        from spcs_standin import Account, Service, StandIn, Timing
    except ImportError:
        raise SystemExit("No --endpoint given and the stand-in is not available here: pass --endpoint.")
    standin = StandIn(Account())
    standin.add_service(Service("chat", "openai", timing=Timing(latency=0.02)))  # a small model's pace
    standin.start()
    pat = standin.account.register_pat("DOCTOR")
    os.environ["SNOWFLAKE_PAT"] = pat
    args.endpoint, args.auth, args.pat_file = standin.url("chat"), "PAT", None
    stream.write("No --endpoint given: checking the local stand-in at %s\n" % args.endpoint)
    return standin, args


if __name__ == "__main__":
    sys.exit(main())
