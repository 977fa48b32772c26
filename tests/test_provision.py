"""Provisioning against recorded DSS public API exchanges (responses): calls, order, idempotence, secrecy."""

import json
import os
import re
import sys

import pytest
import responses

from dss import ROOT
from spcs_llm.provision import main

sys.path.insert(0, os.path.join(ROOT, "devtools"))
from build_plugin import build  # noqa: E402

HOST = "https://dss.example.com"
SECRET = "CANARY-PAT-0f9e"
API_KEY = "CANARY-API-KEY-77aa"
with open(os.path.join(ROOT, "plugin.json"), encoding="utf-8") as _f:
    VERSION = json.load(_f)["version"]


class FakeDSS:
    """The DSS public API endpoints provisioning uses, answering as DSS does, with state."""

    def __init__(self, rsps, plugin_version=None, connections=None):
        self.plugins = [] if plugin_version is None else [{"id": "snowpark-container-services-llm",
                                                            "version": plugin_version}]
        self.connections = dict(connections or {})
        self.calls = []
        base = HOST + "/dip/publicapi"
        rsps.add_callback("GET", base + "/plugins/", callback=self._list_plugins)
        rsps.add_callback("POST", base + "/plugins/actions/installFromZip", callback=self._install)
        rsps.add_callback("POST", re.compile(base + r"/plugins/[^/]+/actions/updateFromZip"), callback=self._update)
        rsps.add_callback("GET", base + "/admin/connections/", callback=self._list_connections)
        rsps.add_callback("POST", base + "/admin/connections/", callback=self._create)
        rsps.add_callback("GET", re.compile(base + r"/admin/connections/[^/]+$"), callback=self._get)
        rsps.add_callback("PUT", re.compile(base + r"/admin/connections/[^/]+$"), callback=self._put)

    def _note(self, request):
        self.calls.append((request.method, request.path_url.split("/dip/publicapi")[1].split("?")[0]))

    def _list_plugins(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.plugins)

    def _install(self, request):
        self._note(request)
        self.plugins.append({"id": "snowpark-container-services-llm", "version": VERSION})
        return 200, {}, json.dumps({"success": True})

    def _update(self, request):
        self._note(request)
        self.plugins[0]["version"] = VERSION
        return 200, {}, json.dumps({"success": True})

    def _list_connections(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.connections)

    def _create(self, request):
        self._note(request)
        body = json.loads(request.body)
        self.connections[body["name"]] = body
        return 200, {}, "created"

    def _get(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.connections[request.path_url.rsplit("/", 1)[1]])

    def _put(self, request):
        self._note(request)
        self.connections[request.path_url.rsplit("/", 1)[1]] = json.loads(request.body)
        return 200, {}, json.dumps({"msg": "saved"})


@pytest.fixture
def spec_file(tmp_path):
    archive = build(ROOT, str(tmp_path / "dist"))
    spec = {"plugin_archive": archive, "connections": [{
        "name": "spcs-llms", "description": "SPCS models", "models": [
            {"id": "llama-chat", "label": "Llama (SPCS)", "capability": "TEXT_COMPLETION",
             "settings": {"llmEndpointUrl": "abc-org-acct.snowflakecomputing.app", "modelHandlingMode": "OPENAI_COMPATIBLE",
                          "authMode": "PAT", "pat": {"token": "${env:SNOWFLAKE_PAT}"}}},
            {"id": "minilm", "capability": "TEXT_EMBEDDING",
             "settings": {"llmEndpointUrl": "def-org-acct.snowflakecomputing.app",
                          "modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "authMode": "PAT",
                          "pat": {"token": "${env:SNOWFLAKE_PAT}"}}}]}]}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return str(path)


def run(spec_file, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PAT", SECRET)
    monkeypatch.setenv("DSS_API_KEY", API_KEY)
    lines = []
    main([spec_file, "--host", HOST], out=lines.append)
    return lines


@responses.activate
def test_first_run_installs_and_creates_second_run_changes_nothing(spec_file, monkeypatch, capsys, caplog):
    dss = FakeDSS(responses)
    first = run(spec_file, monkeypatch)
    assert dss.calls == [("GET", "/plugins/"), ("POST", "/plugins/actions/installFromZip"),
                         ("GET", "/admin/connections/"), ("POST", "/admin/connections/")]
    assert first == ["plugin snowpark-container-services-llm %s: installed" % VERSION,
                     "connection spcs-llms: created with 2 model(s)"]
    created = dss.connections["spcs-llms"]
    assert created["type"] == "CustomLLM" and created["params"]["models"][0]["customConfig"]["pat"]["token"] == SECRET
    assert [m["capability"] for m in created["params"]["models"]] == ["TEXT_COMPLETION_MULTIMODAL",
                                                                      "TEXT_EMBEDDING_EXTRACTION"]

    dss.calls.clear()
    second = run(spec_file, monkeypatch)
    assert dss.calls == [("GET", "/plugins/"), ("GET", "/admin/connections/"), ("GET", "/admin/connections/spcs-llms")]
    assert second == ["plugin snowpark-container-services-llm %s: unchanged" % VERSION, "connection spcs-llms: unchanged"]

    printed = "\n".join(first + second) + capsys.readouterr().out + caplog.text
    assert SECRET not in printed and API_KEY not in printed


@responses.activate
def test_old_plugin_is_updated_and_a_changed_connection_saved(spec_file, monkeypatch):
    stale = {"name": "spcs-llms", "type": "CustomLLM", "description": "SPCS models", "params": {"models": []}}
    dss = FakeDSS(responses, plugin_version="0.9.0", connections={"spcs-llms": stale})
    lines = run(spec_file, monkeypatch)
    assert dss.calls == [("GET", "/plugins/"), ("POST", "/plugins/snowpark-container-services-llm/actions/updateFromZip"),
                         ("GET", "/admin/connections/"), ("GET", "/admin/connections/spcs-llms"),
                         ("PUT", "/admin/connections/spcs-llms")]
    assert lines == ["plugin snowpark-container-services-llm: updated 0.9.0 -> %s" % VERSION,
                     "connection spcs-llms: updated (params.models)"]
    assert SECRET not in "\n".join(lines)


@responses.activate
def test_missing_secret_variable_is_a_clear_error(spec_file, monkeypatch):
    FakeDSS(responses)
    monkeypatch.delenv("SNOWFLAKE_PAT", raising=False)
    monkeypatch.setenv("DSS_API_KEY", API_KEY)
    with pytest.raises(SystemExit, match="environment variable SNOWFLAKE_PAT is not set"):
        main([spec_file, "--host", HOST], out=lambda *_: None)

