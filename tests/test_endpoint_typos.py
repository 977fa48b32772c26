"""Endpoint URL typos are refused in set_config, not sent to a host named 'https' (issue 14, item 16)."""

import pytest

from spcs_llm.errors import ConfigError
from spcs_llm.wire.urls import normalize_base_url

HOST = "abc123-myorg-myaccount.snowflakecomputing.app"


@pytest.mark.parametrize("typo", ["https:/" + HOST, "https:" + HOST, "https//" + HOST, "https/" + HOST,
                                  "HTTPS:/" + HOST, "http:/127.0.0.1:8080", "https:\\\\" + HOST])
@pytest.mark.parametrize("field", ["llmEndpointUrl", "snowflakeAccountUrl"])
def test_a_mistyped_scheme_is_refused_naming_the_field(typo, field):
    with pytest.raises(ConfigError) as refused:
        normalize_base_url(typo, field)
    assert refused.value.field == field and "mistyped scheme" in str(refused.value)


@pytest.mark.parametrize("good, normalized", [(HOST, "https://" + HOST), ("https://" + HOST + "/", "https://" + HOST),
                                              ("HTTPS://" + HOST, "https://" + HOST),
                                              ("https://" + HOST + "/v1", "https://" + HOST + "/v1"),
                                              ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
                                              ("httpsbin.example.com", "https://httpsbin.example.com")])
def test_good_urls_still_pass(good, normalized):
    assert normalize_base_url(good, "llmEndpointUrl") == normalized


def test_a_model_with_a_mistyped_endpoint_fails_in_set_config(env):
    from dss import make_llm

    with pytest.raises(ConfigError, match="'llmEndpointUrl'"):
        make_llm(env.config("openai", llmEndpointUrl="https:/" + HOST))
