"""The plugin's code environment asks for versions without known sandbox escapes (issue 14, item 4)."""

import os

from packaging.requirements import Requirement
from packaging.version import Version

from dss import ROOT


def _requirements():
    with open(os.path.join(ROOT, "code-env", "python", "spec", "requirements.txt")) as f:
        lines = [line.split("#")[0].strip() for line in f]
    return {r.name.lower(): r for r in (Requirement(line) for line in lines if line)}


def test_jinja2_older_than_3_1_6_cannot_be_installed():
    # Jinja2 < 3.1.6 lets a sandboxed template escape (CVE-2025-27516 and two earlier ones):
    # custom chat templates are pasted by admins and run in that sandbox.
    jinja = _requirements()["jinja2"]
    assert not jinja.specifier.contains(Version("3.1.5"))
    assert jinja.specifier.contains(Version("3.1.6"))


def test_the_connector_floor_has_the_pat_authenticator():
    # Issue 24, item 11: PROGRAMMATIC_ACCESS_TOKEN is in the connector's release notes from 3.15.0.
    connector = _requirements()["snowflake-connector-python"]
    assert not connector.specifier.contains(Version("3.14.1"))
    assert connector.specifier.contains(Version("3.15.0"))


def test_pat_over_sql_on_an_older_connector_is_refused_with_the_fix(monkeypatch):
    import pytest
    import snowflake.connector.version

    from spcs_llm.auth.credentials import KeyPairCredential, PatCredential
    from spcs_llm.errors import ConfigError
    from spcs_llm.snowflake import connection

    secret = "CANARY-PAT-old-connector"
    monkeypatch.setattr(snowflake.connector.version, "VERSION", (3, 14, 1, None))
    with pytest.raises(ConfigError) as refused:
        connection.connect("https://acct.snowflakecomputing.com", PatCredential(secret))
    message = str(refused.value)
    assert "'authMode'" in message and "3.15.0 or later" in message and "has 3.14.1" in message
    assert secret not in message
    connection.check_connector_supports(PatCredential(secret), "3.15.0")  # accepted
    connection.check_connector_supports(KeyPairCredential("ACCT", "USER", "pem"), "3.12.0")  # key pairs: any
