"""Settings are validated once in set_config, with messages naming the DSS field."""

import pytest

from dss import defaults, descriptor, generate_keypair, make_llm
from spcs_llm.errors import ConfigError
from spcs_llm.settings import parse_settings

BASE = {"llmEndpointUrl": "https://abc-org-acct.snowflakecomputing.app", "authMode": "PAT", "pat": {"token": "x"}}


def cfg(**kw):
    c = dict(defaults(), **BASE)
    c.update(kw)
    return c


@pytest.mark.parametrize("change, field", [
    ({"llmEndpointUrl": "http://abc.snowflakecomputing.app"}, "llmEndpointUrl"),
    ({"llmEndpointUrl": ""}, "llmEndpointUrl"),
    ({"llmEndpointUrl": "ftp://x"}, "llmEndpointUrl"),
    ({"authMode": "OAUTH", "snowflakeAccountUrl": ""}, "snowflakeAccountUrl"),
    ({"authMode": "KEYPAIR_JWT", "snowflakeAccountUrl": None}, "snowflakeAccountUrl"),
    ({"snowflakeAccountUrl": "http://acct.snowflakecomputing.com"}, "snowflakeAccountUrl"),
    ({"maxParallelism": 0}, "maxParallelism"),
    ({"maxParallelism": 10000}, "maxParallelism"),
    ({"maxParallelism": 2.5}, "maxParallelism"),
    ({"spcsCreditsPerHourCost": -1}, "spcsCreditsPerHourCost"),
    ({"snowflakeCreditCost": -0.5}, "snowflakeCreditCost"),
    ({"modelHandlingMode": "NOPE"}, "modelHandlingMode"),
    ({"authMode": "BASIC"}, "authMode"),
    ({"pat": {"token": " "}}, "pat.token"),
    ({"readTimeoutSeconds": "soon"}, "readTimeoutSeconds"),
    ({"caBundlePath": "/no/such/bundle.pem"}, "caBundlePath"),
])
def test_bad_settings_fail_in_set_config_naming_the_field(change, field):
    with pytest.raises(ConfigError) as info:
        make_llm(cfg(**change))
    assert info.value.field == field
    assert ("'%s'" % field) in str(info.value)


def test_loopback_http_is_allowed_and_bare_hosts_get_https():
    s = parse_settings(cfg(llmEndpointUrl="http://127.0.0.1:8080/"))
    assert s.endpoint_url == "http://127.0.0.1:8080" and s.ingress_host == "127.0.0.1:8080"
    s = parse_settings(cfg(llmEndpointUrl="abc-org-acct.snowflakecomputing.app"))
    assert s.endpoint_url == "https://abc-org-acct.snowflakecomputing.app"


def test_keypair_errors_name_the_field():
    private, _ = generate_keypair()
    encrypted, _ = generate_keypair(passphrase="s3cret")
    base = {"authMode": "KEYPAIR_JWT", "snowflakeAccountUrl": "https://a.snowflakecomputing.com"}
    cases = [
        ({"account": "A", "user": "U", "privateKey": "not a key"}, "keypair.privateKey"),
        ({"account": "A", "user": "U", "privateKey": encrypted}, "keypair.privateKeyPassphrase"),
        ({"account": "A", "user": "U", "privateKey": encrypted, "privateKeyPassphrase": "wrong"}, "keypair.privateKey"),
        ({"account": "A", "user": "U", "privateKey": private, "privateKeyPassphrase": "extra"},
         "keypair.privateKeyPassphrase"),
        ({"account": "", "user": "U", "privateKey": private}, "keypair.account"),
        ({"account": "A", "user": "", "privateKey": private}, "keypair.user"),
    ]
    for preset, field in cases:
        with pytest.raises(ConfigError) as info:
            parse_settings(cfg(keypair=preset, **base))
        assert info.value.field == field, preset
    ok = parse_settings(cfg(keypair={"account": "A", "user": "U", "privateKey": encrypted,
                                     "privateKeyPassphrase": "s3cret"}, **base))
    assert ok.auth_mode == "KEYPAIR_JWT"
    assert "s3cret" not in repr(ok) and "PRIVATE KEY" not in repr(ok)


def test_tls_verification_is_on_by_default_and_a_ca_bundle_can_be_given(tmp_path):
    assert parse_settings(cfg()).transport.verify is True
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert parse_settings(cfg(caBundlePath=str(bundle))).transport.verify == str(bundle)
    assert parse_settings(cfg(verifyTls=False)).transport.verify is False


def test_descriptor_defaults_match_code_defaults():
    """A Java-plugin connection (no new params) behaves like a new one with the form's defaults."""
    old_style = {k: v for k, v in BASE.items()}
    assert parse_settings(old_style) == parse_settings(cfg())
    names = [p["name"] for p in descriptor()["params"]]
    for legacy in ("oauth", "modelHandlingMode", "llmEndpointUrl", "snowflakeAccountUrl", "maxParallelism",
                   "spcsCreditsPerHourCost", "snowflakeCreditCost"):
        assert legacy in names


def test_every_mode_is_offered_in_the_form_and_understood_by_the_code():
    from spcs_llm.settings import MODES

    choices = [c["value"] for p in descriptor()["params"] if p["name"] == "modelHandlingMode"
               for c in p["selectChoices"]]
    assert sorted(choices) == sorted(MODES)
