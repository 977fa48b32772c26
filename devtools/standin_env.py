"""A running stand-in with one service of each kind and a credential of each auth mode.

Used by the tests (one per test, see tests/conftest.py) and by ``make reliability``.
"""

from dss_harness import generate_keypair  # noqa: F401  (sets up the paths)
from spcs_standin import Account, Service, StandIn

from spcs_llm.auth import providers

SERVICES = [("openai", "openai"), ("textgen", "registry-text-generation"),
            ("legacy-embed", "registry-legacy-embedding"), ("openai-chat-sig", "registry-openai-chat"),
            ("st", "registry-sentence-transformers")]
MODES = {"openai": "OPENAI_COMPATIBLE", "registry-text-generation": "TEXT_GENERATION_LLAMA_2",
         "registry-legacy-embedding": "TEXT_GENERATION_OTHER", "registry-openai-chat": "REGISTRY_OPENAI_CHAT",
         "registry-sentence-transformers": "REGISTRY_SENTENCE_TRANSFORMERS", "openai-rerank": "OPENAI_COMPATIBLE",
         "tei-rerank": "TEXT_EMBEDDINGS_INFERENCE", "registry-cross-encoder": "REGISTRY_CROSS_ENCODER"}


class Env:
    """Start with ``Env(keypair)``; ``config(service, auth)`` gives a DSS connection config."""

    def __init__(self, keypair):
        self.standin = StandIn(Account())
        for name, kind in SERVICES:
            self.standin.add_service(Service(name, kind))
        self.standin.start()
        providers.clear()
        self.account = self.standin.account
        self.private_pem = keypair[0]
        self.user = "SVC_DSS"
        self.account.register_public_key(self.user, keypair[1])
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
        config = {"llmEndpointUrl": self.standin.url(service),
                  "modelHandlingMode": MODES.get(self.standin.services[service].kind),
                  "retryBudgetSeconds": 10, "readTimeoutSeconds": 10}
        config.update(self.auth(mode))
        config.update(extra)
        return config

    def stop(self):
        self.standin.stop()
        providers.clear()
