"""Push-down and Snowflake names (issue 23, items 5, 6, 7, 14 and 15), against the stand-in and the local engine.

Each scenario is one row of ``make reliability``'s "Push-down and Snowflake names" table: a
name (a function, a service, an endpoint, a key, a connection's access) is bound to exactly
the target it names. Shared by ``tests/test_pushdown_matrix.py`` (asserts every row) and
``devtools/reliability.py``.
"""

import copy
import time

from dss_harness import make_model, new_query, new_trace
from local_snowflake import LocalSnowflake
from spcs_standin import Service

from spcs_llm.admin.provision import provision
from spcs_llm.errors import ConfigError
from spcs_llm.pushdown import runner
from spcs_llm.pushdown.plan import Table, build_plan
from sharing_cases import Outcome

NOTES = Table('"DB"."SCH"."NOTES"', ("ID", "TEXT"))


def _engine(env, rows=200):
    engine = LocalSnowflake()
    engine.duck.execute('CREATE TABLE DB.SCH.NOTES ("ID" INTEGER, "TEXT" VARCHAR)')
    engine.duck.executemany("INSERT INTO DB.SCH.NOTES VALUES (?, ?)", [(i, "note %d" % i) for i in range(rows)])
    engine.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat)
    return engine


def _plan(services=None, **config):
    base = {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "textColumn": "TEXT"}
    return build_plan("embedding", dict(base, **config), NOTES, Table('"DB"."SCH"."OUT"', ()), services)


def null_keys_are_refused(env):
    """An incremental run over rows whose key is NULL (23.5)."""
    engine = _engine(env)
    engine.duck.execute('UPDATE DB.SCH.NOTES SET "ID" = NULL WHERE "ID" < 3')
    service = env.standin.services["st"]
    try:
        runner.run(_plan(serviceName="ML.SERVING.ST", endpointName="st-ep", incremental=True, keyColumn="ID"), engine)
        error = None
    except ConfigError as exc:
        error = exc
    sent = service.counters["requests"]
    ok = error is not None and error.field == "keyColumn" and sent == 0
    return ok, "%s; %d requests sent" % (str(error)[:90] if error else "ran", sent), sent


def each_binding_gets_its_own_function(env):
    """ML.SERVING.ST, then ML.STAGING.ST, then maxBatchRows 10 (23.6)."""
    env.standin.add_service(Service("st2", "registry-sentence-transformers"))
    engine = _engine(env)
    engine.bind('"ML"."STAGING"."ST"', env.standin.url("st2"), env.pat)
    serving, staging = env.standin.services["st"], env.standin.services["st2"]
    runner.run(_plan(serviceName="ML.SERVING.ST", endpointName="st-ep", maxBatchRows=200), engine)
    runner.run(_plan(serviceName="ML.STAGING.ST", endpointName="st2-ep", maxBatchRows=200), engine)
    runner.run(_plan(serviceName="ML.STAGING.ST", endpointName="st2-ep", maxBatchRows=10), engine)
    largest = max(len(r["body"]["data"]) for r in list(staging.requests)[-20:])
    functions = {s.split("(")[0] for s in engine.statements if s.startswith("CREATE OR REPLACE FUNCTION")}
    ok = serving.counters["items"] == 200 and staging.counters["items"] == 400 and largest == 10 and len(functions) == 3
    return ok, "serving got %d rows, staging %d; last batches of %d rows; %d functions" % (
        serving.counters["items"], staging.counters["items"], largest, len(functions)), \
        serving.counters["requests"] + staging.counters["requests"]


def the_url_picks_its_endpoint(env):
    """A service listing a ``ui`` endpoint before ``inference``; the recipe is given inference's URL (23.7)."""
    from spcs_llm.snowflake.services import Endpoint, ServiceInfo

    host = env.standin.host_of("st")
    listing = [ServiceInfo("ST", "ML", "SERVING", "READY", "POOL",
                           [Endpoint("ui", "ui-of-st.standin.invalid", True), Endpoint("inference", host, True)])]
    engine = _engine(env)
    engine.bind('"ML"."SERVING"."ST"', env.standin.url("st"), env.pat,
                endpoints={"ui": env.standin.url("openai"), "inference": env.standin.url("st")})
    plan = _plan(listing, endpointUrl=env.standin.url("st"), maxBatchRows=50)
    report = runner.run(plan, engine)
    ui_requests = env.standin.services["openai"].counters["requests"]
    ok = plan.call.endpoint == "inference" and report.rows_written == 200 and ui_requests == 0
    return ok, "ENDPOINT = %s; %s rows written; %d requests to ui" % (
        plan.call.endpoint, report.rows_written, ui_requests), env.standin.services["st"].counters["requests"]


def auto_resume_finds_a_quoted_service(env):
    """Auto-resume of a service created as ML.SERVING."embed-svc", found from the ingress URL (23.14)."""
    env.standin.sql.names["openai"] = "embed-svc"
    env.standin.sql.resume_seconds = 0.2
    env.standin.services["openai"].suspend()
    model = make_model("chat", env.config("openai", "KEYPAIR_JWT", autoResume=True, autoResumePollSeconds=0.05))
    query = new_query()
    query.with_message("are you awake?")
    answer = model.process(query.cq, {}, new_trace())["text"]
    resumes = [s for s in env.standin.sql.statements if s.upper().startswith("ALTER SERVICE")]
    ok = answer == "Turn 1. You said: are you awake?" and resumes == ['ALTER SERVICE "ML"."SERVING"."embed-svc" RESUME']
    return ok, "%s; answered" % (resumes[0] if resumes else "no ALTER SERVICE"), \
        env.standin.services["openai"].counters["requests"]


class _Connections:
    """The slice of dataikuapi's DSSClient and DSSConnection that provisioning uses, in memory."""

    def __init__(self):
        self.definitions = {}

    def list_connections(self):
        return dict(self.definitions)

    def create_connection(self, name, type, params=None, usable_by="ALL", allowed_groups=None, description=None):
        self.definitions[name] = {"name": name, "type": type, "params": params, "usableBy": usable_by,
                                  "allowedGroups": allowed_groups or [], "description": description}

    def get_connection(self, name):
        client = self

        class Connection:
            def get_definition(self):
                return copy.deepcopy(client.definitions[name])

            def set_definition(self, definition):
                client.definitions[name] = copy.deepcopy(definition)

        return Connection()


def provisioning_applies_access_control(env):
    """A spec tightened from usable_by ALL to ALLOWED with groups, run again (23.15)."""
    client = _Connections()
    spec = {"connections": [{"name": "spcs-llms", "usable_by": "ALL", "models": [
        {"id": "minilm", "capability": "TEXT_EMBEDDING", "settings": {"llmEndpointUrl": "abc-org-acct.snowflakecomputing.app"}}]}]}
    provision(client, spec, out=lambda *_: None)
    spec["connections"][0].update(usable_by="ALLOWED", allowed_groups=["rag-builders"])
    changes = provision(client, spec, out=lambda *_: None)
    saved = client.definitions["spcs-llms"]
    ok = (saved["usableBy"], saved["allowedGroups"]) == ("ALLOWED", ["rag-builders"])
    return ok, "%s; usableBy %s, allowedGroups %s" % (changes[-1] if changes else "unchanged", saved["usableBy"],
                                                    saved["allowedGroups"]), 0


SCENARIOS = [
    ("incremental run, 3 input rows with a NULL key", "refused naming 'keyColumn' before any row is sent",
     null_keys_are_refused),
    ("ML.SERVING.ST, then ML.STAGING.ST, then maxBatchRows 10", "each run's rows go to its service in its batch size",
     each_binding_gets_its_own_function),
    ("endpoint URL of inference, a ui endpoint listed first", "the function is bound to inference",
     the_url_picks_its_endpoint),
    ('auto-resume of ML.SERVING."embed-svc" found by URL', "resumed by its quoted name, then answers",
     auto_resume_finds_a_quoted_service),
    ("provisioning: usable_by ALL -> ALLOWED [rag-builders]", "the connection's access is updated",
     provisioning_applies_access_control),
]


def run_scenario(env, scenario):
    """Run one scenario of ``SCENARIOS``; return its ``Outcome``."""
    name, expected, fn = scenario
    started = time.monotonic()
    ok, outcome, requests = fn(env)
    return Outcome(name, expected, ok, outcome, requests, time.monotonic() - started)

