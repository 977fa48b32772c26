"""The *Test this model* macro, run as DSS runs a macro, on a connection read from a fake DSS API.

The connection's JSON is what provisioning writes (``provision.connection_params``), its
models' presets are references (DSS keeps the values), and the macro's own preset fields
hold the values as DSS resolves them for the running user. The models answer from the
stand-in over real sockets; the DSS public API is recorded with ``responses``, with a real
``dataikuapi.DSSClient`` as ``dataiku.api_client()``.
"""

import json
import re

import dataiku
import pytest
import responses
from dataikuapi import DSSClient

from dss import ROOT  # noqa: F401  (sets up the paths)
from dss_runnables import run_macro
from spcs_llm.admin import model_test
from spcs_llm.admin.provision import connection_params
from spcs_llm.errors import ConfigError
from spcs_standin import Service

HOST = "https://dss.example.com"
PRESET_KEYS = ("oauth", "keypair", "pat")


def model_entry(env, model_id, service, mode, capability, **extra):
    settings = {k: v for k, v in env.config(service, mode, **extra).items() if k not in PRESET_KEYS}
    settings[{"OAUTH": "oauth", "KEYPAIR_JWT": "keypair", "PAT": "pat"}[mode]] = {"mode": "PRESET",
                                                                                  "name": "prod"}
    return {"id": model_id, "label": model_id, "capability": capability, "settings": settings}


class FakeDSS:
    """The two DSS public API calls the macro makes, with a Custom LLM connection as provisioning writes it."""

    def __init__(self, rsps, connections, admin=True):
        self.connections = connections
        base = HOST + "/dip/publicapi"
        rsps.add_passthru(re.compile(r"http://127\.0\.0\.1"))  # the stand-in's models, over real sockets
        rsps.add_callback("GET", base + "/connections/get-names", callback=self._names)
        rsps.add_callback("GET", re.compile(base + r"/admin/connections/[^/]+$"),
                          callback=self._get if admin else self._refused)

    def _names(self, request):
        return 200, {}, json.dumps(sorted(self.connections))

    def _get(self, request):
        name = request.path_url.rsplit("/", 1)[1]
        return 200, {}, json.dumps({"name": name, "type": "CustomLLM", "params": self.connections[name]})

    def _refused(self, request):
        return 403, {}, json.dumps({"errorType": "com.dataiku.dip.exceptions.UnauthorizedException",
                                    "message": "Action forbidden, you are not admin"})


@pytest.fixture
def dss(env, monkeypatch):
    env.standin.add_service(Service("tei-rerank", "tei-rerank"))
    params = connection_params({"name": "spcs-llms", "models": [
        model_entry(env, "chat", "openai", "PAT", "TEXT_COMPLETION"),
        model_entry(env, "minilm", "st", "KEYPAIR_JWT", "TEXT_EMBEDDING", spcsCreditsPerHourCost=2,
                    snowflakeCreditCost=3)]})
    reranker = model_entry(env, "reranker", "tei-rerank", "PAT", "TEXT_COMPLETION")
    params["models"].append(dict(params["models"][0], id="reranker", label="reranker", capability="RERANKING",
                                 customConfig=reranker["settings"]))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeDSS(rsps, {"spcs-llms": params, "other": {"models": []}})
        monkeypatch.setattr(dataiku, "api_client", lambda: DSSClient(HOST, "api-key-of-the-admin"), raising=False)
        yield fake


def presets(env, *modes):
    """The macro's preset fields as DSS resolves them for the user running it."""
    return {k: v for mode in modes for k, v in env.auth(mode).items() if k in PRESET_KEYS}


def by_model(run):
    assert run.error is None, run.error
    rows = {}
    for row in run.rows():
        rows.setdefault(row["model"], {})[row["step"]] = row
    return rows


def test_tests_every_model_of_the_connection_with_its_capability(env, dss):
    run = run_macro("test-model", dict(connection="spcs-llms", model=model_test.ALL_MODELS,
                                       **presets(env, "PAT", "KEYPAIR_JWT")))
    rows = by_model(run)
    assert set(rows) == {"chat", "minilm", "reranker"}
    chat, minilm, reranker = rows["chat"], rows["minilm"], rows["reranker"]
    for step in ("settings", "token exchange", "ingress", "protocol", "test chat", "streaming"):
        assert chat[step]["result"] == "OK", chat[step]
    assert "answered" in chat["test chat"]["detail"] and "streamed in" in chat["streaming"]["detail"]
    assert minilm["test embedding"]["result"] == "OK" and "384 dimensions" in minilm["test embedding"]["detail"]
    assert "key-pair JWT exchanged" in minilm["token exchange"]["detail"]
    assert reranker["test reranking"]["result"] == "OK" and "ranked 2 documents" in reranker["test reranking"]["detail"]
    assert "test chat" not in minilm and "test embedding" not in reranker  # each model its own capability
    # The cost settings: filled on one model, missing on the others, and said so in plain words.
    assert minilm["costs"]["result"] == "OK" and "$6.00 per busy hour" in minilm["costs"]["detail"]
    assert chat["costs"]["result"] == "WARNING" and "estimatedCost stays 0" in chat["costs"]["detail"]
    assert "'spcsCreditsPerHourCost'" in chat["costs"]["fix"] and "'snowflakeCreditCost'" in chat["costs"]["fix"]
    assert run.table["header"] == "3 model(s) of connection spcs-llms tested: all passed."
    assert [c["displayName"] for c in run.table["columns"]] == ["Model", "Step", "Result", "What was seen",
                                                               "What to do"]
    # Progress as DSS receives it: percent, never backwards, ending full.
    assert run.progress_info == {"target": 100, "unit": "NONE"}
    assert len(run.progress) >= 10 and run.progress == sorted(run.progress) and run.progress[-1] == 100
    assert env.pat not in run.result and "PRIVATE KEY" not in run.result


def test_one_model_of_the_connection(env, dss):
    run = run_macro("test-model", dict(connection="spcs-llms", model="minilm", **presets(env, "KEYPAIR_JWT")))
    assert set(by_model(run)) == {"minilm"}


def test_a_model_whose_preset_the_macro_lacks_says_which_field_to_fill(env, dss):
    run = run_macro("test-model", dict(connection="spcs-llms", model="minilm", **presets(env, "PAT")))
    row = by_model(run)["minilm"]["credential"]
    assert row["result"] == "FAILED" and "KEYPAIR_JWT" in row["detail"] and "'Key pair' field" in row["fix"]
    assert run.table["header"].endswith("minilm need(s) attention.")


def test_a_suspended_service_is_named_and_resumed_only_when_asked_with_progress_while_it_waits(env, dss):
    env.standin.services["openai"].suspend()
    config = dict(connection="spcs-llms", model="chat", **presets(env, "PAT"))
    rows = by_model(run_macro("test-model", config))["chat"]
    assert rows["ingress"]["result"] == "FAILED" and "suspended" in rows["ingress"]["detail"]
    assert rows["resume"]["result"] == "FAILED" and "Tick 'Resume a suspended service'" in rows["resume"]["fix"]
    assert env.standin.services["openai"].status() == "SUSPENDED"

    env.standin.sql.resume_seconds = 0.4
    # Resuming goes through SQL, which a PAT model can do once it names its account.
    config.update(resumeSuspended=True, pollSeconds=0.05)
    dss.connections["spcs-llms"]["models"][0]["customConfig"]["snowflakeAccountUrl"] = env.standin.account_url
    run = run_macro("test-model", config)
    rows = by_model(run)["chat"]
    assert rows["resume"]["result"] == "OK" and "READY after" in rows["resume"]["detail"], rows["resume"]
    assert "PENDING → READY" in rows["resume"]["detail"]
    assert rows["test chat (after resume)"]["result"] == "OK"
    assert any(s.startswith("ALTER SERVICE") for s in env.standin.sql.statements)
    assert run.progress == sorted(run.progress) and run.progress[-1] == 100
    polls = len([s for s in env.standin.sql.statements if "GET_SERVICE_STATUS" in s])
    assert len(run.progress) >= polls >= 3  # a progress report per poll while it waited


def test_the_form_lists_the_custom_llm_connections_then_their_models(env, dss):
    client = dataiku.api_client()
    assert [c["value"] for c in model_test.choices("connection", {}, client)] == ["other", "spcs-llms"]
    models = model_test.choices("model", {"connection": "spcs-llms"}, client)
    assert [m["value"] for m in models] == [model_test.ALL_MODELS, "chat", "minilm", "reranker"]
    assert models[2]["label"] == "minilm (embedding)" and models[3]["label"] == "reranker (reranking)"


def test_a_connection_without_models_of_this_plugin_and_a_missing_choice_are_refused(env, dss):
    run = run_macro("test-model", dict(connection="other"))
    assert isinstance(run.error, ConfigError) and "has no model of this plugin" in str(run.error)
    run = run_macro("test-model", dict(connection=""))
    assert isinstance(run.error, ConfigError) and "'connection'" in str(run.error)
    run = run_macro("test-model", dict(connection="spcs-llms", model="nope"))
    assert isinstance(run.error, ConfigError) and "has no model 'nope'" in str(run.error)


def test_a_user_who_may_not_read_the_connection_is_told_it_needs_an_administrator(env, monkeypatch):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeDSS(rsps, {"spcs-llms": {}}, admin=False)
        monkeypatch.setattr(dataiku, "api_client", lambda: DSSClient(HOST, "api-key-of-a-user"), raising=False)
        run = run_macro("test-model", dict(connection="spcs-llms"))
    assert isinstance(run.error, ConfigError) and "needs a DSS administrator" in str(run.error)
    assert "api-key-of-a-user" not in str(run.error)


def test_the_macro_reads_what_provisioning_writes():
    params = connection_params({"name": "c", "models": [
        {"id": "m1", "capability": "TEXT_COMPLETION", "settings": {"llmEndpointUrl": "a.example"}},
        {"id": "m2", "capability": "TEXT_EMBEDDING", "settings": {"llmEndpointUrl": "b.example"}}]})
    models = model_test.connection_models({"params": params})
    assert [(m["id"], m["capability"], m["config"]) for m in models] == [
        ("m1", "chat", {"llmEndpointUrl": "a.example"}), ("m2", "embedding", {"llmEndpointUrl": "b.example"})]
