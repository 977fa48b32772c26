"""Canary secrets never reach a log record, an exception, a trace, the doctor's output or a repr."""

import io
import logging

from dss import generate_keypair, make_llm, make_model, new_query, new_trace
from spcs_llm.admin.doctor import main as doctor

PASSPHRASE = "CANARY-PASSPHRASE-7f3a"
OAUTH = "CANARY-OAUTH-TOKEN-91bd"
PAT = "CANARY-PAT-TOKEN-c0de"


def test_no_canary_anywhere(env, caplog, capsys, tmp_path, monkeypatch):
    caplog.set_level(logging.DEBUG)
    private, public = generate_keypair(passphrase=PASSPHRASE)
    env.account.register_public_key("CANARY_USER", public)
    env.account.issue_oauth_access_token("ALICE", lifetime=3600, value=OAUTH)
    env.account.register_pat("ALICE", value=PAT)
    configs = [
        dict(env.config("openai", "OAUTH"), oauth={"snowflake_oauth": OAUTH}),
        dict(env.config("openai", "PAT"), pat={"token": PAT}),
        dict(env.config("openai", "KEYPAIR_JWT"), keypair={"account": env.account.name, "user": "CANARY_USER",
                                                           "privateKey": private, "privateKeyPassphrase": PASSPHRASE}),
    ]
    seen, traces = [], []
    q = new_query()
    q.with_message("hello")
    for config in configs:
        llm = make_llm(config)
        trace = new_trace()
        traces.append(trace)
        llm.process(q.cq, {}, trace)
        list(llm.process_stream(q.cq, {}, trace))
        make_model("embedding", config).process({"text": "x"}, {}, trace)
        seen.append(repr(llm.client.settings) + repr(llm.client.settings.credential))
        env.account.expire("session")
        env.account.expire("ingress")
        llm.process(q.cq, {}, trace)  # renewal paths
    # Failure paths: everything expired, a revoked PAT, a wrong passphrase.
    for kind in ("session", "master", "oauth", "ingress"):
        env.account.expire(kind)
    failing = [configs[0], dict(configs[1], pat={"token": PAT + "-revoked"}),
               dict(configs[2], keypair=dict(configs[2]["keypair"], privateKeyPassphrase=PASSPHRASE + "x"))]
    for config in failing:
        try:
            make_llm(config).process(q.cq, {}, new_trace())
        except Exception as exc:  # collected and searched below
            seen.append(repr(exc) + str(exc))
    # The doctor, with debug logging, on success and on failure.
    key_file = tmp_path / "key.p8"
    key_file.write_text(private)
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("SNOWFLAKE_PAT", PAT + "-revoked")
    out = io.StringIO()
    doctor(["--endpoint", env.standin.url("openai"), "--auth", "KEYPAIR_JWT", "--account-url", env.standin.account_url,
            "--account", env.account.name, "--user", "CANARY_USER", "--private-key-file", str(key_file),
            "--verbose"], stream=out)
    doctor(["--endpoint", env.standin.url("openai"), "--auth", "PAT", "--verbose"], stream=out)
    seen.append(out.getvalue())
    assert "[ OK ] test chat" in out.getvalue() and "[FAIL]" in out.getvalue()

    captured = capsys.readouterr()
    haystack = "\n".join(seen + [r.getMessage() for r in caplog.records] + [repr(t.span) for t in traces]
                         + [captured.out, captured.err])
    canaries = [OAUTH, PAT, PASSPHRASE, private.splitlines()[1]] + list(env.account.issued)
    leaked = [c for c in canaries if c in haystack]
    assert not leaked


def test_no_canary_in_the_connector_paths(env, caplog, capsys):
    """The services macro and auto-resume go through snowflake-connector-python, which logs at DEBUG."""
    from spcs_llm.admin import service_macro

    caplog.set_level(logging.DEBUG)
    private, public = generate_keypair(passphrase=PASSPHRASE)
    env.account.register_public_key("CANARY_USER", public)
    env.account.issue_oauth_access_token("ALICE", lifetime=3600, value=OAUTH)
    env.account.register_pat("ALICE", value=PAT)
    presets = [{"authMode": "OAUTH", "oauth": {"snowflake_oauth": OAUTH}},
               {"authMode": "PAT", "pat": {"token": PAT}},
               {"authMode": "KEYPAIR_JWT", "keypair": {"account": env.account.name, "user": "CANARY_USER",
                                                       "privateKey": private, "privateKeyPassphrase": PASSPHRASE}}]
    seen = []
    for preset in presets:
        seen.append(service_macro.run(dict(preset, snowflakeAccountUrl=env.standin.account_url)))
    env.standin.sql.resume_seconds = 0.1
    env.standin.services["openai"].suspend()
    llm = make_llm(dict(env.config("openai"), snowflakeAccountUrl=env.standin.account_url, autoResume=True,
                        autoResumePollSeconds=0.05, **presets[2]))
    q = new_query()
    q.with_message("hello")
    seen.append(llm.process(q.cq, {}, new_trace())["text"])
    captured = capsys.readouterr()
    haystack = "\n".join(seen + [r.getMessage() for r in caplog.records] + [captured.out, captured.err])
    canaries = [OAUTH, PAT, PASSPHRASE, private.splitlines()[1]] + list(env.account.issued)
    assert [c for c in canaries if c in haystack] == []
