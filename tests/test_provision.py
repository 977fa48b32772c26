"""Provisioning against recorded DSS public API exchanges (responses): calls, order, idempotence, secrecy."""

import json
import os
import re
import sys

import pytest
import responses

from dss import ROOT
from spcs_llm.admin.provision import SECRET_KEYS, main

sys.path.insert(0, os.path.join(ROOT, "devtools"))
from build_plugin import build  # noqa: E402

HOST = "https://dss.example.com"
SECRET = "CANARY-PAT-0f9e"
API_KEY = "CANARY-API-KEY-77aa"
with open(os.path.join(ROOT, "plugin.json"), encoding="utf-8") as _f:
    VERSION = json.load(_f)["version"]


ENV_NAME = "plugin_snowpark-container-services-llm_managed"


def encrypt_secrets(value):
    """What DSS returns for secrets it stored: encrypted, never the clear value."""
    if isinstance(value, dict):
        return {k: ("e:AES:%08x" % (hash(v) & 0xffffffff) if k in SECRET_KEYS and isinstance(v, str) and v
                    else encrypt_secrets(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [encrypt_secrets(v) for v in value]
    return value


class FakeDSS:
    """The DSS public API endpoints provisioning uses, answering as DSS does, with state."""

    def __init__(self, rsps, plugin_version=None, connections=None, code_env=None):
        self.plugins = [] if plugin_version is None else [{"id": "snowpark-container-services-llm",
                                                            "version": plugin_version}]
        self.plugin_settings = {"codeEnvName": code_env, "presets": [], "permissions": []}
        self.connections = dict(connections or {})
        self.received = {}  # connection name -> the last definition sent, secrets in clear
        self.futures = {}
        self.calls = []
        base = HOST + "/dip/publicapi"
        plugin = base + "/plugins/snowpark-container-services-llm"
        rsps.add_callback("GET", base + "/plugins/", callback=self._list_plugins)
        rsps.add_callback("POST", base + "/plugins/actions/installFromZip", callback=self._install)
        rsps.add_callback("POST", re.compile(base + r"/plugins/[^/]+/actions/updateFromZip"), callback=self._update)
        rsps.add_callback("GET", plugin + "/settings", callback=self._get_settings)
        rsps.add_callback("POST", plugin + "/settings", callback=self._save_settings)
        rsps.add_callback("POST", plugin + "/code-env/actions/create", callback=self._create_env)
        rsps.add_callback("POST", plugin + "/code-env/actions/update", callback=self._update_env)
        rsps.add_callback("GET", re.compile(base + r"/futures/[^/?]+"), callback=self._future)
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

    def _get_settings(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.plugin_settings)

    def _save_settings(self, request):
        self._note(request)
        self.plugin_settings = json.loads(request.body)
        return 204, {}, ""

    def _start(self, request, job_id, result):
        # Long operations answer with a job id; the result comes from /futures/<id> (DSSFuture).
        self._note(request)
        self.futures[job_id] = {"hasResult": True, "result": result}
        return 200, {}, json.dumps({"jobId": job_id, "hasResult": False})

    def _create_env(self, request):
        return self._start(request, "create-env", {"envName": ENV_NAME, "messages": {"messages": []}})

    def _update_env(self, request):
        return self._start(request, "update-env", {"envName": self.plugin_settings["codeEnvName"]})

    def _future(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.futures[request.path_url.split("/futures/")[1].split("?")[0]])

    def _list_connections(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.connections)

    def _create(self, request):
        self._note(request)
        body = json.loads(request.body)
        self.received[body["name"]] = body
        self.connections[body["name"]] = encrypt_secrets(body)
        return 200, {}, "created"

    def _get(self, request):
        self._note(request)
        return 200, {}, json.dumps(self.connections[request.path_url.rsplit("/", 1)[1]])

    def _put(self, request):
        self._note(request)
        name = request.path_url.rsplit("/", 1)[1]
        self.received[name] = json.loads(request.body)
        self.connections[name] = encrypt_secrets(self.received[name])
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
def test_first_run_installs_and_builds_the_code_env_second_run_changes_nothing(spec_file, monkeypatch, capsys,
                                                                               caplog):
    dss = FakeDSS(responses)
    first = run(spec_file, monkeypatch)
    plugin = "/plugins/snowpark-container-services-llm"
    assert dss.calls == [("GET", "/plugins/"), ("POST", "/plugins/actions/installFromZip"),
                         ("GET", plugin + "/settings"), ("POST", plugin + "/code-env/actions/create"),
                         ("GET", "/futures/create-env"), ("POST", plugin + "/settings"),
                         ("GET", "/admin/connections/"), ("POST", "/admin/connections/")]
    assert first == ["plugin snowpark-container-services-llm %s: installed" % VERSION,
                     "code env %s: created" % ENV_NAME,
                     "connection spcs-llms: created with 2 model(s)"]
    assert dss.plugin_settings["codeEnvName"] == ENV_NAME
    sent = dss.received["spcs-llms"]
    assert sent["type"] == "CustomLLM" and sent["params"]["models"][0]["customConfig"]["pat"]["token"] == SECRET
    assert [m["capability"] for m in sent["params"]["models"]] == ["TEXT_COMPLETION_MULTIMODAL",
                                                                   "TEXT_EMBEDDING_EXTRACTION"]
    # DSS keeps the secret encrypted: what a second run reads back is not the clear value.
    assert dss.connections["spcs-llms"]["params"]["models"][0]["customConfig"]["pat"]["token"].startswith("e:AES:")

    dss.calls.clear()
    second = run(spec_file, monkeypatch)
    assert dss.calls == [("GET", "/plugins/"), ("GET", plugin + "/settings"), ("GET", "/admin/connections/"),
                         ("GET", "/admin/connections/spcs-llms")]
    assert second == ["plugin snowpark-container-services-llm %s: unchanged" % VERSION,
                      "code env %s: unchanged" % ENV_NAME, "connection spcs-llms: unchanged"]

    printed = "\n".join(first + second) + capsys.readouterr().out + caplog.text
    assert SECRET not in printed and API_KEY not in printed


@responses.activate
def test_old_plugin_is_updated_with_its_code_env_and_a_changed_connection_saved(spec_file, monkeypatch):
    stale = {"name": "spcs-llms", "type": "CustomLLM", "description": "SPCS models", "params": {"models": []}}
    dss = FakeDSS(responses, plugin_version="0.9.0", connections={"spcs-llms": stale}, code_env=ENV_NAME)
    lines = run(spec_file, monkeypatch)
    plugin = "/plugins/snowpark-container-services-llm"
    assert dss.calls == [("GET", "/plugins/"), ("POST", plugin + "/actions/updateFromZip"),
                         ("GET", plugin + "/settings"), ("POST", plugin + "/code-env/actions/update"),
                         ("GET", "/futures/update-env"),
                         ("GET", "/admin/connections/"), ("GET", "/admin/connections/spcs-llms"),
                         ("PUT", "/admin/connections/spcs-llms")]
    assert lines == ["plugin snowpark-container-services-llm: updated 0.9.0 -> %s" % VERSION,
                     "code env %s: updated" % ENV_NAME,
                     "connection spcs-llms: updated (params.models)"]
    assert SECRET not in "\n".join(lines)


@responses.activate
def test_params_models_and_settings_the_spec_does_not_own_are_kept(spec_file, monkeypatch):
    """An admin's own model, a param DSS or the admin set, a setting the spec leaves out: all survive."""
    mine = {"id": "llama-chat", "label": "Llama (SPCS)", "capability": "TEXT_COMPLETION_MULTIMODAL",
            "type": "snowpark-container-services-llm", "pluginId": "snowpark-container-services-llm", "enabled": True,
            "customConfig": {"llmEndpointUrl": "old-org-acct.snowflakecomputing.app",
                             "modelHandlingMode": "OPENAI_COMPATIBLE", "authMode": "PAT",
                             "pat": {"token": "e:AES:0badc0de"}, "spcsCreditsPerHourCost": 2.5}}
    theirs = {"id": "hand-made", "label": "Added in the UI", "capability": "TEXT_COMPLETION_MULTIMODAL",
              "type": "other-plugin-llm", "pluginId": "other-plugin", "customConfig": {"apiKey": "e:AES:1234"}}
    current = {"name": "spcs-llms", "type": "CustomLLM", "description": "SPCS models",
               "params": {"models": [theirs, mine], "dkuProperties": [{"name": "team", "value": "nlp"}]}}
    dss = FakeDSS(responses, plugin_version=VERSION, connections={"spcs-llms": current}, code_env=ENV_NAME)
    lines = run(spec_file, monkeypatch)
    assert lines[-1] == "connection spcs-llms: updated (params.models)"
    sent = dss.received["spcs-llms"]["params"]
    assert sent["dkuProperties"] == [{"name": "team", "value": "nlp"}]
    assert [m["id"] for m in sent["models"]] == ["hand-made", "llama-chat", "minilm"]
    assert sent["models"][0] == theirs
    config = sent["models"][1]["customConfig"]
    assert config["llmEndpointUrl"] == "abc-org-acct.snowflakecomputing.app"
    assert config["spcsCreditsPerHourCost"] == 2.5
    assert config["pat"]["token"] == SECRET  # saved anyway, so the spec's secret is the one DSS keeps


@responses.activate
def test_missing_secret_variable_is_a_clear_error(spec_file, monkeypatch):
    FakeDSS(responses)
    monkeypatch.delenv("SNOWFLAKE_PAT", raising=False)
    monkeypatch.setenv("DSS_API_KEY", API_KEY)
    with pytest.raises(SystemExit, match="environment variable SNOWFLAKE_PAT is not set"):
        main([spec_file, "--host", HOST], out=lambda *_: None)



def _spec_with_access(spec_file, **access):
    with open(spec_file) as f:
        spec = json.load(f)
    spec["connections"][0].update(access)
    with open(spec_file, "w") as f:
        json.dump(spec, f)


@responses.activate
def test_tightening_who_may_use_the_connection_is_applied_on_the_next_run(spec_file, monkeypatch):
    """Issue 23, item 15: ALL -> ALLOWED with groups is compared and written like every other field.

    Before, the second run printed "unchanged" and the connection stayed usable by every DSS user.
    """
    dss = FakeDSS(responses)
    _spec_with_access(spec_file, usable_by="ALL")
    run(spec_file, monkeypatch)
    assert (dss.received["spcs-llms"]["usableBy"], dss.received["spcs-llms"]["allowedGroups"]) == ("ALL", [])

    _spec_with_access(spec_file, usable_by="ALLOWED", allowed_groups=["data-scientists", "rag-builders"])
    lines = run(spec_file, monkeypatch)
    assert lines[-1] == "connection spcs-llms: updated (allowedGroups, usableBy)"
    saved = dss.connections["spcs-llms"]
    assert (saved["usableBy"], saved["allowedGroups"]) == ("ALLOWED", ["data-scientists", "rag-builders"])

    _spec_with_access(spec_file, usable_by="ALLOWED", allowed_groups=["rag-builders", "data-scientists"])
    assert run(spec_file, monkeypatch)[-1] == "connection spcs-llms: unchanged"  # the same groups, reordered

    _spec_with_access(spec_file, usable_by="ALLOWED", allowed_groups=["rag-builders"])
    assert run(spec_file, monkeypatch)[-1] == "connection spcs-llms: updated (allowedGroups)"
    assert dss.connections["spcs-llms"]["allowedGroups"] == ["rag-builders"]


@responses.activate
def test_a_spec_without_access_control_keeps_the_connections(spec_file, monkeypatch):
    current = {"name": "spcs-llms", "type": "CustomLLM", "description": "SPCS models", "usableBy": "ALLOWED",
               "allowedGroups": ["admins"], "params": {"models": []}}
    dss = FakeDSS(responses, plugin_version=VERSION, connections={"spcs-llms": current}, code_env=ENV_NAME)
    run(spec_file, monkeypatch)
    assert (dss.received["spcs-llms"]["usableBy"], dss.received["spcs-llms"]["allowedGroups"]) == ("ALLOWED",
                                                                                                   ["admins"])


@pytest.mark.parametrize("access, message", [
    ({"usable_by": "ALLOWED"}, "no allowed_groups would leave the connection to no one"),
    ({"usable_by": "EVERYONE"}, "usable_by must be one of ALL, ALLOWED"),
    ({"allowed_groups": ["a"]}, "'allowed_groups' needs usable_by: ALLOWED"),
    ({"usable_by": "ALLOWED", "allowed_groups": "admins"}, "must be a list of DSS group names"),
])
@responses.activate
def test_access_control_mistakes_are_spec_errors(spec_file, monkeypatch, access, message):
    FakeDSS(responses)
    _spec_with_access(spec_file, **access)
    with pytest.raises(SystemExit, match=message):
        run(spec_file, monkeypatch)
