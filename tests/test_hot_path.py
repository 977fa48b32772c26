"""What keeps the hot path cheap: orjson with a standard-library fallback, the proxy and
CA-bundle environment read once per host instead of on every request, and keep-alive
connections reused by every kind of call."""

import gzip
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests.sessions
import responses

from dss import ask, make_llm, make_model, new_query, new_trace
from spcs_llm.wire import json_codec
from spcs_llm.settings import parse_settings
from spcs_llm.transport import Transport
from spcs_llm.transport.pool import EnvironmentCachingSession


def test_json_codec_gives_the_standard_library_results():
    body = {"data": [{"embedding": [0.1, -2.5e-07, 1 / 3.0], "index": 0}], "text": "café ✓"}
    assert json_codec.loads(json_codec.dumps(body)) == body
    assert json_codec.dumps({"a": "é"}) == '{"a":"é"}'.encode("utf-8")  # compact UTF-8, not \u escapes


def test_json_codec_falls_back_for_what_orjson_refuses():
    value = json_codec.loads(b'{"embedding": [NaN, 1.0]}')  # Python servers emit NaN
    assert value["embedding"][1] == 1.0 and value["embedding"][0] != value["embedding"][0]
    assert json_codec.dumps({"n": 2 ** 70}) == b'{"n":1180591620717411303424}'
    with pytest.raises(ValueError):
        json_codec.loads(b"<html>login</html>")


@pytest.fixture
def proxy_env(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    calls = []
    real = requests.sessions.get_environ_proxies

    def counting(url, no_proxy=None):
        calls.append(url)
        return real(url, no_proxy=no_proxy)
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counting)
    return calls


def test_proxies_from_the_environment_are_honoured_and_read_once_per_host(proxy_env):
    session = EnvironmentCachingSession()
    for _ in range(3):
        merged = session.merge_environment_settings("https://ingress.example/v1/embeddings", {}, None, True, None)
        assert merged["proxies"]["https"] == "http://proxy.corp.example:3128"
    direct = session.merge_environment_settings("https://direct.example/v1/embeddings", {}, None, True, None)
    assert "https" not in direct["proxies"]  # NO_PROXY is respected per host
    assert len(proxy_env) == 2  # once per host, not once per request
    merged["proxies"]["https"] = "changed"  # callers get their own copy
    again = session.merge_environment_settings("https://ingress.example/x", {}, None, True, None)
    assert again["proxies"]["https"] == "http://proxy.corp.example:3128"


def test_ca_bundle_from_the_environment_applies_only_when_verification_is_on(proxy_env, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp/ca.pem")
    session = EnvironmentCachingSession()
    assert session.merge_environment_settings("https://a.example/", {}, None, True, None)["verify"] == "/etc/corp/ca.pem"
    assert session.merge_environment_settings("https://a.example/", {}, None, False, None)["verify"] is False
    assert session.merge_environment_settings("https://a.example/", {}, None, "/mine.pem", None)["verify"] == "/mine.pem"


def test_explicit_proxies_bypass_the_cache(proxy_env):
    session = EnvironmentCachingSession()
    merged = session.merge_environment_settings("https://ingress.example/", {"https": "http://other:1"}, None, True,
                                                None)
    assert merged["proxies"]["https"] == "http://other:1"


def test_sequential_calls_reuse_one_keep_alive_connection(env):
    # Streams included: a stream is read to its end after [DONE], or its connection would
    # be closed and the next call would pay a new TCP and TLS handshake.
    svc = env.standin.services["openai"]
    llm = make_llm(env.config("openai"))
    embedder = make_model("embedding", env.config("openai"))
    for i in range(5):
        q = new_query()
        q.with_message("streamed %d" % i)
        assert list(llm.process_stream(q.cq, {}, new_trace()))[-1]["footer"]
        assert ask(llm, "plain %d" % i)["text"]
        assert embedder.process({"queries": [{"text": "note %d" % i}] * 3}, {}, new_trace())["responses"]
    assert svc.counters["requests"] == 15
    assert svc.counters["connections"] == 2  # one per model: DSS holds the chat and the embedding model apart


def test_parallel_calls_open_no_more_connections_than_calls_at_once(env):
    svc = env.standin.services["openai"]
    svc.timing.latency = 0.01
    llm = make_llm(env.config("openai", maxParallelism=8))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: ask(llm, "question %d" % i)["text"], range(160)))
    assert answers == ["Turn 1. You said: question %d" % i for i in range(160)]
    assert svc.counters["max_in_flight"] > 1
    assert svc.counters["connections"] <= 8


@responses.activate
def test_a_compressed_answer_is_decoded_in_its_one_read():
    # An ingress or proxy may gzip JSON: the single read must decode it, and a compressed
    # body, shorter than the JSON it holds, is not mistaken for a cut one.
    answer = {"data": [{"embedding": [0.25, -1.5], "index": 0}]}
    responses.add(responses.POST, "https://svc.example.snowflakecomputing.app/v1/embeddings",
                  body=gzip.compress(json.dumps(answer).encode()),
                  headers={"Content-Encoding": "gzip"}, content_type="application/json")
    settings = parse_settings({"llmEndpointUrl": "https://svc.example.snowflakecomputing.app", "authMode": "PAT",
                               "pat": {"token": "pat-for-the-test"}})
    assert Transport(settings).post_json("/v1/embeddings", {"input": ["x"]}) == answer
