"""Every hostile-server case ends as it states, with no secret in its error (see devtools/hostile_cases.py)."""

import pytest

from dss import new_trace  # noqa: F401  (sets up the paths)
from hostile_cases import HOSTILE_CASES, HOSTILE_SETTINGS, run_setting, shown_secrets
from reliability_cases import run_case


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c.name for c in HOSTILE_CASES])
def test_hostile_case(env, case, caplog):
    result, error, requests = run_case(env, case)
    env.account.trickle_seconds = 0.0
    env.standin.services[case.service].faults.gate.set()
    stated = (error is None and result["text"] == "Turn 1. You said: hello there") if case.error is None else (
        isinstance(error, case.error) and case.message in str(error))
    assert stated, "%s: got %r" % (case.name, error)
    assert case.requests is None or requests == case.requests
    assert shown_secrets(env, error, *[r.getMessage() for r in caplog.records]) == []


@pytest.mark.parametrize("name, overrides, field", HOSTILE_SETTINGS, ids=[s[0] for s in HOSTILE_SETTINGS])
def test_hostile_setting(env, name, overrides, field):
    error = run_setting(env, overrides)
    assert error is not None and error.field == field
    assert "pat-abc" not in str(error)
