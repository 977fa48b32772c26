"""Auto-resume with OAuth uses the freshest credential the model has; when none opens a session, our error (issue 14, item 9)."""

import pytest

from dss import ask, defaults, make_llm
from spcs_llm.snowflake.auto_resume import AutoResumer
from spcs_llm.errors import AuthError
from spcs_llm.settings import parse_settings


def test_auto_resume_uses_the_models_session_once_the_access_token_has_expired(env, caplog):
    env.standin.sql.resume_seconds = 0.2
    llm = make_llm(env.config("openai", "OAUTH", autoResume=True, autoResumePollSeconds=0.05))
    assert ask(llm)["text"]  # logged in: the model holds a session (an hour) beside the access token (minutes)
    env.account.expire("oauth")  # the access token DSS passed to set_config has expired since
    env.standin.services["openai"].suspend()
    assert ask(llm, "are you awake?")["text"] == "Turn 1. You said: are you awake?"
    assert [s for s in env.standin.sql.statements if s.startswith("ALTER SERVICE")] == [
        'ALTER SERVICE "ML"."SERVING"."OPENAI" RESUME']  # the discovered name, quoted as SHOW SERVICES spells it
    assert ask(llm)["text"]  # the session was not logged out by the SQL connection
    logged = "\n".join(r.getMessage() for r in caplog.records)  # the connector logs at DEBUG
    assert [t for t in list(env.account.issued) + [env.oauth_token] if t in logged] == []


def test_auto_resume_with_no_credential_able_to_open_a_session_raises_our_error_naming_cause_and_fix(env):
    config = defaults()
    config.update(env.config("openai", "OAUTH", autoResume=True))
    env.account.expire("oauth")
    resumer = AutoResumer(parse_settings(config))
    with pytest.raises(AuthError) as failed:
        resumer.resume()
    message = str(failed.value)
    assert "could not open a Snowflake session" in message and "expired" in message  # the cause
    assert "Reconnect your Snowflake credential in DSS" in message  # the fix
    assert env.oauth_token not in message
