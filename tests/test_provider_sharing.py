"""Token providers are shared only by models that reach Snowflake the same way (issue 14, item 2)."""

import pytest
import requests

from dss import defaults
from spcs_llm.auth import providers
from spcs_llm.settings import parse_settings


def _settings(env, mode, **extra):
    config = defaults()
    config.update(env.config("openai", mode, **extra))
    return parse_settings(config)


@pytest.mark.parametrize("mode", ["PAT", "OAUTH", "KEYPAIR_JWT"])
def test_a_token_provider_is_not_shared_across_different_ways_of_reaching_snowflake(env, mode, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    session = requests.Session()
    reference = providers.provider_for(_settings(env, mode), session)
    assert providers.provider_for(_settings(env, mode), session) is reference  # identical settings share
    other_account = env.standin.account_url.replace("127.0.0.1", "localhost")
    variants = {"verifyTls off": {"verifyTls": False}, "CA bundle": {"caBundlePath": str(bundle)},
                "connect timeout": {"connectTimeoutSeconds": 3}, "read timeout": {"readTimeoutSeconds": 7},
                "account URL": {"snowflakeAccountUrl": other_account}}
    if mode != "OAUTH":
        preset = "pat" if mode == "PAT" else "keypair"
        variants["role"] = {preset: dict(env.auth(mode)[preset], role="OTHER_ROLE")}
    shared = [name for name, extra in variants.items()
              if providers.provider_for(_settings(env, mode, **extra), session) is reference]
    assert shared == []
