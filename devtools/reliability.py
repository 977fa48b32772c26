"""``make reliability``: run the fault matrix, the load run and the bad inputs; print the README tables."""

import logging
import platform
import sys
import time

from dss_harness import generate_keypair
from standin_env import Env

from bad_inputs import BAD_CALL_INPUTS, BAD_INPUTS, run_bad_call, run_bad_input
from hostile_cases import HOSTILE_CASES, HOSTILE_SETTINGS, run_setting, shown_secrets
from load_run import run_load
from reliability_cases import CASES, run_case
from sharing_cases import SCENARIOS, run_scenario
import pushdown_cases
import edge_cases

class _Records(logging.Handler):
    """Keeps every log record (any level), to search them for secrets."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def hostile_tables(keypair):
    """Print the hostile-server and hostile-setting tables (issue 14); return the number of failed rows."""
    failures = 0
    print("### Hostile servers\n")
    print("Servers that trickle, never finish, send too much or quote our secrets and our input back. Every "
          "error and every log line of each row (DEBUG included) is searched for every credential and token "
          "of the stand-in.\n")
    print("| server | expected | outcome | requests | seconds | secrets shown |\n|---|---|---|---|---|---|")
    records = _Records()
    root = logging.getLogger()
    root.addHandler(records)
    level, root.level = root.level, logging.DEBUG
    try:
        for case in HOSTILE_CASES:
            records.lines = []
            env = Env(keypair)
            started = time.monotonic()
            result, error, requests = run_case(env, case)
            seconds = time.monotonic() - started
            env.standin.services[case.service].faults.gate.set()
            shown = shown_secrets(env, error, *records.lines)
            env.stop()
            ok = (error is None) if case.error is None else (isinstance(error, case.error)
                                                              and case.message in str(error))
            ok = ok and not shown
            failures += not ok
            outcome = "succeeded" if error is None else "%s: %s" % (type(error).__name__,
                                                                   str(error)[:110].replace("|", "/"))
            print("| %s | %s | %s %s | %d | %.2f | %d |" % (case.name, case.expected, "✅" if ok else "❌", outcome,
                                                          requests, seconds, len(shown)))
    finally:
        root.removeHandler(records)
        root.level = level
    print("\n| setting | refused in set_config |\n|---|---|")
    env = Env(keypair)
    for name, overrides, field in HOSTILE_SETTINGS:
        error = run_setting(env, overrides)
        ok = error is not None and error.field == field
        failures += not ok
        print("| %s | %s `%s` |" % (name, "✅" if ok else "❌", str(error)[:120].replace("|", "/")))
    env.stop()
    print()
    return failures


def sharing_table(keypair):
    """Print the shared-requests and parallelism table (issue 14); return the number of failed rows."""
    print("### Shared requests and parallelism\n")
    print("| scenario | expected | outcome | requests | seconds |\n|---|---|---|---|---|")
    failures = 0
    for scenario in SCENARIOS:
        env = Env(keypair)
        o = run_scenario(env, scenario)
        env.stop()
        failures += not o.ok
        print("| %s | %s | %s %s | %d | %.2f |" % (o.name, o.expected, "✅" if o.ok else "❌",
                                                 o.outcome.replace("|", "/"), o.requests, o.seconds))
    print()
    return failures


def pushdown_table(keypair):
    """Print the push-down and Snowflake names table (issue 23, items 5, 6, 7, 14, 15); return the failed rows."""
    print("### Push-down and Snowflake names\n")
    print("A name is bound to exactly the target it names: a function to its service, endpoint and batch size, a "
          "discovered service to its quoted name, a key to one row, a connection to the groups that may use it.\n")
    print("| scenario | expected | outcome | requests | seconds |\n|---|---|---|---|---|")
    failures = 0
    for scenario in pushdown_cases.SCENARIOS:
        env = Env(keypair)
        o = pushdown_cases.run_scenario(env, scenario)
        env.stop()
        failures += not o.ok
        print("| %s | %s | %s %s | %d | %.2f |" % (o.name, o.expected, "✅" if o.ok else "❌",
                                                 o.outcome.replace("|", "/"), o.requests, o.seconds))
    print()
    return failures


def edges_table(keypair):
    """Print the "Edges" tables (issue 23), one per area of devtools/edge_cases; return the failed rows."""
    failures = 0
    print("### Edges\n")
    print("No answer reaches the wrong caller, row or service; server text goes through one funnel; a call ends "
          "within its deadline and its cancellation.\n")
    for heading, scenarios in edge_cases.areas():
        print("#### %s\n" % heading)
        print("| scenario | expected | outcome | requests | seconds |\n|---|---|---|---|---|")
        for scenario in scenarios:
            env = Env(keypair)
            o = edge_cases.run_scenario(env, scenario)
            env.stop()
            failures += not o.ok
            print("| %s | %s | %s %s | %d | %.2f |" % (o.name, o.expected, "✅" if o.ok else "❌",
                                                     o.outcome.replace("|", "/"), o.requests, o.seconds))
        print()
    return failures


def main():
    logging.basicConfig(level=logging.ERROR)
    for handler in logging.getLogger().handlers:  # the hostile rows record DEBUG; the console shows errors only
        handler.setLevel(logging.ERROR)
    keypair = generate_keypair()
    if sys.argv[1:] == ["--hostile"]:  # this group alone, without the load run
        return 1 if hostile_tables(keypair) else 0
    print("## Reliability\n")
    print("Produced by `make reliability` on %s, Python %s, %s.\n" % (
        time.strftime("%Y-%m-%d"), platform.python_version(), platform.machine()))
    print("### Fault matrix\n")
    print("| fault | expected | outcome | requests | seconds |\n|---|---|---|---|---|")
    failures = 0
    for case in CASES:
        env = Env(keypair)
        started = time.monotonic()
        result, error, requests = run_case(env, case)
        seconds = time.monotonic() - started
        env.stop()
        ok = (error is None) if case.error is None else (isinstance(error, case.error) and case.message in str(error))
        failures += not ok
        outcome = "succeeded" if error is None else "%s: %s" % (type(error).__name__, str(error)[:110].replace("|", "/"))
        print("| %s | %s | %s %s | %d | %.2f |" % (case.name, case.expected, "✅" if ok else "❌", outcome, requests,
                                                 seconds))
    print()
    failures += hostile_tables(keypair)
    failures += sharing_table(keypair)
    failures += pushdown_table(keypair)
    failures += edges_table(keypair)
    print("### Load run\n")
    f = run_load(calls=5000, parallelism=32, fault_rate=0.05)
    failures += bool(f["errors"] or f["wrong"] or f["correct"] != f["calls"])
    print("| figure | value |\n|---|---|")
    for key in ("calls", "parallelism", "fault_rate", "answered", "correct", "faults_injected", "requests",
                "oauth_logins", "jwt_exchanges", "seconds", "calls_per_second", "memory_after_warmup_kib",
                "memory_at_end_kib"):
        print("| %s | %s |" % (key, f[key]))
    print("| wrong, lost or duplicate answers | %d |" % (len(f["wrong"]) + len(f["errors"])))
    print("\n### Bad inputs\n")
    print("| input | error |\n|---|---|")
    env = Env(keypair)
    for name, kind, service, query, error, message in BAD_INPUTS:
        exc = run_bad_input(env, kind, service, query)
        ok = isinstance(exc, error) and message in str(exc)
        failures += not ok
        print("| %s | %s `%s: %s` |" % (name, "✅" if ok else "❌", type(exc).__name__, str(exc)[:120].replace("|", "/")))
    print("\n### Bad call settings, malformed messages and keys\n")
    print("Each fails before any request is sent, naming the setting or the field.\n")
    print("| input | error | requests |\n|---|---|---|")
    for name, service, changes, query, settings, error, message in BAD_CALL_INPUTS:
        before = env.standin.services[service].counters["requests"]
        exc = run_bad_call(env, service, changes, query, settings)
        sent = env.standin.services[service].counters["requests"] - before
        ok = isinstance(exc, error) and message in str(exc) and sent == 0
        failures += not ok
        print("| %s | %s `%s: %s` | %d |" % (name, "✅" if ok else "❌", type(exc).__name__,
                                             str(exc)[:120].replace("|", "/"), sent))
    env.stop()
    print("\nInvalid settings (non-HTTPS URLs, missing account URL, bad keys, parallelism 0 or 10,000, negative "
          "costs...) fail in `set_config` naming the field: `tests/test_settings.py`.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
