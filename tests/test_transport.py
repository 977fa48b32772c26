"""Retries within budget, fast failures, streams that break, and secrets kept out of logs."""

import logging

import pytest

from dss import ask, make_llm, make_model, new_query, new_trace
from spcs_llm.errors import (AuthError, ConfigError, InvalidInputError, MalformedResponseError, ServiceSuspendedError,
                             StreamInterruptedError, TransientServiceError)
from spcs_llm.wire.http_body import is_cut_short
from spcs_llm.transport.retry_policy import parse_retry_after
from spcs_standin import deterministic_vector, http_date


@pytest.mark.parametrize("faults", [["503", "502", "504"], ["429"], ["reset"], ["malformed"], ["cut"],
                                    ["reset", "429", "503"]])
def test_transient_faults_are_retried(env, faults):
    svc = env.standin.services["openai"]
    svc.faults.inject(*faults)
    assert ask(make_llm(env.config("openai")))["text"] == "Turn 1. You said: hello there"
    assert svc.counters["requests"] == len(faults) + 1


@pytest.mark.parametrize("status", ["400", "403", "404", "422", "500"])
def test_non_retryable_errors_fail_fast_with_the_server_message(env, status):
    svc = env.standin.services["openai"]
    svc.faults.inject(status)
    with pytest.raises(Exception) as info:
        ask(make_llm(env.config("openai")))
    assert "Injected HTTP %s" % status in str(info.value)
    assert svc.counters["requests"] == 1


def test_an_answer_cut_mid_body_is_retried_never_parsed(env):
    # The connection dies after half of a large embedding answer: retried, and the vectors
    # come from the full second answer.
    svc = env.standin.services["openai"]
    svc.faults.inject("cut")
    texts = ["cut note %d" % i for i in range(64)]
    r = make_model("embedding", env.config("openai")).process({"queries": [{"text": t} for t in texts]}, {}, new_trace())
    assert [x["embedding"] for x in r["responses"]] == [deterministic_vector(t) for t in texts]
    assert svc.counters["requests"] == 2


def test_answers_cut_beyond_the_budget_name_the_lost_connection(env):
    svc = env.standin.services["openai"]
    svc.faults.inject("cut", "cut")
    with pytest.raises(TransientServiceError) as info:
        ask(make_llm(env.config("openai", maxRetries=1)))
    assert "lost while reading the answer" in str(info.value) and "Gave up after 2 attempts" in str(info.value)


def test_budget_is_respected_and_named(env):
    svc = env.standin.services["openai"]
    svc.faults.inject(*["503"] * 50)
    with pytest.raises(TransientServiceError) as info:
        ask(make_llm(env.config("openai", maxRetries=3)))
    assert "Gave up after 4 attempts" in str(info.value) and "'maxRetries'=3" in str(info.value)
    assert svc.counters["requests"] == 4


def test_retry_after_longer_than_budget_stops_at_once(env):
    svc = env.standin.services["openai"]
    svc.faults.retry_after = "3600"
    svc.faults.inject("429")
    with pytest.raises(TransientServiceError, match="rate limiting"):
        ask(make_llm(env.config("openai", retryBudgetSeconds=5)))
    assert svc.counters["requests"] == 1


def test_retry_after_parsing():
    assert parse_retry_after("2") == 2.0
    assert 4 <= parse_retry_after(http_date(5)) <= 5.5
    assert parse_retry_after("garbage") is None and parse_retry_after(None) is None


def test_suspended_service_is_named_after_budget(env):
    env.standin.services["openai"].suspend()
    with pytest.raises(ServiceSuspendedError, match="ALTER SERVICE <name> RESUME"):
        ask(make_llm(env.config("openai", retryBudgetSeconds=1.5)))


def test_suspended_service_that_resumes_is_waited_for(env):
    env.standin.services["openai"].suspend(auto_resume_after=1.0)
    assert ask(make_llm(env.config("openai")))["text"]


def test_html_login_page_is_an_auth_problem_not_a_parse_error(env):
    env.standin.services["openai"].faults.inject("html")
    with pytest.raises(AuthError, match="Snowflake's login page"):
        ask(make_llm(env.config("openai")))


def stream_with_cut(env, after_chunks):
    """Stream one answer from a service told to drop the connection after ``after_chunks`` events."""
    svc = env.standin.services["openai"]
    svc.faults.cut_after_chunks = after_chunks
    svc.faults.inject("cut")
    q = new_query()
    q.with_message("stream me please")
    return make_llm(env.config("openai")).process_stream(q.cq, {}, new_trace())


def test_stream_cut_before_any_chunk_is_retried_cleanly(env):
    items = list(stream_with_cut(env, 0))
    assert "".join(i["chunk"]["text"] for i in items[:-1]) == "Turn 1. You said: stream me please"
    assert env.standin.services["openai"].counters["requests"] == 2


def test_stream_cut_mid_way_is_a_clear_error_not_a_truncated_answer(env):
    got = []
    with pytest.raises(StreamInterruptedError, match="broke off"):
        for item in stream_with_cut(env, 3):
            got.append(item)
    assert got and all("chunk" in i for i in got)


def test_stream_cut_after_its_last_event_is_still_a_whole_answer(env):
    # Every event, [DONE] included, arrived; only the stream's closing bytes are missing.
    items = list(stream_with_cut(env, 10_000))
    assert "".join(i["chunk"]["text"] for i in items[:-1]) == "Turn 1. You said: stream me please"
    assert env.standin.services["openai"].counters["requests"] == 1


def test_payload_too_large_batches_are_split_in_order(env):
    svc = env.standin.services["st"]
    svc.faults.max_batch = 5
    llm = make_model("embedding", env.config("st", embeddingBatchSize=16))
    texts = ["t%d" % i for i in range(16)]
    r = llm.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())
    assert [x["embedding"] for x in r["responses"]] == [deterministic_vector(t) for t in texts]


def test_malformed_every_time_gives_up_with_a_clear_error(env):
    env.standin.services["st"].faults.inject(*["malformed"] * 10)
    with pytest.raises(MalformedResponseError, match="not JSON"):
        make_model("embedding", env.config("st", maxRetries=2)).process({"text": "x"}, {}, new_trace())


def test_a_mode_that_cannot_serve_the_capability_fails_in_set_config(env):
    with pytest.raises(ConfigError, match="'modelHandlingMode'.*REGISTRY_SENTENCE_TRANSFORMERS cannot serve chat models"):
        make_llm(env.config("st"))
    with pytest.raises(ConfigError, match="REGISTRY_OPENAI_CHAT cannot serve embedding models.*REGISTRY_SENTENCE"):
        make_model("embedding", env.config("openai-chat-sig"))


@pytest.mark.parametrize("auth", ["OAUTH", "KEYPAIR_JWT", "PAT"])
def test_no_secret_in_logs_traces_or_errors(env, auth, caplog):
    caplog.set_level(logging.DEBUG)
    llm = make_llm(env.config("openai", auth))
    trace = new_trace()
    q = new_query()
    q.with_message("hello")
    llm.process(q.cq, {}, trace)
    list(llm.process_stream(q.cq, {}, trace))
    env.account.expire("session")
    env.account.expire("ingress")
    llm.process(q.cq, {}, trace)
    errors = []
    for kind in ("session", "master", "oauth", "ingress"):
        env.account.expire(kind)
    bad = dict(env.config("openai", auth), pat={"token": env.pat + "x"}) if auth == "PAT" else env.config("openai", auth)
    try:
        make_llm(bad).process(q.cq, {}, trace)
    except Exception as exc:
        errors.append(repr(exc) + str(exc))
    secrets = [env.pat, env.oauth_token, env.private_pem.splitlines()[1]]
    secrets += list(env.account.issued)  # every session, master and ingress token issued
    logs = "\n".join(r.getMessage() for r in caplog.records)
    haystack = logs + "\n".join(errors) + repr(trace.span) + repr(llm.client.settings)
    assert not [s for s in secrets if s and s in haystack]


def test_a_body_shorter_than_its_content_length_is_cut_short():
    # urllib3 1.26 hands such a body over silently; the plugin must not take it for an answer.
    assert is_cut_short({"Content-Length": "400"}, 20)
    assert not is_cut_short({"Content-Length": "400"}, 400)
    assert not is_cut_short({}, 20)  # chunked: the decoder checks the end itself
    assert not is_cut_short({"Content-Length": "400", "Content-Encoding": "gzip"}, 20)  # measured after decoding


@pytest.mark.parametrize("mode", ["PAT", "KEYPAIR_JWT", "OAUTH"])
def test_a_netrc_entry_does_not_replace_the_credential(env, mode, tmp_path, monkeypatch):
    # requests applies ~/.netrc to any request sent without ``auth``; a ``default`` entry
    # matches every host, and its Basic auth would replace the Snowflake token.
    netrc = tmp_path / "netrc"
    netrc.write_text("default login intruder password intruder-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert ask(make_llm(env.config("openai", mode)))["text"] == "Turn 1. You said: hello there"
    vector = make_model("embedding", env.config("openai", mode)).process({"text": "netrc"}, {}, new_trace())
    assert vector["embedding"] == deterministic_vector("netrc")
