"""The doctor names the real cause of each misconfiguration, and never prints a secret."""

import io
import os
import subprocess
import sys

from dss import ROOT, generate_keypair  # noqa: F401  (puts python-lib on the path)
from spcs_llm.admin.doctor import main, run_checks
from spcs_standin import Service, Timing


def failed(checks):
    return [(c.step, c.detail, c.fix) for c in checks if not c.ok]


def test_healthy_endpoint_passes_and_prints_settings_without_secrets(env, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PAT", env.pat)
    out = io.StringIO()
    code = main(["--endpoint", env.standin.url("openai"), "--auth", "PAT"], stream=out)
    text = out.getvalue()
    assert code == 0, text
    assert '"modelHandlingMode": "OPENAI_COMPATIBLE"' in text
    assert env.pat not in text and "<secret: enter it in the preset>" in text


def test_detects_registry_protocol(env, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PAT", env.pat)
    out = io.StringIO()
    assert main(["--endpoint", env.standin.url("st")], stream=out) == 0
    assert '"modelHandlingMode": "REGISTRY_SENTENCE_TRANSFORMERS"' in out.getvalue()


def test_wrong_token(env):
    config = env.config("openai", "PAT")
    config["pat"] = {"token": "pat-wrong"}
    (step, detail, fix), = failed(run_checks(config)[0])
    assert step == "ingress" and "rejected the programmatic access token" in detail
    assert "pat-wrong" not in detail + fix


def test_wrong_account_url(env):
    config = env.config("openai", "KEYPAIR_JWT")
    config["snowflakeAccountUrl"] = env.standin.url("openai")  # the ingress, not the account
    (step, detail, fix), = failed(run_checks(config)[0])
    assert step == "token exchange" and "snowflakeAccountUrl" in fix
    config["snowflakeAccountUrl"] = "http://127.0.0.1:9"  # nothing listens there
    (step, detail, fix), = failed(run_checks(config)[0])
    assert step == "token exchange" and "Could not reach Snowflake" in detail and "snowflakeAccountUrl" in detail


def test_suspended_service(env):
    env.standin.services["openai"].suspend()
    (step, detail, fix), = failed(run_checks(env.config("openai", "OAUTH"))[0])
    assert step == "ingress" and "suspended" in detail and "ALTER SERVICE" in fix


def test_wrong_protocol(env):
    config = env.config("openai", "PAT", modelHandlingMode="REGISTRY_SENTENCE_TRANSFORMERS")
    (step, detail, fix), = failed(run_checks(config)[0])
    assert step == "protocol" and "speaks OPENAI_COMPATIBLE" in detail
    assert fix == "Set 'modelHandlingMode' to OPENAI_COMPATIBLE."


def test_standin_by_default():
    out = io.StringIO()
    assert main([], stream=out) == 0, out.getvalue()
    assert "checking the local stand-in" in out.getvalue()


def serving(env, name, workers, **config):
    service = Service(name, "openai", timing=Timing(latency=0.1, workers=workers))
    env.standin.add_service(service)
    checks, fields = run_checks(env.config(name, "PAT", **config), capability="embedding")
    check, = [c for c in checks if c.step == "serving"]
    return check, fields, service


def test_serving_check_reports_a_service_that_serves_in_parallel(env):
    check, fields, service = serving(env, "parallel", workers=0)
    assert check.ok and "served in parallel" in check.detail, check.detail
    assert "sent at once" in check.detail and "coalesceWaitMs" not in fields  # automatic already does it
    assert service.counters["max_in_flight"] >= 2  # the probe really sent requests at once


def test_serving_check_suggests_automatic_instead_of_a_fixed_wait(env):
    check, fields, _ = serving(env, "parallel", workers=0, coalesceWaitMs=20)
    assert "fixed at 20 ms" in check.detail, check.detail
    assert fields["coalesceWaitMs"] == "auto"


def test_serving_check_keeps_the_wait_for_a_one_worker_service(env):
    check, fields, service = serving(env, "one-worker", workers=1)
    assert check.ok and "served one at a time" in check.detail, check.detail
    assert "wait for company" in check.detail and "coalesceWaitMs" not in fields
    assert service.counters["max_serving"] == 1


def test_serving_check_does_not_judge_a_service_too_quick_to_measure(env, monkeypatch):
    # "Too quick" is a wall-clock judgement: on a loaded machine the stand-in's answer can take
    # longer than the threshold, so the threshold is raised rather than the machine trusted.
    from spcs_llm.admin.doctor import serving
    monkeypatch.setattr(serving, "QUICKEST_TO_JUDGE", 60.0)
    checks, fields = run_checks(env.config("openai", "PAT"), capability="embedding")
    check, = [c for c in checks if c.step == "serving"]
    assert check.ok and "too quick to tell" in check.detail and "coalesceWaitMs" not in fields


def test_streaming_check_for_chat_models(env):
    checks, _ = run_checks(env.config("openai", "PAT"), capability="chat")
    streaming, = [c for c in checks if c.step == "streaming"]
    assert streaming.ok and "streamed in 8 chunks" in streaming.detail
    assert "chunks add up to the same text as the answer above" in streaming.detail


def test_streaming_check_of_a_mode_that_cannot_stream(env):
    checks, _ = run_checks(env.config("openai-chat-sig", "PAT"), capability="chat")
    streaming, = [c for c in checks if c.step == "streaming"]
    assert streaming.ok and "does not stream: the answer arrives as one chunk" in streaming.detail



def test_detects_each_reranking_protocol_and_runs_a_test_ranking(env, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PAT", env.pat)
    for name, kind, mode in (("vllm-rerank", "openai-rerank", "OPENAI_COMPATIBLE"),
                             ("tei-rerank", "tei-rerank", "TEXT_EMBEDDINGS_INFERENCE"),
                             ("cross-encoder", "registry-cross-encoder", "REGISTRY_CROSS_ENCODER")):
        env.standin.add_service(Service(name, kind))
        out = io.StringIO()
        assert main(["--endpoint", env.standin.url(name)], stream=out) == 0, out.getvalue()
        text = out.getvalue()
        assert '"modelHandlingMode": "%s"' % mode in text
        assert "speaks %s (reranking)" % mode in text and "test reranking" in text and "ranked 2 documents" in text


def test_reranking_capability_on_a_chat_endpoint_is_named(env):
    (step, detail, fix), = failed(run_checks(env.config("openai", "PAT"), capability="reranking")[0])
    assert step == "protocol" and "not in any protocol" in detail


def cli(env, tmp_path, *args):
    key_file = tmp_path / "key.p8"
    key_file.write_text(env.private_pem)
    args = [a.replace("{key}", str(key_file)) for a in args]
    out = io.StringIO()
    code = main(["--endpoint", env.standin.url("openai")] + list(args), stream=out)
    return code, out.getvalue()


def test_command_line_errors_name_the_doctors_flags_not_dss_fields(env, tmp_path, monkeypatch):
    monkeypatch.delenv("SNOWFLAKE_PAT", raising=False)
    cases = [
        (("--auth", "KEYPAIR_JWT"), "--account-url is required", "snowflakeAccountUrl"),
        (("--auth", "KEYPAIR_JWT", "--account-url", env.standin.account_url, "--user", "U",
          "--private-key-file", "{key}"), "--account is empty", "keypair.account"),
        (("--auth", "KEYPAIR_JWT", "--account-url", env.standin.account_url, "--account", "A", "--user", "U"),
         "--private-key-file is empty", "keypair.privateKey"),
        (("--auth", "PAT"), "(--pat-file, or $SNOWFLAKE_PAT) is empty", "pat.token"),
        (("--auth", "KEYPAIR_JWT", "--account-url", "http://127.0.0.1:9", "--account", env.account.name,
          "--user", env.user, "--private-key-file", "{key}"), "Check --account-url", "snowflakeAccountUrl"),
    ]
    for args, wanted, field in cases:
        code, text = cli(env, tmp_path, *args)
        assert code == 1 and wanted in text, (args, text)
        assert field not in text and "Invalid setting" not in text, text


def test_unreachable_endpoint_does_not_print_the_doctors_own_retry_settings(monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PAT", "pat-for-a-closed-port")
    out = io.StringIO()
    assert main(["--endpoint", "http://127.0.0.1:9", "--auth", "PAT"], stream=out) == 1
    text = out.getvalue()
    assert "[FAIL] ingress" in text and "connection refused" in text, text
    assert "maxRetries" not in text and "retryBudgetSeconds" not in text and "Gave up" not in text, text
    assert "Check --endpoint" in text and "llmEndpointUrl" not in text, text


def test_checks_for_dss_keep_naming_dss_fields(env):
    config = env.config("openai", "KEYPAIR_JWT")
    del config["snowflakeAccountUrl"]
    (step, detail, fix), = failed(run_checks(config)[0])
    assert step == "settings" and detail.startswith("Invalid setting 'snowflakeAccountUrl'")


def test_a_python_without_the_plugins_requirements_is_told_how_to_install_them(tmp_path):
    # -S leaves site-packages out: requests cannot be imported, as in a bare virtual environment.
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python-lib"))
    p = subprocess.run([sys.executable, "-S", "-m", "spcs_llm.doctor", "--help"], cwd=str(tmp_path), env=env,
                       capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "lacks 'requests'" in p.stderr
    assert "pip install -r code-env/python/spec/requirements.txt" in p.stderr


def test_cost_settings_step_says_when_costs_stay_zero(env):
    checks, _ = run_checks(env.config("openai", "PAT"), capability="chat", check_costs=True)
    costs, = [c for c in checks if c.step == "costs"]
    assert costs.ok and costs.warn and costs.status == "WARNING"
    assert "'spcsCreditsPerHourCost' and 'snowflakeCreditCost' are not set" in costs.detail
    assert "estimatedCost stays 0" in costs.detail
    checks, _ = run_checks(env.config("openai", "PAT", spcsCreditsPerHourCost=2, snowflakeCreditCost=3),
                           capability="chat", check_costs=True)
    costs, = [c for c in checks if c.step == "costs"]
    assert costs.status == "OK" and "$6.00 per busy hour" in costs.detail
    checks, _ = run_checks(env.config("openai", "PAT", spcsCreditsPerHourCost=2), capability="chat", check_costs=True)
    costs, = [c for c in checks if c.step == "costs"]
    assert costs.warn and "'snowflakeCreditCost' is not set" in costs.detail
