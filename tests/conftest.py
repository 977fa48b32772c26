import logging

import pytest

from dss import generate_keypair  # also puts python-lib, standin and the dataiku stub on sys.path
from spcs_standin import Account, StandIn, Service
from spcs_llm.auth import providers


class Env:
    """A running stand-in with one service of each kind and a credential of each auth mode."""

    def __init__(self, standin, private_pem, public_pem):
        self.standin = standin
        self.account = standin.account
        self.private_pem = private_pem
        self.user = "SVC_DSS"
        self.account.register_public_key(self.user, public_pem)
        self.pat = self.account.register_pat("ALICE")
        self.oauth_token = self.account.issue_oauth_access_token("ALICE", lifetime=3600)

    def auth(self, mode):
        """Connection params for auth ``mode`` (presets resolved to dicts, as DSS passes them)."""
        if mode == "OAUTH":
            return {"authMode": "OAUTH", "snowflakeAccountUrl": self.standin.account_url,
                    "oauth": {"snowflake_oauth": self.oauth_token}}
        if mode == "KEYPAIR_JWT":
            return {"authMode": "KEYPAIR_JWT", "snowflakeAccountUrl": self.standin.account_url,
                    "keypair": {"account": self.account.name, "user": self.user, "privateKey": self.private_pem}}
        return {"authMode": "PAT", "pat": {"token": self.pat}}

    def config(self, service, mode="PAT", **extra):
        svc = self.standin.services[service]
        handling = {"openai": "OPENAI_COMPATIBLE", "registry-text-generation": "TEXT_GENERATION_LLAMA_2",
                    "registry-legacy-embedding": "TEXT_GENERATION_OTHER", "registry-openai-chat": "REGISTRY_OPENAI_CHAT",
                    "registry-sentence-transformers": "REGISTRY_SENTENCE_TRANSFORMERS"}[svc.kind]
        config = {"llmEndpointUrl": self.standin.url(service), "modelHandlingMode": handling,
                  "retryBudgetSeconds": 10, "readTimeoutSeconds": 10}
        config.update(self.auth(mode))
        config.update(extra)
        return config


SERVICES = [("openai", "openai"), ("textgen", "registry-text-generation"),
            ("legacy-embed", "registry-legacy-embedding"), ("openai-chat-sig", "registry-openai-chat"),
            ("st", "registry-sentence-transformers")]


@pytest.fixture(scope="session")
def keypair():
    return generate_keypair()


@pytest.fixture
def env(keypair):
    """A fresh stand-in per test, so faults and counters never leak between tests."""
    standin = StandIn(Account())
    for name, kind in SERVICES:
        standin.add_service(Service(name, kind))
    standin.start()
    providers.clear()
    try:
        yield Env(standin, *keypair)
    finally:
        standin.stop()
        providers.clear()


@pytest.fixture(autouse=True)
def _debug_logging(caplog):
    caplog.set_level(logging.DEBUG)
