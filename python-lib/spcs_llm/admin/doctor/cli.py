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
from dataclasses import replace

from ...auth import providers
from ...errors import ConfigError, SPCSLLMError
from ...settings import parse_settings
from ...transport import Transport
from .checks import _detect, run_checks
from .report import Printer

# How the doctor's own errors name a setting: by the flag (or environment variable) that sets
# it here, not by its DSS field name, which a shell user never typed.
FLAGS = {
    "llmEndpointUrl": "--endpoint",
    "snowflakeAccountUrl": "--account-url",
    "authMode": "--auth",
    "modelHandlingMode": "--mode",
    "modelName": "--model-name",
    "registryMethod": "--registry-method",
    "caBundlePath": "--ca-bundle",
    "pat.token": "the programmatic access token (--pat-file, or $SNOWFLAKE_PAT)",
    "pat.role": "--role",
    "oauth.snowflake_oauth": "the OAuth access token (--oauth-token-file, or $SNOWFLAKE_OAUTH_TOKEN)",
    "keypair.account": "--account",
    "keypair.user": "--user",
    "keypair.role": "--role",
    "keypair.privateKey": "--private-key-file",
    "keypair.privateKeyPassphrase": "the key's passphrase (the variable named by --passphrase-env)",
}


def flag_for(field):
    """The flag that sets DSS field ``field`` on the command line (the field, quoted, when none does)."""
    return FLAGS.get(field, "'%s'" % field)


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
        checks, fields = run_checks(config, args.capability, Printer(stream), name=flag_for)
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
    checkout = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))  # above python-lib
    sys.path.insert(0, os.path.join(checkout, "standin"))
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
