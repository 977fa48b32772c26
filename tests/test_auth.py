"""Token exchange, reuse, renewal and re-authentication for each auth mode."""

import socket
import struct
import threading

import pytest
import requests

from dss import ask, make_llm
from spcs_llm.auth.base import CachedToken, TokenProvider, post
from spcs_llm.errors import AuthError, CredentialExpiredError, TransientServiceError


def test_oauth_session_is_reused_across_calls_and_models(env):
    a = make_llm(env.config("openai", "OAUTH"))
    b = make_llm(env.config("openai-chat-sig", "OAUTH"))
    for _ in range(5):
        ask(a)
        ask(b)
    assert env.account.counters["login"] == 1
    assert env.account.counters["renew"] == 0


def test_expired_session_is_renewed_with_master_token(env):
    llm = make_llm(env.config("openai", "OAUTH"))
    ask(llm)
    env.account.expire("session")
    assert ask(llm)["text"]
    assert env.account.counters == {"login": 1, "renew": 1, "jwt_exchange": 0}


def test_expired_master_token_falls_back_to_a_new_login(env):
    llm = make_llm(env.config("openai", "OAUTH"))
    ask(llm)
    env.account.expire("session")
    env.account.expire("master")
    assert ask(llm)["text"]
    assert env.account.counters["login"] == 2


def test_expired_oauth_credential_tells_user_to_reconnect(env):
    llm = make_llm(env.config("openai", "OAUTH"))
    ask(llm)
    for kind in ("session", "master", "oauth"):
        env.account.expire(kind)
    with pytest.raises(CredentialExpiredError) as info:
        ask(llm)
    assert "Reconnect your Snowflake credential in DSS" in str(info.value)
    assert env.oauth_token not in str(info.value)


def test_missing_oauth_token_is_a_clear_error(env):
    config = env.config("openai", "OAUTH")
    config["oauth"] = {}
    with pytest.raises(CredentialExpiredError, match="No Snowflake OAuth access token"):
        ask(make_llm(config))


def test_keypair_token_is_exchanged_once_and_renewed_when_rejected(env):
    llm = make_llm(env.config("openai", "KEYPAIR_JWT"))
    for _ in range(5):
        ask(llm)
    assert env.account.counters["jwt_exchange"] == 1
    env.account.expire("ingress")
    ask(llm)
    assert env.account.counters["jwt_exchange"] == 2
    # The refused request's answer was read, so its keep-alive connection served the replay.
    assert env.standin.services["openai"].counters["connections"] == 1


def test_keypair_token_is_scoped_to_the_ingress_host(env):
    """A token exchanged for one endpoint is not reused for another."""
    ask(make_llm(env.config("openai", "KEYPAIR_JWT")))
    ask(make_llm(env.config("openai-chat-sig", "KEYPAIR_JWT")))
    assert env.account.counters["jwt_exchange"] == 2


def test_unknown_keypair_user_is_reported_with_the_fix(env):
    config = env.config("openai", "KEYPAIR_JWT")
    config["keypair"] = dict(config["keypair"], user="NOBODY")
    with pytest.raises(AuthError, match="RSA_PUBLIC_KEY matches the private key"):
        ask(make_llm(config))


def test_revoked_pat_is_reported(env):
    config = env.config("openai", "PAT")
    config["pat"] = {"token": "pat-not-registered"}
    with pytest.raises(AuthError, match="programmatic access token"):
        ask(make_llm(config))


def test_login_redirect_and_401_trigger_one_reauth(env):
    llm = make_llm(env.config("openai", "KEYPAIR_JWT"))
    env.standin.services["openai"].faults.inject("login-redirect")
    assert ask(llm)["text"]
    env.standin.services["openai"].faults.inject("401")
    assert ask(llm)["text"]
    assert env.account.counters["jwt_exchange"] == 3


def test_two_users_never_share_tokens(env):
    bob_token = env.account.issue_oauth_access_token("BOB", lifetime=3600)
    alice = make_llm(env.config("openai", "OAUTH"))
    bob_config = env.config("openai", "OAUTH")
    bob_config["oauth"] = {"snowflake_oauth": bob_token}
    bob = make_llm(bob_config)
    errors = []

    def run(llm, user, n=20):
        for i in range(n):
            try:
                ask(llm, "%s %d" % (user, i))
            except Exception as exc:  # collected for the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(alice, "ALICE")), threading.Thread(target=run, args=(bob, "BOB"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seen = [(r["user"], r["body"]["messages"][0]["content"].split()[0]) for r in env.standin.services["openai"].requests]
    assert len(seen) == 40
    assert all(user == who for user, who in seen)


class _CountingProvider(TokenProvider):
    def __init__(self, clock):
        super().__init__(clock=clock)
        self.fetches = 0

    def _fetch(self, stale, deadline):
        self.fetches += 1
        now = self._clock()
        return CachedToken("t%d" % self.fetches, refresh_at=now + 100, expires_at=now + 110)


def test_tokens_are_refreshed_before_they_expire():
    now = [0.0]
    provider = _CountingProvider(lambda: now[0])
    assert provider.get_token() == "t1"
    now[0] = 99.0
    assert provider.get_token() == "t1"
    now[0] = 100.5  # inside the margin before expiry
    assert provider.get_token() == "t2"


def test_concurrent_callers_share_one_exchange():
    gate = threading.Event()

    class Slow(TokenProvider):
        fetches = 0

        def _fetch(self, stale, deadline):
            gate.wait(5)
            Slow.fetches += 1
            return CachedToken("tok")

    provider = Slow()
    results = []
    threads = [threading.Thread(target=lambda: results.append(provider.get_token())) for _ in range(16)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert results == ["tok"] * 16 and Slow.fetches == 1


def test_a_login_answer_cut_half_way_is_transient():
    # A proxy dying mid-answer: headers promise 400 bytes, 20 arrive, then a reset.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
                     b'{"data": {"token": "')
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    url = "http://127.0.0.1:%d/session/v1/login-request" % listener.getsockname()[1]
    with pytest.raises(TransientServiceError, match="while logging in"):
        post(requests.Session(), url, (2, 2), True, "logging in", data=b"{}")
    listener.close()
