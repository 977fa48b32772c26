"""The services macro, run as DSS runs a macro, against the stand-in through the real connector."""

import re

import pytest

from dss import ROOT  # noqa: F401  (sets up the paths)
from dss_runnables import run_macro
from spcs_llm.errors import AuthError, ConfigError, ServiceError


def macro(env, mode="KEYPAIR_JWT", **params):
    config = {k: v for k, v in env.config("openai", mode).items()
              if k in ("authMode", "oauth", "keypair", "pat")}
    config["snowflakeAccountUrl"] = env.standin.account_url
    config.update(params)
    return run_macro("spcs-services", config)


def report(run):
    assert run.error is None, run.error
    return run.result


@pytest.mark.parametrize("mode", ["OAUTH", "KEYPAIR_JWT", "PAT"])
def test_lists_services_with_ready_to_paste_urls(env, mode):
    run = macro(env, mode)
    text = report(run)
    assert "%d service(s) visible" % len(env.standin.services) in text
    assert "<code>%s</code>" % env.standin.url("openai") in text
    assert "ML.SERVING.OPENAI" in text and "STANDIN_POOL" in text
    assert run.progress_info is None and run.progress == []  # nothing to wait for: no progress bar


def test_resume_waits_until_ready_and_suspend(env):
    env.standin.sql.resume_seconds = 0.3
    text = report(macro(env, action="SUSPEND", serviceName="ML.SERVING.ST"))
    assert "ALTER SERVICE ML.SERVING.ST SUSPEND: done." in text
    assert env.standin.services["st"].status() == "SUSPENDED"
    text = report(macro(env, action="RESUME", serviceName="ML.SERVING.ST", pollSeconds=0.05))
    assert "ML.SERVING.ST is READY (statuses seen: PENDING → READY)." in text
    assert env.standin.services["st"].status() == "READY"


def test_resume_reports_progress_while_it_waits(env):
    env.standin.services["st"].suspend()
    env.standin.sql.resume_seconds = 0.4
    run = macro(env, action="RESUME", serviceName="ML.SERVING.ST", pollSeconds=0.05, waitTimeoutSeconds=120)
    report(run)
    assert run.progress_info == {"target": 120, "unit": "NONE"}  # seconds of the wait, asked before run
    polls = run.progress[:-1]
    assert len(polls) >= 3 and polls == sorted(polls), run.progress  # one report per poll, never backwards
    assert all(0 <= p <= 120 for p in polls) and run.progress[-1] == 120  # ends full when READY


def test_bad_service_name_is_refused_before_any_sql(env):
    run = macro(env, action="RESUME", serviceName="st; DROP SERVICE x")
    assert isinstance(run.error, ConfigError) and "serviceName" in str(run.error)
    assert env.standin.sql.statements == []


@pytest.mark.parametrize("action", ["RESUME", "SUSPEND"])
def test_a_missing_service_name_says_where_to_find_one(env, action):
    run = macro(env, action=action, serviceName="  ")
    assert isinstance(run.error, ConfigError)
    assert "'serviceName': is needed to %s a service" % action.lower() in str(run.error)
    assert "List services and endpoints" in str(run.error)
    assert env.standin.sql.statements == []


def test_an_invalid_pat_is_our_error_with_the_fix_and_without_the_token(env):
    run = macro(env, "PAT", pat={"token": "pat-revoked-7c1d9e"})
    assert isinstance(run.error, AuthError), repr(run.error)
    text = str(run.error)
    assert "Snowflake refused the programmatic access token" in text and "Programmatic access token is invalid" in text
    assert "network policy" in text and "ADD PROGRAMMATIC ACCESS TOKEN" in text
    # The error number depends on the connector (394400 from 4.8, 250001 wrapping it from 4.5).
    assert re.search(r"\(Snowflake error \d+: Failed to connect", text) and "None:" not in text, text
    assert "pat-revoked-7c1d9e" not in text and "DatabaseError" not in text


def test_a_key_pair_login_refused_names_the_fingerprint_check(env):
    run = macro(env, "KEYPAIR_JWT", keypair={"account": env.account.name, "user": "NOBODY",
                                             "privateKey": env.private_pem})
    assert isinstance(run.error, AuthError) and "RSA_PUBLIC_KEY_FP" in str(run.error), repr(run.error)
    assert "BEGIN" not in str(run.error)


def test_a_service_that_does_not_exist_or_is_not_authorized_names_the_fix(env):
    run = macro(env, action="RESUME", serviceName="ML.SERVING.NOPE")
    assert isinstance(run.error, ServiceError), repr(run.error)
    text = str(run.error)
    assert "Service ML.SERVING.NOPE does not exist, or your role is not authorized to see it" in text
    assert "GRANT OPERATE ON SERVICE ML.SERVING.NOPE" in text and "ProgrammingError" not in text
