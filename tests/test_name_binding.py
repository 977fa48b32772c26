"""Rule 6 of issue 23 hunted across the code: a name is bound to exactly one target.

The paths, each tested here or in the file named:
- service functions the recipes create: named after their whole binding
  (``test_pushdown_binding.py``, property test over bindings);
- services found by name or ingress URL, endpoints by URL or default
  (``test_pushdown_binding.py``); a host listed under two services is refused, not picked;
- services auto-resume discovers: their quoted name (``test_admin_sql.py``);
- the optional vector view: created or replaced beside its output, never the output itself;
- query tags: one per run, so the query history lookup finds this run only;
- cached token providers: a key-pair token is scoped to one ingress host, so two models on two
  hosts never share one (PAT and OAuth tokens are not host-scoped: sharing them is right);
- the connection's access control in provisioning (``test_provision.py``);
- the long query's id, known before it ends outside DSS (connector's ``execute_async``).
"""

import pytest

from dss import ROOT  # noqa: F401  (puts python-lib on sys.path)
from spcs_llm.errors import ConfigError, ServiceError
from spcs_llm.pushdown import engines, runner, sql
from spcs_llm.pushdown.plan import Table, build_plan
from spcs_llm.snowflake.services import Endpoint, ServiceInfo, service_for_host

EMBED = {"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS", "textColumn": "TEXT", "serviceName": "ML.S.ST",
         "endpointName": "inference", "vectorDimensions": 384}
OUT = Table('"DB"."SCH"."OUT"', ())


def plan(**config):
    return build_plan("embedding", dict(EMBED, **config), Table('"DB"."SCH"."NOTES"', ("ID", "TEXT")), OUT)


def test_a_host_listed_under_two_services_is_refused_not_picked():
    services = [ServiceInfo(n, "ML", "S", "READY", "P", [Endpoint("inference", "h-org-acct.snowflakecomputing.app",
                                                                  True)]) for n in ("A", "B")]
    with pytest.raises(ServiceError, match='several services \\("ML"."S"."A", "ML"."S"."B"\\)'):
        service_for_host(services, "h-org-acct.snowflakecomputing.app")


def test_the_vector_view_is_bound_beside_its_output():
    ddl = sql.vector_view_ddl(plan(vectorView="NOTES_VECTORS"))
    assert ddl.startswith('CREATE OR REPLACE VIEW "DB"."SCH"."NOTES_VECTORS" AS\nSELECT *, ')
    assert ddl.endswith('FROM "DB"."SCH"."OUT"')
    assert 'PARSE_JSON("embedding"::VARCHAR)::ARRAY::VECTOR(FLOAT, 384) AS "embedding_vector"' in ddl
    with pytest.raises(ConfigError, match="'vectorView'.*the output table itself"):
        plan(vectorView="OUT")
    with pytest.raises(ConfigError, match="'vectorView'.*needs 'vectorDimensions'"):
        plan(vectorView="V", vectorDimensions=0)


def test_each_run_has_its_own_query_tag():
    tags = {runner.new_query_tag() for _ in range(1000)}
    assert len(tags) == 1000 and all(t.startswith("spcs-pushdown-") for t in tags)


def test_a_keypair_token_provider_is_never_shared_across_ingress_hosts(env):
    from spcs_llm.auth import providers
    from spcs_llm.settings import parse_settings

    def provider(service):
        settings = parse_settings(env.config(service, "KEYPAIR_JWT"))
        return providers.provider_for(settings, None)

    assert provider("openai") is provider("openai")  # one model's calls share one
    assert provider("openai") is not provider("st")  # the token's scope names the host


class _Cursor:
    """The connector cursor's slice the engine uses, recording the order of events."""

    def __init__(self, log):
        self.log = log
        self.sfqid = None

    def execute_async(self, statement):
        self.sfqid = "01b2-query-id"
        self.log.append(("submitted", statement))

    def close(self):
        self.log.append(("closed",))


class _Connection:
    def __init__(self, polls):
        self.log = []
        self.polls = polls

    def cursor(self):
        return _Cursor(self.log)

    def get_query_status_throw_if_error(self, query_id):
        self.log.append(("status", query_id))
        self.polls -= 1
        return "RUNNING" if self.polls > 0 else "SUCCESS"

    def is_still_running(self, status):
        return status == "RUNNING"


def test_outside_dss_the_long_querys_id_is_logged_before_it_ends():
    """Issue 26, item 2: the connector's documented asynchronous pattern (execute_async, then poll)."""
    conn = _Connection(polls=3)
    seen = []
    engine = engines.ConnectorEngine(conn, sleep=lambda s: conn.log.append(("slept", s)), poll=2.0)
    query_id = engine.execute("INSERT INTO T SELECT 1", on_start=lambda qid: seen.append((qid, len(conn.log))))
    assert query_id == "01b2-query-id"
    assert seen == [("01b2-query-id", 1)]  # told right after submitting, before any status poll
    assert [e[0] for e in conn.log] == ["submitted", "status", "slept", "status", "slept", "status", "closed"]
