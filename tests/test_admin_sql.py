"""Service discovery, resume/suspend and auto-resume through the real snowflake-connector-python."""

import threading

import pytest

from dss import ask, make_llm
from spcs_llm.snowflake import connection, services
from spcs_llm.snowflake.identifiers import check_identifier
from spcs_llm.errors import ConfigError, ServiceSuspendedError
from spcs_llm.settings import parse_settings


def connect(env, mode="KEYPAIR_JWT"):
    settings = parse_settings(dict(env.config("openai", mode), snowflakeAccountUrl=env.standin.account_url))
    return connection.connect(settings.account_url, settings.credential)


@pytest.mark.parametrize("mode", ["OAUTH", "KEYPAIR_JWT", "PAT"])
def test_discovery_lists_services_with_status_pool_and_ingress_urls(env, mode):
    conn = connect(env, mode)
    try:
        found = services.list_services(conn)
    finally:
        conn.close()
    by_name = {s.name: s for s in found}
    assert set(by_name) == {n.upper() for n in env.standin.services}
    openai = by_name["OPENAI"]
    assert (openai.status, openai.compute_pool, openai.qualified_name) == ("READY", "STANDIN_POOL", "ML.SERVING.OPENAI")
    assert [e.ingress_url for e in openai.endpoints] == [env.standin.host_of("openai")]
    assert services.service_for_host(found, env.standin.host_of("st")).name == "ST"


def test_suspend_then_resume_until_ready(env):
    env.standin.sql.resume_seconds = 0.3
    conn = connect(env)
    try:
        services.alter_service(conn, "ML.SERVING.OPENAI", "SUSPEND")
        assert services.service_status(conn, "ML.SERVING.OPENAI") == "SUSPENDED"
        services.alter_service(conn, "ML.SERVING.OPENAI", "RESUME")
        seen = []
        assert services.wait_for_status(conn, "ML.SERVING.OPENAI", poll=0.05, on_status=seen.append) == "READY"
        assert seen[0] == "PENDING" and seen[-1] == "READY"
    finally:
        conn.close()


def test_identifiers_are_checked_before_reaching_sql():
    with pytest.raises(ConfigError, match="serviceName"):
        check_identifier("x; DROP TABLE y")
    assert check_identifier('ML.SERVING."My Service"') == 'ML.SERVING."My Service"'


@pytest.mark.parametrize("service_name", [None, "ML.SERVING.OPENAI"])
def test_auto_resume_resumes_a_suspended_service_then_answers(env, service_name):
    env.standin.sql.resume_seconds = 0.3
    env.standin.services["openai"].suspend()
    config = env.config("openai", "KEYPAIR_JWT", autoResume=True, autoResumePollSeconds=0.05)
    if service_name:
        config["serviceName"] = service_name
    llm = make_llm(config)
    results = []
    threads = [threading.Thread(target=lambda: results.append(ask(llm, "are you awake?")["text"])) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["Turn 1. You said: are you awake?"] * 6
    resumes = [s for s in env.standin.sql.statements if s.upper().startswith("ALTER SERVICE")]
    assert resumes == ["ALTER SERVICE %s RESUME" % (service_name or '"ML"."SERVING"."OPENAI"')]
    assert llm.client.transport.resumer.resumes >= 1


@pytest.mark.parametrize("created_as", ["embed-svc", "embed_svc", "Embed Svc"])
def test_auto_resume_finds_a_discovered_service_whose_name_was_quoted_when_created(env, created_as):
    """Issue 23, item 14: a service created as ML.SERVING."embed-svc" (or "embed_svc") is resumed as itself.

    Before, the discovered name went unquoted into SYSTEM$GET_SERVICE_STATUS: "embed-svc" was
    refused as a name (a ConfigError about 'serviceName', which the admin left empty) and
    "embed_svc" was looked up as EMBED_SVC.
    """
    env.standin.sql.names["openai"] = created_as
    env.standin.sql.names["st"] = created_as.upper()  # an unquoted twin: EMBED_SVC must not be the one resumed
    env.standin.sql.resume_seconds = 0.2
    env.standin.services["openai"].suspend()
    env.standin.services["st"].suspend()
    llm = make_llm(env.config("openai", "KEYPAIR_JWT", autoResume=True, autoResumePollSeconds=0.05))
    assert ask(llm, "are you awake?")["text"] == "Turn 1. You said: are you awake?"
    resumes = [s for s in env.standin.sql.statements if s.upper().startswith("ALTER SERVICE")]
    assert resumes == ['ALTER SERVICE "ML"."SERVING"."%s" RESUME' % created_as]
    assert env.standin.services["st"].status() == "SUSPENDED"


def test_auto_resume_is_off_by_default(env):
    env.standin.services["openai"].suspend()
    with pytest.raises(ServiceSuspendedError):
        ask(make_llm(env.config("openai", "PAT", retryBudgetSeconds=1)))
    assert env.standin.sql.statements == []


def test_auto_resume_gives_up_with_a_clear_error(env):
    env.standin.sql.resume_seconds = 60
    env.standin.services["openai"].suspend()
    llm = make_llm(env.config("openai", "KEYPAIR_JWT", autoResume=True, autoResumeTimeoutSeconds=1,
                              autoResumePollSeconds=0.1))
    with pytest.raises(ServiceSuspendedError, match="still PENDING after 1 s"):
        ask(llm)


def test_auto_resume_needs_an_account_url(env):
    with pytest.raises(ConfigError, match="'snowflakeAccountUrl'"):
        make_llm(env.config("openai", "PAT", autoResume=True))
