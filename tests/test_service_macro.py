"""The services macro, loaded as DSS loads it, against the stand-in through the real connector."""

import importlib.util
import os

import pytest

from dss import ROOT  # noqa: F401  (sets up the paths)
from spcs_llm.errors import ConfigError


def load_runnable():
    path = os.path.join(ROOT, "python-runnables", "spcs-services", "runnable.py")
    spec = importlib.util.spec_from_file_location("dss_macro", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MyRunnable


def run_macro(env, mode="KEYPAIR_JWT", **params):
    config = {k: v for k, v in env.config("openai", mode).items()
              if k in ("authMode", "oauth", "keypair", "pat")}
    config["snowflakeAccountUrl"] = env.standin.account_url
    config.update(params)
    return load_runnable()("PROJECT", config, {}).run(lambda *_: None)


@pytest.mark.parametrize("mode", ["OAUTH", "KEYPAIR_JWT", "PAT"])
def test_lists_services_with_ready_to_paste_urls(env, mode):
    report = run_macro(env, mode)
    assert "%d service(s) visible" % len(env.standin.services) in report
    assert "<code>%s</code>" % env.standin.url("openai") in report
    assert "ML.SERVING.OPENAI" in report and "STANDIN_POOL" in report


def test_resume_waits_until_ready_and_suspend(env):
    env.standin.sql.resume_seconds = 0.3
    report = run_macro(env, action="SUSPEND", serviceName="ML.SERVING.ST")
    assert "ALTER SERVICE ML.SERVING.ST SUSPEND: done." in report
    assert env.standin.services["st"].status() == "SUSPENDED"
    report = run_macro(env, action="RESUME", serviceName="ML.SERVING.ST", pollSeconds=0.05)
    assert "ML.SERVING.ST is READY (statuses seen: PENDING → READY)." in report
    assert env.standin.services["st"].status() == "READY"


def test_bad_service_name_is_refused_before_any_sql(env):
    with pytest.raises(ConfigError, match="serviceName"):
        run_macro(env, action="RESUME", serviceName="st; DROP SERVICE x")
    assert env.standin.sql.statements == []
