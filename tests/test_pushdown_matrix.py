"""Every row of make reliability's push-down and Snowflake names table holds (issue 23, items 5, 6, 7, 14, 15)."""

import pytest

from dss import generate_keypair  # noqa: F401  (puts devtools and the stand-in on the path)

pytest.importorskip("duckdb", reason="duckdb has no build for this Python")

from pushdown_cases import SCENARIOS, run_scenario  # noqa: E402


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_pushdown_row(env, scenario):
    outcome = run_scenario(env, scenario)
    assert outcome.ok, outcome.outcome
