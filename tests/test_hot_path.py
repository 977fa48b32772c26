"""What keeps the hot path cheap: orjson with a standard-library fallback, and the proxy and
CA-bundle environment read once per host instead of on every request."""

import pytest
import requests.sessions

from spcs_llm import json_codec
from spcs_llm.transport import EnvironmentCachingSession


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
