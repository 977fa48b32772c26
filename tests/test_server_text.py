"""Whatever a server sends back, no secret and no user input reaches an exception or a log (issue 14, item 3)."""

import logging

import pytest

from dss import ask, make_llm
from spcs_llm.errors import AuthError, ConfigError, RequestRejectedError

MODES = ["PAT", "OAUTH", "KEYPAIR_JWT"]


def _secrets(env):
    """Every credential of the stand-in and every token it issued."""
    return [env.pat, env.oauth_token, env.private_pem.splitlines()[1]] + list(env.account.issued)


def _leaked(env, *texts):
    haystack = "\n".join(texts)
    return [secret for secret in _secrets(env) if secret in haystack]


def _logged(caplog):
    return "\n".join(r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("mode", MODES)
def test_a_server_echoing_our_authorization_header_puts_no_token_in_errors_or_logs(env, mode, caplog):
    service = env.standin.services["openai"]
    llm = make_llm(env.config("openai", mode))
    service.faults.inject("echo-auth")
    with pytest.raises(RequestRejectedError) as refused:
        ask(llm)
    assert 'Authorization: Snowflake Token="[redacted]"' in str(refused.value)  # the echo is shown, not the token
    service.faults.echo_status = 502  # the same echo on a retried failure goes to a WARNING log line
    service.faults.inject("echo-auth")
    assert ask(llm)["text"]
    assert any(r.levelno >= logging.WARNING and "Headers received" in r.getMessage() for r in caplog.records)
    assert _leaked(env, str(refused.value), repr(refused.value), _logged(caplog)) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_401_quoting_the_token_puts_no_token_in_errors_or_logs(env, mode, caplog):
    service = env.standin.services["openai"]
    llm = make_llm(env.config("openai", mode))
    assert ask(llm)["text"]
    service.faults.inject("401-token", "401-token")  # refused, refreshed, refused again
    with pytest.raises(AuthError) as refused:
        ask(llm)
    service.faults.clear()
    assert _leaked(env, str(refused.value), repr(refused.value), _logged(caplog)) == []


def test_input_echoed_by_a_validation_error_is_elided_and_the_message_cut_short(env, caplog):
    service = env.standin.services["openai"]
    llm = make_llm(env.config("openai"))
    note = "Patient MRN 4471902 reports chest pain since Tuesday, history of angina, on aspirin. " * 20
    service.faults.inject("422-echo")
    with pytest.raises(RequestRejectedError) as refused:
        ask(llm, note)
    message = str(refused.value)
    assert "List should have at most 1 item" in message  # the server's reason is kept
    assert "MRN 4471902" not in message and "MRN 4471902" not in _logged(caplog)
    assert len(message) < 600


@pytest.mark.parametrize("preset, field", [("pat", "pat.token"), ("oauth", "oauth.snowflake_oauth")])
@pytest.mark.parametrize("token", ["tok-1234\r\nX-Injected: yes", 'tok-"quoted"-5678', "tok-\u00e9t\u00e9-9012"])
def test_a_token_that_cannot_go_in_a_header_is_refused_in_set_config_naming_the_field_not_the_value(
        env, preset, field, token):
    mode = "PAT" if preset == "pat" else "OAUTH"
    config = env.config("openai", mode)
    config[preset] = {"token": token} if preset == "pat" else {"snowflake_oauth": token}
    with pytest.raises(ConfigError) as refused:
        make_llm(config)
    assert refused.value.field == field
    assert token.strip() not in str(refused.value) and "tok-" not in str(refused.value)


def test_the_scrubber_masks_token_shaped_text_it_was_never_told_about():
    from spcs_llm.wire.server_text import Scrubber

    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJBQ0NPVU5UIn0.c2lnbmF0dXJl"
    text = ('Authorization: Snowflake Token="ver:1-hint:123-ETMsDgAAAXyz" Bearer abcdefgh12345678 %s '
            '{"masterToken": "master-abcdefghijkl"} -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n' % jwt)
    scrubbed = Scrubber(lambda: ["known-secret-value"])(text + " known-secret-value")
    for secret in ("ETMsDgAAAXyz", "abcdefgh12345678", jwt, "master-abcdefghijkl", "MIIEvQIBADANBg",
                   "known-secret-value"):
        assert secret not in scrubbed


def test_a_token_endpoint_quoting_our_jwt_puts_no_jwt_in_errors_or_logs(env, caplog):
    import jwt as pyjwt

    env.account.echo_assertions = True  # its refusals quote the JWT; a user it does not know is refused
    config = env.config("openai", "KEYPAIR_JWT")
    config["keypair"] = dict(config["keypair"], user="NOBODY")
    llm = make_llm(config)
    with pytest.raises(AuthError) as refused:
        ask(llm)
    assert "Assertion received: [redacted]" in str(refused.value)
    sent = [r.getMessage() for r in caplog.records]
    assert env.account.assertions and not [a for a in env.account.assertions
                                           if a in str(refused.value) or any(a in line for line in sent)]
    # Any three base64url runs joined by dots that decode as a JWT would be ours.
    for text in [str(refused.value)] + sent:
        for word in text.replace('"', " ").split():
            try:
                pyjwt.decode(word, options={"verify_signature": False})
            except pyjwt.PyJWTError:
                continue
            raise AssertionError("a JWT was shown: %s" % text[:80])
